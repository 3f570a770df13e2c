/** The proof bundle `traceledger-proof-v1`: everything needed to verify a record with nothing but a JSON-RPC endpoint. */
import { z } from 'zod';

export const BUNDLE_FORMAT = 'traceledger-proof-v1';

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, { message: 'must be 0x followed by 64 hex digits' });
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, { message: 'must be a 0x address' });

const DisclosureSchema = z.object({
  name: z.string().min(1),
  value: z.unknown(),
  salt: z.string(),
  index: z.number().int().nonnegative(),
  path: z.array(z.string()),
});

export const ProofBundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  record: z.object({
    type: z.string(),
    id: z.string(),
    recordRoot: hex32,
    leafCount: z.number().int().positive(),
    /** The disclosed (public) fields; private fields are withheld yet the root still verifies. */
    disclosures: z.array(DisclosureSchema),
  }),
  /** The log entry exactly as hashed into the log (the leaf data). */
  entry: z.record(z.string(), z.unknown()),
  log: z.object({
    logId: z.string(),
    /** bytes32 log id used on chain. */
    chainLogId: hex32,
    leafIndex: z.number().int().nonnegative().nullable(),
    leafHash: hex32,
    inclusionProof: z.array(hex32),
  }),
  /** The anchored checkpoint the inclusion proof is against; null while the record waits to be anchored. */
  checkpoint: z
    .object({
      size: z.number().int().positive(),
      root: hex32,
      txHash: z.string().nullable(),
      blockNumber: z.number().int().nullable(),
      blockTime: z.number().int().nullable(),
    })
    .nullable(),
  chain: z.object({
    chainId: z.number().int().positive(),
    traceLedger: address,
    participantRegistry: address,
    revocationRegistry: address,
  }),
});

export type ProofBundle = z.infer<typeof ProofBundleSchema>;
export type BundleDisclosure = z.infer<typeof DisclosureSchema>;
