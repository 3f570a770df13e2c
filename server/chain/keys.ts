/**
 * Keys and addresses, over ethers: the account of a private key, fresh keys, and address checks.
 * Code outside server/chain/ that needs a wallet or a checksummed address asks here.
 */
import { HDNodeWallet, Mnemonic, Wallet, getAddress, getBytes, hexlify, isAddress as ethersIsAddress, randomBytes } from 'ethers';

/** An account that holds its private key and signs (ethers' Wallet): `address`, `privateKey`, `signTypedData`. */
export type { Wallet } from 'ethers';

/** The wallet of a private key (0x + 64 hex digits). Throws when it is not a valid secp256k1 key. */
export function walletFromKey(privateKey: string): Wallet {
  return new Wallet(privateKey);
}

/** A wallet with a fresh random private key. */
export function newWallet(): Wallet {
  return new Wallet(hexlify(randomBytes(32)));
}

/** The 32 bytes of a wallet's private key. */
export function privateKeyBytes(wallet: Pick<Wallet, 'privateKey'>): Uint8Array {
  return getBytes(wallet.privateKey);
}

/** True for `0x` + 40 hex digits whose letters are all one case or a valid EIP-55 checksum. */
export function isAddress(value: string): boolean {
  return ethersIsAddress(value);
}

/** The EIP-55 checksummed form of `address`. Throws when it is not an address (see {@link isAddress}). */
export function checksumAddress(address: string): string {
  return getAddress(address);
}

/** The mnemonic anvil and hardhat fund their default accounts from: published, so its keys protect nothing. */
const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
/** How many of its accounts (m/44'/60'/0'/0/i) count as well known: anvil and hardhat fund the first 10 and 20. */
const DEV_ACCOUNTS = 20;

let devAddresses: Set<string> | undefined;

/** The checksummed addresses of the first 20 accounts of the published "test test … junk" mnemonic (derived once). */
export function wellKnownDevAddresses(): ReadonlySet<string> {
  if (!devAddresses) {
    const root = HDNodeWallet.fromSeed(Mnemonic.fromPhrase(DEV_MNEMONIC).computeSeed());
    devAddresses = new Set(Array.from({ length: DEV_ACCOUNTS }, (_, i) => root.derivePath(`m/44'/60'/0'/0/${i}`).address));
  }
  return devAddresses;
}

/** True when `privateKey` is one of the published dev accounts ({@link wellKnownDevAddresses}). Requires a valid key. */
export function isWellKnownDevKey(privateKey: string): boolean {
  return wellKnownDevAddresses().has(new Wallet(privateKey).address);
}

/** True when `address` is one of the published dev accounts. */
export function isWellKnownDevAddress(address: string): boolean {
  return isAddress(address) && wellKnownDevAddresses().has(getAddress(address));
}
