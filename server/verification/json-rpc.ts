/**
 * A ChainReader over plain JSON-RPC `eth_call`, with the few ABI encodings it needs written out: no ethers,
 * so the browser and the CLI share it (the server reads through ethers in server/chain). Selectors are
 * computed from the function signatures with keccak-256, not copied in. Each request is a POST of its own, never
 * a batch: a gateway that limits batches (FISCO BCOS: at most 8 requests) takes it as it is.
 */
import { bigIntOf, fromHex, toHex, uint256Word, utf8 } from '../crypto/bytes';
import { keccak256 } from '../crypto/primitives';
import { participantKindCode, participantKindOf, type ParticipantKind } from '../records/record-types';
import type { ChainReader, OnChainParticipant, OnChainRevocation } from './chain';

/** Sends one JSON-RPC request body and resolves to the response body. */
export type RpcTransport = (body: string) => Promise<string>;

/**
 * The contracts a reader talks to: the TraceLedger (the trust root). The registries are read from it on chain
 * (`participantRegistry()`, `revocationRegistry()`); addresses given here for them are ignored.
 */
export interface ReaderAddresses {
  traceLedger: string;
}

/** A JSON-RPC error answer, or an answer that is not what the call returns. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
}

const selector = (signature: string): string => toHex(keccak256(utf8(signature)).subarray(0, 4));

const SEL = {
  participantRegistry: selector('participantRegistry()'),
  revocationRegistry: selector('revocationRegistry()'),
  rootAt: selector('rootAt(bytes32,uint256)'),
  isValidSigner: selector('isValidSigner(address,uint8,uint64)'),
  hasRole: selector('hasRole(bytes32,address)'),
  participantOf: selector('participantOf(address)'),
  getParticipant: selector('getParticipant(bytes32)'),
  revocationBy: selector('revocationBy(bytes32,bytes32)'),
  productKeyOwner: selector('productKeyOwner(string)'),
  spotCheckWindow: selector('spotCheckWindow(bytes32)'),
};

/** The 4-byte selectors (lower-case hex, no prefix) of every view function the reader calls: what a read-only relay may forward. */
export const VERIFIER_CALL_SELECTORS: ReadonlySet<string> = new Set(Object.values(SEL).map((s) => s.replace(/^0x/, '').toLowerCase()));

/** keccak256("ANCHORER_ROLE"), as TraceLedger declares it. */
const ANCHORER_ROLE = toHex(keccak256(utf8('ANCHORER_ROLE')));
const ZERO_WORD = '0'.repeat(64);

const word = (hex: string): string => hex.replace(/^0x/, '').toLowerCase().padStart(64, '0');
const uintWord = (n: number): string => toHex(uint256Word(n));

/** The ABI encoding of one `string` argument (the call's only one): its offset, its length, its UTF-8 bytes padded to whole words. */
export function encodeStringArgument(value: string): string {
  const bytes = toHex(utf8(value));
  const padded = bytes.padEnd(Math.ceil(bytes.length / 64) * 64, '0');
  return uintWord(32) + uintWord(bytes.length / 2) + padded;
}

/** A transport over `fetch` (browsers, Node 18+), with a timeout. */
export function fetchTransport(url: string, timeoutMs = 10_000): RpcTransport {
  return async (body) => {
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    const timer = setTimeout(() => controller?.abort(), timeoutMs);
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: controller?.signal });
      if (!res.ok) throw new RpcError(`the chain endpoint answered HTTP ${res.status}`);
      return await res.text();
    } finally {
      clearTimeout(timer);
    }
  };
}

export class JsonRpcChainReader implements ChainReader {
  private nextId = 1;
  private chain: Promise<number> | undefined;
  /** Answers that never change once given (an anchored root, a key's owner, a participant's identity), shared by concurrent callers. */
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    private readonly transport: RpcTransport,
    private readonly addresses: ReaderAddresses,
  ) {}

  /** A reader over `fetch` to `url`. */
  static fromUrl(url: string, addresses: ReaderAddresses): JsonRpcChainReader {
    return new JsonRpcChainReader(fetchTransport(url), addresses);
  }

  private async request(method: string, params: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    const text = await this.transport(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    let res: { result?: unknown; error?: { message?: unknown } };
    try {
      res = JSON.parse(text) as typeof res;
    } catch {
      throw new RpcError('the chain endpoint did not answer JSON');
    }
    if (res.error) throw new RpcError(`the chain endpoint refused ${method}: ${String(res.error.message ?? 'error')}`);
    return res.result;
  }

  /** eth_call; the answer as 32-byte words (hex, no prefix). */
  private async call(to: string, data: string): Promise<string[]> {
    const out = await this.request('eth_call', [{ to, data: `0x${data}` }, 'latest']);
    if (typeof out !== 'string' || !/^0x(?:[0-9a-fA-F]{64})*$/.test(out)) throw new RpcError('unexpected eth_call answer');
    const words: string[] = [];
    for (let i = 2; i < out.length; i += 64) words.push(out.slice(i, i + 64).toLowerCase());
    return words;
  }

  /** The registry TraceLedger names (read once). */
  private registry(which: 'participantRegistry' | 'revocationRegistry'): Promise<string> {
    return this.once(`registry:${which}`, async () => {
      const [w] = await this.call(this.addresses.traceLedger, SEL[which]);
      if (w === undefined || w === ZERO_WORD) throw new RpcError(`TraceLedger ${this.addresses.traceLedger} names no ${which}`);
      return `0x${w.slice(24)}`;
    });
  }

  /** `compute` once per key while it succeeds and `keep` holds for its answer; concurrent callers share it. */
  private once<T>(key: string, compute: () => Promise<T>, keep: (v: T) => boolean = () => true): Promise<T> {
    const hit = this.memo.get(key) as Promise<T> | undefined;
    if (hit) return hit;
    const p = compute().then(
      (v) => {
        if (!keep(v)) this.memo.delete(key);
        return v;
      },
      (e: unknown) => {
        this.memo.delete(key);
        throw e;
      },
    );
    this.memo.set(key, p);
    return p;
  }

  chainId(): Promise<number> {
    this.chain ??= this.request('eth_chainId', []).then(
      (out) => {
        if (typeof out !== 'string' || !/^0x[0-9a-fA-F]+$/.test(out)) throw new RpcError('unexpected eth_chainId answer');
        return Number(BigInt(out));
      },
      (e: unknown) => {
        this.chain = undefined;
        throw e;
      },
    );
    return this.chain;
  }

  /** An anchored root never changes; "not anchored" may, so it is not kept. */
  rootAt(chainLogId: string, size: number): Promise<string | null> {
    return this.once(
      `rootAt:${chainLogId}:${size}`,
      async () => {
        const [root] = await this.call(this.addresses.traceLedger, SEL.rootAt + word(chainLogId) + uintWord(size));
        if (root === undefined) throw new RpcError('unexpected rootAt answer');
        return root === ZERO_WORD ? null : `0x${root}`;
      },
      (root) => root !== null,
    );
  }

  async isValidSigner(address: string, role: ParticipantKind, atSeconds: number): Promise<boolean> {
    const [ok] = await this.call(await this.registry('participantRegistry'), SEL.isValidSigner + word(address) + uintWord(participantKindCode(role)) + uintWord(atSeconds));
    return ok !== undefined && ok !== ZERO_WORD;
  }

  async isAnchorer(address: string): Promise<boolean> {
    const [ok] = await this.call(this.addresses.traceLedger, SEL.hasRole + ANCHORER_ROLE + word(address));
    return ok !== undefined && ok !== ZERO_WORD;
  }

  /** A key belongs to one participant, ever; an unknown key may be registered later, so "none" is not kept. */
  participantOf(address: string): Promise<string | null> {
    return this.once(
      `participantOf:${address.toLowerCase()}`,
      async () => {
        const [id] = await this.call(await this.registry('participantRegistry'), SEL.participantOf + word(address));
        if (id === undefined) throw new RpcError('unexpected participantOf answer');
        return id === ZERO_WORD ? null : `0x${id}`;
      },
      (id) => id !== null,
    );
  }

  /** Kept for the life of this reader (one page view or one CLI run): a participant's identity does not change. */
  participant(id: string): Promise<OnChainParticipant | null> {
    return this.once(`participant:${id.toLowerCase()}`, () => this.readParticipant(id));
  }

  private async readParticipant(id: string): Promise<OnChainParticipant | null> {
    let words: string[];
    try {
      words = await this.call(await this.registry('participantRegistry'), SEL.getParticipant + word(id));
    } catch (e) {
      if (e instanceof RpcError && /refused/.test(e.message)) return null; // an unknown id reverts
      throw e;
    }
    // (Participant) is a dynamic tuple: an offset word, then kind, four uint64 times, two string offsets.
    const base = Number(bigIntOf(fromHex(words[0] ?? '0'))) / 32;
    const at = (i: number): string => {
      const w = words[base + i];
      if (w === undefined) throw new RpcError('unexpected getParticipant answer');
      return w;
    };
    const num = (i: number): number => Number(bigIntOf(fromHex(at(i))));
    const text = (i: number): string => {
      const start = base + num(i) / 32;
      const length = Number(bigIntOf(fromHex(words[start] ?? '')));
      const data = fromHex(words.slice(start + 1, start + 1 + Math.ceil(length / 32)).join('')).subarray(0, length);
      return new TextDecoder().decode(data);
    };
    const kind = participantKindOf(num(0));
    if (kind === undefined) throw new RpcError('unexpected participant kind');
    const registeredAt = num(1);
    if (registeredAt === 0) return null;
    return { id: id.toLowerCase(), kind, registeredAt, revokedAt: num(2), accreditedFrom: num(3), accreditedUntil: num(4), name: text(5), code: text(6) };
  }

  /** A product key is never reassigned nor removed: an owner found is kept; "none" is not (a key may be assigned later). */
  productKeyOwner(gtin14: string): Promise<string | null> {
    return this.once(
      `productKeyOwner:${gtin14}`,
      async () => {
        const [id] = await this.call(await this.registry('participantRegistry'), SEL.productKeyOwner + encodeStringArgument(gtin14));
        if (id === undefined) throw new RpcError('unexpected productKeyOwner answer');
        return id === ZERO_WORD ? null : `0x${id}`;
      },
      (id) => id !== null,
    );
  }

  /** Not kept: a party may revoke at any time. */
  async revocationBy(leafHash: string, revokerId: string): Promise<OnChainRevocation> {
    const w = await this.call(await this.registry('revocationRegistry'), SEL.revocationBy + word(leafHash) + word(revokerId));
    if (w.length < 4) throw new RpcError('unexpected revocationBy answer');
    const [revoked, reasonCode, revokedAt, revokedBy] = w as [string, string, string, string];
    return {
      revoked: revoked !== ZERO_WORD,
      reasonCode: Number(BigInt(`0x${reasonCode}`)),
      revokedAt: Number(BigInt(`0x${revokedAt}`)),
      revokedBy: `0x${revokedBy.slice(24)}`,
    };
  }

  /** Not kept: the regulator may designate or end a designation at any time. */
  async spotCheckWindow(labId: string): Promise<{ from: number; until: number } | null> {
    const w = await this.call(await this.registry('participantRegistry'), SEL.spotCheckWindow + word(labId));
    if (w.length < 2) throw new RpcError('unexpected spotCheckWindow answer');
    const [from, until] = w as [string, string];
    return until === ZERO_WORD ? null : { from: Number(BigInt(`0x${from}`)), until: Number(BigInt(`0x${until}`)) };
  }
}
