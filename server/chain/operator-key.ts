/**
 * The operator's key: in embedded mode one per installation, generated at the first start of a data directory and
 * kept in DATA_DIR/operator-key (mode 0600); with RPC_URL the configured SIGNER_KEY / SIGNER_KEY_FILE, never a
 * published dev key.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { JsonRpcProvider } from './provider';
import { isWellKnownDevAddress, isWellKnownDevKey, newWallet, walletFromKey } from './keys';

/** The file name of the embedded operator's key in the data directory. */
export const OPERATOR_KEY_FILE = 'operator-key';

/** The balance the embedded operator is given (and topped up to when below a tenth of it): 10,000 ether. */
const OPERATOR_BALANCE = 10_000n * 10n ** 18n;

const KEY_PATTERN = /^(0x)?[0-9a-fA-F]{64}$/;

/** The key held by `file` (0x-prefixed), or undefined when the file does not exist. Throws when it holds no key. */
export function readOperatorKeyFile(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (!KEY_PATTERN.test(text)) throw new Error(`${file} does not hold a private key (64 hex digits); restore it from a backup`);
  return text.startsWith('0x') ? text : `0x${text}`;
}

/**
 * Writes a fresh random key to `file`, mode 0600, atomically (a temporary file, fsynced, linked into place without
 * replacing an existing file, the directory fsynced): a crash leaves either no key file or a whole one.
 * Returns the key. Throws EEXIST when the file exists.
 */
export function generateOperatorKeyFile(file: string): string {
  const key = newWallet().privateKey;
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, `${key}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    // link, not rename: never replaces a key another process wrote meanwhile (EEXIST).
    fs.linkSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
  return key;
}

/** What the embedded operator's key is, and why. */
export type EmbeddedOperatorKey =
  | { key: string; source: 'file' | 'generated' }
  /** A data directory deployed before per-installation keys: its contracts' operator is anvil's first dev account. */
  | { key: string; source: 'dev-legacy' };

/**
 * The embedded node's operator key for a data directory: DATA_DIR/operator-key when it exists; generated into it
 * when the directory has no deployment yet (or `fresh`: a redeploy whose contracts are gone); the dev key for a
 * deployment whose operator is that dev account (a directory from before). Throws when the deployment names
 * another operator and its key file is missing.
 */
export function embeddedOperatorKey(opts: { keyFile: string; deployedOperator: string | undefined; fresh: boolean; devKey: string }): EmbeddedOperatorKey {
  const kept = readOperatorKeyFile(opts.keyFile);
  if (kept !== undefined) return { key: kept, source: 'file' };
  if (opts.deployedOperator === undefined || opts.fresh) {
    try {
      return { key: generateOperatorKeyFile(opts.keyFile), source: 'generated' };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return embeddedOperatorKey(opts);
      throw e;
    }
  }
  if (walletFromKey(opts.devKey).address.toLowerCase() === opts.deployedOperator.toLowerCase()) return { key: opts.devKey, source: 'dev-legacy' };
  throw new Error(
    `${opts.keyFile} is missing, and the contracts of this data directory are operated by ${opts.deployedOperator}: restore the key file from a backup (the contracts cannot be operated without it)`,
  );
}

/** Gives `address` OPERATOR_BALANCE on the embedded node (anvil_setBalance) when it holds less than a tenth of it. */
export async function fundOnEmbeddedNode(provider: JsonRpcProvider, address: string): Promise<void> {
  const balance = await provider.getBalance(address);
  if (balance >= OPERATOR_BALANCE / 10n) return;
  await provider.send('anvil_setBalance', [address, `0x${OPERATOR_BALANCE.toString(16)}`]);
}

/** Refuses a published dev key outside the embedded node (anyone could sign as the operator), unless `allowDevKeys`. */
export function checkExternalOperatorKey(key: string, allowDevKeys: boolean): void {
  if (!KEY_PATTERN.test(key)) throw new Error('SIGNER_KEY / SIGNER_KEY_FILE does not hold a private key (64 hex digits)');
  if (isWellKnownDevKey(key) && !allowDevKeys) {
    throw new Error(
      'SIGNER_KEY / SIGNER_KEY_FILE is a published development key (an account of the "test test … junk" mnemonic of anvil and hardhat): ' +
        'anyone can sign with it and would control the contracts. Use a key of your own (npx traceledger keygen --out FILE, then SIGNER_KEY_FILE=FILE); ' +
        'for a throwaway local test chain only, set ALLOW_DEV_KEYS=true.',
    );
  }
}

/** True when the deployment's operator is a published dev account. */
export const operatedByDevAccount = (operator: string): boolean => isWellKnownDevAddress(operator);
