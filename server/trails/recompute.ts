/**
 * Checking many stored share steps' signatures: the records module's EIP-712 encoder and recovery (the
 * one implementation, shared with every verifier) with the domain built once per checker. Record roots
 * of stored bodies come from `recordRootOfParsed` in server/records.
 */
import {
  RecordError,
  parseSignature,
  recordDigestBytes,
  recoverAddressFromDigest,
  traceledgerDomain,
  type ChainBinding,
  type SignedView,
  type TraceledgerDomain,
} from '../records';

/** The four share record types. */
export const SHARE_TYPES = ['ShareRequest', 'ShareReply', 'ShareDelivery', 'ShareReceipt'] as const;
export type ShareType = (typeof SHARE_TYPES)[number];

/** True for a share record type. */
export const isShareType = (type: string): type is ShareType => (SHARE_TYPES as readonly string[]).includes(type);

/** Why a signature could not be checked. */
export class SignatureCheckError extends Error {
  override readonly name = 'SignatureCheckError';
}

/** EIP-712 digests and signers of share steps under one chain binding (the records module's encoder, domain built once). */
export class ShareSignatureChecker {
  private readonly domain: TraceledgerDomain;

  constructor(binding: ChainBinding) {
    this.domain = traceledgerDomain(binding);
  }

  /**
   * The EIP-712 digest a department signed for share step `body` of `type` with record root `root`.
   * Throws SignatureCheckError when a signed field is missing or malformed.
   */
  digest(type: ShareType, body: Record<string, unknown>, root: string, issuedAtSeconds: number): Uint8Array {
    try {
      return recordDigestBytes(type, body as unknown as SignedView<ShareType>, root, this.domain, issuedAtSeconds);
    } catch (cause) {
      if (cause instanceof SignatureCheckError) throw cause;
      throw new SignatureCheckError(`a signed field of this ${type} is missing or malformed: ${(cause as Error).message}`, { cause });
    }
  }

  /** The lowercase address that made `signature` over `digest`. Throws SignatureCheckError (or RecordError('bad-signature')). */
  signerOf(digest: Uint8Array, signature: string): string {
    const parsed = parseSignature(signature);
    try {
      return recoverAddressFromDigest(digest, parsed);
    } catch (cause) {
      if (cause instanceof RecordError) throw new SignatureCheckError('no public key can be recovered from this signature', { cause });
      throw cause;
    }
  }
}
