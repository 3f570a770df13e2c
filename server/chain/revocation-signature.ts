/**
 * A lab's signed revocation (EIP-712), which anyone may send to RevocationRegistry.revokeWithSignature: the typed
 * message `Revocation(bytes32 leafHash,uint16 reasonCode,uint64 deadline)` in the domain `{ name: "traceledger",
 * version: "1", chainId, verifyingContract: the RevocationRegistry }`. The lab console signs it in the browser, the
 * server recovers its signer before relaying it, and the contract recovers it again.
 */
import { Signature, verifyTypedData, type TypedDataDomain } from 'ethers';

export const REVOCATION_TYPES = {
  Revocation: [
    { name: 'leafHash', type: 'bytes32' },
    { name: 'reasonCode', type: 'uint16' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const satisfies Record<string, readonly { name: string; type: string }[]>;

/** What a revocation signature covers: the record's leaf hash, the reason code, and the last second it may be sent. */
export interface RevocationMessage {
  /** 0x + 64 hex digits: the record's RFC 6962 leaf hash. */
  leafHash: string;
  /** An index into REVOCATION_REASONS (0-65535). */
  reasonCode: number;
  /** Unix seconds; the contract refuses the signature after it. */
  deadline: number;
}

/** The EIP-712 domain of the RevocationRegistry at `revocationRegistry` on chain `chainId`. */
export function revocationDomain(chainId: number, revocationRegistry: string): TypedDataDomain {
  return { name: 'traceledger', version: '1', chainId, verifyingContract: revocationRegistry };
}

/** Something that signs EIP-712 typed data: an ethers Wallet (e.g. from a keystore file). */
export interface TypedDataSigner {
  signTypedData(domain: TypedDataDomain, types: Record<string, { name: string; type: string }[]>, value: Record<string, unknown>): Promise<string>;
}

const types = (): Record<string, { name: string; type: string }[]> => ({ Revocation: REVOCATION_TYPES.Revocation.map((f) => ({ ...f })) });

/** Signs `message` for the RevocationRegistry of `domain`; returns the 65-byte signature (0x + 130 hex digits). */
export function signRevocation(signer: TypedDataSigner, domain: TypedDataDomain, message: RevocationMessage): Promise<string> {
  return signer.signTypedData(domain, types(), { ...message });
}

/**
 * The address that signed `message` with `signature` in `domain` (checksummed), or null when `signature` is not a
 * well-formed 65-byte signature with a low `s` (the contract's ECDSA refuses the others too).
 */
export function revocationSigner(domain: TypedDataDomain, message: RevocationMessage, signature: string): string | null {
  try {
    const sig = Signature.from(signature);
    // Signature.from also accepts 64-byte (EIP-2098) signatures, which the contract's ECDSA.recover refuses.
    if (signature.length !== 132 || BigInt(sig.s) > SECP256K1_HALF_N) return null;
    return verifyTypedData(domain, types(), { ...message }, signature);
  } catch {
    return null;
  }
}

const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
