/**
 * Encrypted keystore files (Web3 Secret Storage v3, the JSON ethers and geth write), over ethers: a lab's or
 * a department's console imports its signing key as such a file and decrypts it in the browser, so the key
 * itself never leaves the page. Isomorphic: bundled into the consoles' scripts (server/web/console-bundles.ts).
 */
import { Wallet, isKeystoreJson } from 'ethers';

/** What a keystore file holds (the part a page checks before asking for the password). */
export interface KeystoreSummary {
  /** The key's address as the file states it (lowercase 0x hex), or null when the file names none. */
  address: string | null;
}

/** Why a keystore could not be opened: not a keystore file, or the password is wrong. */
export class KeystoreError extends Error {
  override readonly name = 'KeystoreError';
  constructor(
    readonly code: 'not-a-keystore' | 'wrong-password',
    message: string,
  ) {
    super(message);
  }
}

/** The address a keystore file names, without decrypting it. Throws KeystoreError 'not-a-keystore'. */
export function keystoreSummary(json: string): KeystoreSummary {
  if (!isKeystoreJson(json)) throw new KeystoreError('not-a-keystore', 'this file is not an encrypted keystore (Web3 Secret Storage v3) file');
  const address = (JSON.parse(json) as { address?: unknown }).address;
  return { address: typeof address === 'string' && /^(0x)?[0-9a-fA-F]{40}$/.test(address) ? `0x${address.replace(/^0x/, '').toLowerCase()}` : null };
}

/**
 * Decrypts a keystore file with `password` into a wallet that signs (EIP-712 included). `progress` gets 0..1 while
 * the key derivation (scrypt) runs. Throws KeystoreError 'not-a-keystore' or 'wrong-password'.
 */
export async function openKeystore(json: string, password: string, progress?: (fraction: number) => void): Promise<Wallet> {
  if (!isKeystoreJson(json)) throw new KeystoreError('not-a-keystore', 'this file is not an encrypted keystore (Web3 Secret Storage v3) file');
  try {
    const w = await Wallet.fromEncryptedJson(json, password, progress);
    return w instanceof Wallet ? w : new Wallet(w.privateKey);
  } catch (e) {
    if (/incorrect password|invalid password/i.test((e as Error).message)) throw new KeystoreError('wrong-password', 'the password does not open this keystore file');
    throw new KeystoreError('not-a-keystore', `this keystore file cannot be read: ${(e as Error).message}`);
  }
}
