/**
 * SHA-256, keccak-256 and a whole RFC 6962 field tree in WebAssembly (scripts/wasm/hashes.as.ts, compiled into
 * ./hashes-wasm.ts): for the many short messages of record roots and EIP-712 digests, where a call into OpenSSL
 * or the keccak binding costs more than the hashing itself. Node only (Buffer's UTF-8 writer); ./native installs it.
 *
 * One module instance per thread, its memory fixed at creation (nothing grows, so the views below stay valid).
 * Every function is synchronous, copies its input into the module's I/O area and returns fresh bytes.
 */
import { HASHES_WASM_BASE64 } from './hashes-wasm';

interface Exports {
  memory: WebAssembly.Memory;
  ioPtr(): number;
  ioSize(): number;
  offsetsPtr(): number;
  maxLeaves(): number;
  outPtr(): number;
  sha256(len: number): void;
  keccak256(len: number): void;
  fieldRoot(n: number): void;
}

/** The hashes of one module instance. */
export interface WasmHashes {
  /** The longest input sha256 and keccak256 take, in bytes. */
  readonly maxInput: number;
  /** SHA-256 of `data` (at most maxInput bytes). */
  sha256(data: Uint8Array): Uint8Array;
  /** keccak-256 (Ethereum's, the original padding) of `data` (at most maxInput bytes). */
  keccak256(data: Uint8Array): Uint8Array;
  /**
   * The RFC 6962 root (node hash SHA-256(0x01 || left || right), an odd last node promoted) of the leaves whose
   * hashes are SHA-256(UTF-8 of text) for each of `texts` in order (the caller writes the 0x00 leaf prefix into
   * the text, as U+0000). Strings are encoded as Buffer.from(text, 'utf8') would (a lone surrogate as U+FFFD).
   * null when there are no texts, more than the module takes, or more text than its I/O area holds: the caller
   * then hashes leaf by leaf.
   */
  rootOfLeafTexts(texts: readonly string[]): Uint8Array | null;
}

/** Instantiates the module; undefined where WebAssembly is unavailable or refuses it (the caller keeps its other hashes). */
export function loadWasmHashes(): WasmHashes | undefined {
  let x: Exports;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(HASHES_WASM_BASE64, 'base64')), {
      env: {
        abort() {
          throw new Error('the hashing module aborted');
        },
      },
    });
    x = instance.exports as unknown as Exports;
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(x.memory.buffer);
  const text = Buffer.from(x.memory.buffer);
  const view = new DataView(x.memory.buffer);
  const io = x.ioPtr();
  const ioSize = x.ioSize();
  const offsets = x.offsetsPtr();
  const maxLeaves = x.maxLeaves();
  const out = x.outPtr();
  const result = () => bytes.slice(out, out + 32);
  const input = (data: Uint8Array, what: string) => {
    if (data.length > ioSize) throw new RangeError(`${what}: ${data.length} bytes is more than the ${ioSize} this module takes`);
    bytes.set(data, io);
  };
  return {
    maxInput: ioSize,
    sha256(data) {
      input(data, 'sha256');
      x.sha256(data.length);
      return result();
    },
    keccak256(data) {
      input(data, 'keccak256');
      x.keccak256(data.length);
      return result();
    },
    rootOfLeafTexts(texts) {
      const n = texts.length;
      if (n === 0 || n > maxLeaves) return null;
      let at = 0;
      for (let i = 0; i < n; i++) {
        const t = texts[i]!;
        // At most 3 bytes of UTF-8 per UTF-16 code unit: the text surely fits, or the caller hashes leaf by leaf.
        if (at + 3 * t.length > ioSize) return null;
        view.setUint32(offsets + 4 * i, at, true);
        at += text.write(t, io + at, 'utf8');
      }
      view.setUint32(offsets + 4 * n, at, true);
      x.fieldRoot(n);
      return result();
    },
  };
}
