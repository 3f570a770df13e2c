/**
 * The two `node:crypto` functions server/records/field-tree.ts uses, for the consoles' browser bundles
 * (server/web/console-bundles.ts resolves `node:crypto` here): SHA-256 from @noble/hashes and random bytes from
 * the browser's CSPRNG (crypto.getRandomValues). Anything else from node:crypto is absent, so a new use fails the build.
 */
import { sha256 } from '@noble/hashes/sha2';
import { Buffer } from 'buffer';

interface Hash {
  update(data: Uint8Array): Hash;
  digest(): Buffer;
}

/** createHash('sha256') only. */
export function createHash(algorithm: string): Hash {
  if (algorithm !== 'sha256') throw new Error(`createHash(${algorithm}) is not available in the browser bundle`);
  const parts: Uint8Array[] = [];
  const hash: Hash = {
    update(data) {
      parts.push(data);
      return hash;
    },
    digest() {
      return Buffer.from(sha256(Buffer.concat(parts)));
    },
  };
  return hash;
}

/** `n` bytes from crypto.getRandomValues. */
export function randomBytes(n: number): Buffer {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return Buffer.from(out);
}
