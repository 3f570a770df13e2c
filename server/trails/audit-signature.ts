/**
 * Signed audit reports. An exported audit report (JSON or CSV) is signed by the operator's key, the key that anchors
 * the logs, so a regulator or a court can tell it came unaltered from this installation: the signature is EIP-712 in
 * the traceledger domain (chain and TraceLedger address) over the SHA-256 of the exported bytes, and it is valid
 * only when its signer is an ANCHORER of that TraceLedger on chain (as for receipts, ./receipts.ts).
 *
 * JSON: the report with a `signature` member; the hash is over the RFC 8785 canonical JSON of the report without it.
 * CSV: a last line `signature,…` follows the table; the hash is over every byte before that line.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors';
import { canonicalBytes, recoverSigner, traceledgerDomain, type RecordTypedData } from '../records';
import type { TypedDataSigner } from './receipts';

export const AUDIT_SIGNATURE_FORMAT = 'traceledger-audit-signature-v1';

export type AuditMediaType = 'application/json' | 'text/csv';

/** The EIP-712 struct the operator signs. */
export const AUDIT_EIP712_TYPES = {
  AuditReport: [
    { name: 'format', type: 'string' },
    { name: 'mediaType', type: 'string' },
    { name: 'departmentId', type: 'string' },
    { name: 'generatedAt', type: 'string' },
    { name: 'contentHash', type: 'bytes32' },
  ],
};

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/, { error: 'must be 0x + 64 lower-case hex digits' });

export const AuditSignatureSchema = z.strictObject({
  format: z.literal(AUDIT_SIGNATURE_FORMAT),
  mediaType: z.enum(['application/json', 'text/csv']),
  departmentId: z.string().min(1),
  generatedAt: z.string().min(1),
  chainId: z.number().int().positive(),
  traceLedger: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  /** SHA-256 of what is signed (see the module's comment). */
  contentHash: hex32,
  /** Who signed: the operator's address (an anchorer of traceLedger). */
  signer: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  signature: z.string().regex(/^0x[0-9a-f]{130}$/),
});
export type AuditSignature = z.output<typeof AuditSignatureSchema>;

/** What identifies the report being signed. */
export interface AuditSubject {
  departmentId: string;
  generatedAt: string;
  chainId: number;
  traceLedger: string;
}

const sha256Hex = (bytes: Uint8Array): string => `0x${crypto.createHash('sha256').update(bytes).digest('hex')}`;

function typedData(s: Omit<AuditSignature, 'signature' | 'signer'>) {
  return {
    domain: traceledgerDomain({ chainId: s.chainId, verifyingContract: s.traceLedger }),
    types: AUDIT_EIP712_TYPES,
    primaryType: 'AuditReport' as const,
    message: { format: s.format, mediaType: s.mediaType, departmentId: s.departmentId, generatedAt: s.generatedAt, contentHash: s.contentHash },
  };
}

async function sign(operator: TypedDataSigner & { getAddress(): Promise<string> }, mediaType: AuditMediaType, subject: AuditSubject, content: Uint8Array): Promise<AuditSignature> {
  const unsigned = { format: AUDIT_SIGNATURE_FORMAT, mediaType, ...subject, contentHash: sha256Hex(content) } as const;
  const td = typedData(unsigned);
  const signature = (await operator.signTypedData(td.domain, td.types, td.message)).toLowerCase();
  return { ...unsigned, signer: await operator.getAddress(), signature };
}

/** `report` with the operator's signature over its canonical JSON. */
export async function signAuditJson<R extends object>(operator: TypedDataSigner & { getAddress(): Promise<string> }, subject: AuditSubject, report: R): Promise<R & { signature: AuditSignature }> {
  return { ...report, signature: await sign(operator, 'application/json', subject, canonicalBytes(report)) };
}

/** The CSV text with a last line carrying the operator's signature over every byte before it. */
export async function signAuditCsv(operator: TypedDataSigner & { getAddress(): Promise<string> }, subject: AuditSubject, csv: string): Promise<string> {
  const s = await sign(operator, 'text/csv', subject, Buffer.from(csv, 'utf8'));
  return `${csv}signature,${encodeURIComponent(JSON.stringify(s))}\r\n`;
}

export type AuditSignatureStatus = 'valid' | 'invalid';

/** What checking a signature reads from the chain (the server's ChainReader and the verifier's JSON-RPC reader both do). */
export interface AnchorerReader {
  chainId(): Promise<number>;
  isAnchorer(address: string): Promise<boolean>;
}

export interface AuditSignatureCheck {
  status: AuditSignatureStatus;
  message: string;
  signature: AuditSignature | null;
}

/** The signature of an exported report (JSON text or CSV text) and the bytes it covers. Throws 'invalid-input' when it carries none. */
export function readSignedAuditReport(text: string): { signature: AuditSignature; content: Uint8Array } {
  const csv = /\r?\nsignature,([^\r\n]*)\r?\n?$/.exec(text);
  if (csv) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(decodeURIComponent(csv[1]!));
    } catch {
      throw new AppError('invalid-input', 'the CSV\'s signature line is damaged');
    }
    const signature = AuditSignatureSchema.safeParse(parsed);
    if (!signature.success) throw new AppError('invalid-input', `the CSV's signature line is not a ${AUDIT_SIGNATURE_FORMAT} signature`);
    return { signature: signature.data, content: Buffer.from(text.slice(0, csv.index + csv[0].indexOf('signature,')), 'utf8') };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError('invalid-input', 'not an audit report: neither JSON nor a CSV with a signature line');
  }
  if (typeof json !== 'object' || json === null || !('signature' in json)) throw new AppError('invalid-input', 'the audit report carries no signature');
  const { signature: raw, ...report } = json as Record<string, unknown>;
  const signature = AuditSignatureSchema.safeParse(raw);
  if (!signature.success) throw new AppError('invalid-input', `the report's signature is not a ${AUDIT_SIGNATURE_FORMAT} signature`);
  return { signature: signature.data, content: canonicalBytes(report) };
}

/**
 * Checks an exported audit report against the chain: its bytes must hash to the signed contentHash, the signature
 * must recover to its signer, and the signer must be an anchorer of the TraceLedger it names on the chain `chain`
 * reads (which must be the chain it names). `trusted`: the TraceLedger the checker trusts, when it pins one.
 */
export async function checkAuditReport(text: string, chain: AnchorerReader, trusted?: string): Promise<AuditSignatureCheck> {
  let read: ReturnType<typeof readSignedAuditReport>;
  try {
    read = readSignedAuditReport(text);
  } catch (e) {
    return { status: 'invalid', message: (e as Error).message, signature: null };
  }
  const { signature, content } = read;
  const invalid = (message: string): AuditSignatureCheck => ({ status: 'invalid', message, signature });
  if (sha256Hex(content) !== signature.contentHash) return invalid(`the report was changed after it was signed: its SHA-256 is ${sha256Hex(content)}, the signature covers ${signature.contentHash}`);
  if (trusted && trusted.toLowerCase() !== signature.traceLedger.toLowerCase()) return invalid(`the report is signed for TraceLedger ${signature.traceLedger}, not ${trusted}`);
  const chainId = await chain.chainId();
  if (chainId !== signature.chainId) return invalid(`the report is signed for chain ${signature.chainId}, but the endpoint is chain ${chainId}`);
  let recovered: string;
  try {
    const { signature: value, signer: _signer, ...unsigned } = signature;
    recovered = recoverSigner(typedData(unsigned) as unknown as RecordTypedData, value);
  } catch (e) {
    return invalid(`the signature is not valid: ${(e as Error).message}`);
  }
  if (recovered.toLowerCase() !== signature.signer.toLowerCase()) return invalid(`the signature was made by ${recovered}, not by the ${signature.signer} it names`);
  if (!(await chain.isAnchorer(recovered))) return invalid(`the report is signed by ${recovered}, which is not an anchorer of TraceLedger ${signature.traceLedger}`);
  return { status: 'valid', message: `signed by ${recovered}, an anchorer of TraceLedger ${signature.traceLedger} on chain ${chainId}, and unchanged since (SHA-256 ${signature.contentHash})`, signature };
}
