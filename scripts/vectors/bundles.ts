/**
 * Writes the proof-bundle vectors (test/vectors/bundles/): genuine records, each attack on them, and the
 * chain they verify against (world.json); and the batch vectors (test/vectors/batches/): a batch's bundle
 * with report and lab-commission bundles from the same world, for the batch-level trust rules (a report
 * counts on a batch only by consent or by authority: the report hijack). Every vector states the answer it
 * MUST give (a bundle's verdict and first failed step; a batch's verdict, claim, and each report's basis and
 * whether it counts); they are written here by hand, per attack, never read back from a verifier. Before
 * writing, the script replays the world on a fresh anvil node and checks the server verifier agrees with
 * every vector (the test runners then hold the CLI and the browser to the same answers).
 *
 *   npx ts-node --transpile-only scripts/vectors/bundles.ts [--out DIR] [--batches-out DIR]
 *
 * Deterministic: fixed keys (from public labels), fixed salts, fixed times and a chain whose genesis block
 * has a fixed timestamp, so a rerun writes the same bytes. Only rerun it when a new attack is added.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Wallet, getCreateAddress, id as labelHash } from 'ethers';
import { ANVIL_DEV_KEYS } from '../../server/chain/anvil';
import { RpcChainReader } from '../../server/chain/reader';
import { chainLogId } from '../../server/anchoring/worker';
import { consistencyProof, inclusionProof, leafHash, rootHash, toHex } from '../../server/ledger/rfc6962';
import {
  commitRecord,
  createLogEntry,
  disclosePublicFields,
  logEntryLeafHash,
  parseRecord,
  revocationReasonNumber,
  signRecord,
  type FieldSalts,
  type RecordType,
  type SignedView,
} from '../../server/records';
import { BUNDLE_FORMAT, verifyBatch, verifyBundle, type ClaimKind, type ProofBundle, type ReportBasis, type Verdict } from '../../server/verification';
import { USCC, batchInput, reportInput } from '../../test/server/records/fixtures';
import { replayWorld, type World } from '../../test/support/vector-world';

const OUT = (() => {
  const i = process.argv.indexOf('--out');
  return i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]!) : path.join(__dirname, '../../test/vectors/bundles');
})();
const BATCHES_OUT = (() => {
  const i = process.argv.indexOf('--batches-out');
  return i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]!) : path.join(__dirname, '../../test/vectors/batches');
})();

const seconds = (iso: string): number => Date.parse(iso) / 1000;
const GENESIS = seconds('2025-06-01T00:00:00Z');
const UNTIL = seconds('2031-01-01T00:00:00Z');
/** Lab A's registered accreditation end: the report fixture states cmaValidUntil 2028-05-31. */
const LAB_CMA_UNTIL = seconds('2028-05-31T00:00:00Z');
const CHAIN_ID = 31337;
const OPERATOR = new Wallet(ANVIL_DEV_KEYS[0]);
/** Test-only keys derived from public labels. */
const keyOf = (label: string): Wallet => new Wallet(labelHash(`traceledger test vector key: ${label}`));
const LAB_A = { key: keyOf('lab A'), code: '202727050123', name: '安康市富硒产品质量检验检测中心' };
const LAB_B = { key: keyOf('lab B'), code: '202761070456', name: '汉中市农产品质量安全检验检测中心', cmaValidUntil: '2031-01-01' };
/** A registered lab the producer never commissioned and the regulator never designated: the report hijacker. */
const STRANGER = { key: keyOf('stranger lab'), code: '202761090789', name: '陕西省示例第三方检测有限公司', cmaValidUntil: '2028-05-31' };
const UNREGISTERED = keyOf('unregistered');
const PRODUCER = { code: USCC.producer, name: '紫阳县富硒茶业有限公司' };
/** Another producer, holding its own company prefix 6909999: its batch under PRODUCER's GTIN is the label hijack. */
const PRODUCER_B = { code: USCC.client, name: '平利县富硒茶叶合作社', key: keyOf('producer B') };

// The deployer's first three nonces create ParticipantRegistry, RevocationRegistry, then TraceLedger (server/chain/deploy.ts).
const PARTICIPANT_REGISTRY = getCreateAddress({ from: OPERATOR.address, nonce: 0 });
const REVOCATION_REGISTRY = getCreateAddress({ from: OPERATOR.address, nonce: 1 });
const TRACE_LEDGER = getCreateAddress({ from: OPERATOR.address, nonce: 2 });
/** What every verifier is configured with: the chain id and the TraceLedger, nothing else. */
const TRUST_ROOT = { chainId: CHAIN_ID, traceLedger: TRACE_LEDGER };
const BINDING = { chainId: CHAIN_ID, verifyingContract: TRACE_LEDGER };

/** Deterministic salts: SHA-256 of the record id and field name. */
function saltsOf(record: Record<string, unknown>): FieldSalts {
  return Object.fromEntries(
    Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .map((k) => [k, createHash('sha256').update(`vector salt:${String(record.id)}:${k}`).digest('hex').slice(0, 32)]),
  );
}

interface Made {
  type: RecordType;
  record: Record<string, unknown>;
  salts: FieldSalts;
  root: string;
  entry: ReturnType<typeof createLogEntry>;
  leaf: Uint8Array;
}

async function make(type: RecordType, record: Record<string, unknown>, signer: Wallet): Promise<Made> {
  const salts = saltsOf(record);
  const { root } = commitRecord(record, salts);
  const signature = await signRecord(signer, type, record as unknown as SignedView<typeof type>, root, BINDING);
  const entry = createLogEntry({ type, id: String(record.id), recordRoot: root, signer: signer.address, signature, issuedAt: String(record.issuedAt) });
  return { type, record, salts, root, entry, leaf: logEntryLeafHash(entry) };
}

const hex = (b: Uint8Array): string => `0x${toHex(b)}`;

/** A batch, the report and lab-commission bundles shown with it, and what verifyBatch MUST say about them. */
interface BatchVector {
  desc: string;
  batch: ProofBundle;
  reports: ProofBundle[];
  commissions: ProofBundle[];
  wantVerdict: Verdict;
  /** The claim's kind (server/verification/claim.ts) and the report it rests on. */
  wantClaim: ClaimKind;
  wantClaimReportId: string | null;
  /** Per report, in order: why it counts on the batch (null: nothing ties it to the producer or the regulator) and whether it does. */
  wantReports: { id: string; basis: ReportBasis | null; counted: boolean }[];
  /** Per commission, in order: its own verdict and whether it counts on the batch. */
  wantCommissions: { id: string; verdict: Verdict; counted: boolean }[];
}

interface Vector {
  desc: string;
  bundle: unknown;
  /** Product category of the batch, for classifying a report. */
  category?: string;
  wantVerdict: Verdict;
  wantFailedStep: string | null;
  wantTier?: string;
}

async function main(): Promise<void> {
  // Records, in log order.
  // Record ids are namespaced by their submitter: `{producer USCC}-…` for batches, `{lab CMA}-…` for reports.
  const BATCH_ID = `${PRODUCER.code}-VEC-BATCH-GTIN-0001`;
  const labId = (lab: { code: string }, local: string): string => `${lab.code}-${local}`;
  const batch = await make('Batch', parseRecord('Batch', batchInput({ id: BATCH_ID, reportIds: [labId(LAB_A, 'VEC-REPORT-0001')], commissionedLabs: [LAB_A.code] })) as never, OPERATOR);
  const { gtin: _gtin, ...noGtinInput } = batchInput({ id: `${PRODUCER.code}-VEC-BATCH-NOGTIN-001`, lot: 'VEC-NOGTIN-1', reportIds: [] });
  const batchNoGtin = await make('Batch', parseRecord('Batch', noGtinInput) as never, OPERATOR);
  const report = (local: string, o: Parameters<typeof reportInput>[0] = {}, lab: { code: string } = LAB_A) =>
    parseRecord('SeleniumTestReport', reportInput({ id: labId(lab, local), batchId: BATCH_ID, reportNumber: `AKSE-${local}`, ...o })) as never;
  const good = await make('SeleniumTestReport', report('VEC-REPORT-0001'), LAB_A.key);
  const perLitre = await make('SeleniumTestReport', report('VEC-REPORT-MGL-0001', { unit: 'mg/L', result: 0.021 }), LAB_A.key);
  // A unit outside the vocabulary: the schema refuses it at ingest, but a lab's own tooling could sign one.
  const unknownUnit = await make('SeleniumTestReport', { ...reportInput({ id: labId(LAB_A, 'VEC-REPORT-PPM-0001'), batchId: BATCH_ID, reportNumber: 'AKSE-PPM' }), unit: 'ppm' }, LAB_A.key);
  const revoked = await make('SeleniumTestReport', report('VEC-REPORT-REVOKED-1'), LAB_A.key);
  const otherRevoked = await make('SeleniumTestReport', report('VEC-REPORT-OTHERREV-1'), LAB_A.key);
  const unregistered = await make('SeleniumTestReport', report('VEC-REPORT-UNREG-0001'), UNREGISTERED);
  const impersonation = await make('SeleniumTestReport', report('VEC-REPORT-IMPERSON-1', {}, LAB_B), LAB_B.key); // names lab A's CMA (its id in lab B's own namespace)
  // Lab A's genuine key, its own name and CMA, but an id in lab B's namespace: squatting lab B's report id.
  const squatted = await make('SeleniumTestReport', report('VEC-REPORT-SQUAT-1', {}, LAB_B), LAB_A.key);
  // Lab A's own key and CMA number, but a grander lab name and an accreditation it does not have.
  const inflated = await make('SeleniumTestReport', report('VEC-REPORT-INFLATED-1', { lab: { ...reportInput().lab, name: '国家富硒产品质量检验检测中心', cmaValidUntil: '2031-12-31' } }), LAB_A.key);
  // Producer B's batch (its own id namespace and name) under producer A's GTIN 06901234567892: a label hijack the
  // operator attested (ingest refuses it as gtin-not-owned; a verifier must refuse it too).
  const hijack = await make(
    'Batch',
    parseRecord('Batch', batchInput({ id: `${PRODUCER_B.code}-VEC-BATCH-HIJACK-1`, lot: 'VEC-HIJACK-1', producer: { uscc: PRODUCER_B.code, name: PRODUCER_B.name }, reportIds: [] })) as never,
    OPERATOR,
  );
  // For the batch vectors (the report hijack): labs' reports on BATCH_ID that the batch does not list, in each
  // lab's own name, issued after lab A's and below GH/T 1135-2017's range for tea (so they would decide the claim).
  const ownReport = (lab: { code: string; name: string; cmaValidUntil: string }, local: string, issued: string, result: number) =>
    report(local, { lab: { ...reportInput().lab, name: lab.name, cmaNumber: lab.code, cmaValidUntil: lab.cmaValidUntil }, issuedAt: `${issued}T08:00:00Z`, issueDate: issued, result, conclusion: '所检项目硒含量低于 GH/T 1135-2017 富硒茶要求' }, lab);
  const strangerLow = await make('SeleniumTestReport', ownReport(STRANGER, 'VEC-REPORT-STRANGER-1', '2025-10-20', 0.05), STRANGER.key);
  const strangerRevoked = await make('SeleniumTestReport', ownReport(STRANGER, 'VEC-REPORT-STRANGER-REV-1', '2025-10-21', 0.04), STRANGER.key);
  const spotCheck = await make('SeleniumTestReport', ownReport(LAB_B, 'VEC-REPORT-SPOTCHECK-1', '2025-10-25', 0.12), LAB_B.key);
  // The producer commissions the stranger lab for the batch afterwards (attested by the operator, like the batch);
  // the same commission signed by producer B's registered key instead: valid on its own, but not the batch's attester.
  const commissionOf = (local: string) => parseRecord('LabCommission', { id: `${PRODUCER.code}-${local}`, issuedAt: '2025-10-22T00:00:00Z', batchId: BATCH_ID, labCmaNumber: STRANGER.code }) as never;
  const commission = await make('LabCommission', commissionOf('VEC-COMMISSION-0001'), OPERATOR);
  const forgedCommission = await make('LabCommission', commissionOf('VEC-COMMISSION-FORGED-1'), PRODUCER_B.key);
  const log = [batch, batchNoGtin, good, perLitre, unknownUnit, revoked, otherRevoked, unregistered, impersonation, inflated, squatted, hijack, strangerLow, strangerRevoked, spotCheck, commission, forgedCommission];
  const leaves = log.map((m) => m.leaf);
  const size = leaves.length;
  const root = hex(rootHash(leaves));
  const products = chainLogId('products');
  // Appended later and anchored in a second checkpoint two entries on (so the bundles above keep theirs, and
  // no checkpoint of size + 1 exists): reports whose recall a stranger lab tried to squat by "revoking" them
  // first, then recalled by their issuing lab, and by the regulator.
  const recalled = await make('SeleniumTestReport', report('VEC-REPORT-RECALLED-1'), LAB_A.key);
  const regulatorRecalled = await make('SeleniumTestReport', report('VEC-REPORT-RECALLED-2'), LAB_A.key);
  const grown = [...log, recalled, regulatorRecalled];
  const grownLeaves = grown.map((m) => m.leaf);
  const grownRoot = hex(rootHash(grownLeaves));

  const world: World = {
    format: 'traceledger-vector-world-v1',
    desc: 'The chain the bundle vectors verify against: replay it with test/support/vector-world.ts. Keys are test-only, derived from public labels.',
    chainId: CHAIN_ID,
    genesisTimestamp: GENESIS,
    operatorKey: ANVIL_DEV_KEYS[0],
    participants: [
      { kind: 'lab', code: LAB_A.code, name: LAB_A.name, accreditedFrom: GENESIS, accreditedUntil: LAB_CMA_UNTIL, keys: [{ privateKey: LAB_A.key.privateKey, validFrom: GENESIS, validTo: UNTIL }] },
      { kind: 'lab', code: LAB_B.code, name: LAB_B.name, accreditedFrom: GENESIS, accreditedUntil: UNTIL, keys: [{ privateKey: LAB_B.key.privateKey, validFrom: GENESIS, validTo: UNTIL }] },
      { kind: 'lab', code: STRANGER.code, name: STRANGER.name, accreditedFrom: GENESIS, accreditedUntil: LAB_CMA_UNTIL, keys: [{ privateKey: STRANGER.key.privateKey, validFrom: GENESIS, validTo: UNTIL }] },
      // The company prefix of the batches' GTIN (06901234567892): the producer holds it (checkProductOwner).
      { kind: 'producer', code: PRODUCER.code, name: PRODUCER.name, keys: [], productKeys: ['6901234'] },
      { kind: 'producer', code: PRODUCER_B.code, name: PRODUCER_B.name, keys: [{ privateKey: PRODUCER_B.key.privateKey, validFrom: GENESIS, validTo: UNTIL }], productKeys: ['6909999'] },
    ],
    // The regulator designates lab B for official spot checks (监督抽检): its reports count on any batch.
    spotChecks: [{ labCode: LAB_B.code, from: GENESIS, until: UNTIL }],
    anchors: [
      { chainLogId: products, size, root },
      { chainLogId: products, size: grown.length, root: grownRoot, consistencyProof: consistencyProof(grownLeaves, size).map(hex) },
    ],
    revocations: [
      { leafHash: hex(revoked.leaf), reasonCode: revocationReasonNumber('sample-mismatch'), byKey: null },
      { leafHash: hex(otherRevoked.leaf), reasonCode: revocationReasonNumber('fraud-suspected'), byKey: LAB_B.key.privateKey },
      // Lab B squats the recall of lab A's report first; lab A's own recall must still count.
      { leafHash: hex(recalled.leaf), reasonCode: revocationReasonNumber('fraud-suspected'), byKey: LAB_B.key.privateKey },
      { leafHash: hex(recalled.leaf), reasonCode: revocationReasonNumber('issued-in-error'), byKey: LAB_A.key.privateKey },
      { leafHash: hex(regulatorRecalled.leaf), reasonCode: revocationReasonNumber('fraud-suspected'), byKey: LAB_B.key.privateKey },
      { leafHash: hex(regulatorRecalled.leaf), reasonCode: revocationReasonNumber('sample-mismatch'), byKey: null },
      // The stranger lab recalls its own report on the batch (an issuer's recall: the report is revoked).
      { leafHash: hex(strangerRevoked.leaf), reasonCode: revocationReasonNumber('issued-in-error'), byKey: STRANGER.key.privateKey },
    ],
  };

  /** A bundle to the first checkpoint, or to the second for a record appended after it. */
  const bundleOf = (m: Made): ProofBundle => {
    const inFirst = log.includes(m);
    const [ls, r] = inFirst ? [leaves, root] : [grownLeaves, grownRoot];
    const index = grown.indexOf(m);
    const set = disclosePublicFields(m.type, m.record, m.salts);
    return {
      format: BUNDLE_FORMAT,
      record: { type: m.type, id: m.entry.id, recordRoot: m.root, leafCount: set.leafCount, disclosures: set.disclosures },
      entry: { ...m.entry },
      log: { logId: 'products', chainLogId: products, leafIndex: index, leafHash: hex(m.leaf), inclusionProof: inclusionProof(ls, index).map(hex) },
      checkpoint: { size: ls.length, root: r, txHash: null, blockNumber: null, blockTime: null },
      chain: { chainId: CHAIN_ID, traceLedger: TRACE_LEDGER, participantRegistry: PARTICIPANT_REGISTRY, revocationRegistry: REVOCATION_REGISTRY },
    };
  };
  const copy = (b: ProofBundle): ProofBundle => JSON.parse(JSON.stringify(b)) as ProofBundle;
  const edit = (m: Made, f: (b: ProofBundle) => void): ProofBundle => {
    const b = copy(bundleOf(m));
    f(b);
    return b;
  };
  const disclosure = (b: ProofBundle, name: string) => b.record.disclosures.find((d) => d.name === name)!;

  // A checkpoint that is consistent with the bundle but was never anchored: the log plus one more entry.
  const longer = [...leaves, leafHash(new TextEncoder().encode('an entry the chain never saw'))];
  // The same report message, signed by a key that is not the stated signer.
  const forged = await signRecord(UNREGISTERED, 'SeleniumTestReport', good.record as never, good.root, BINDING);

  const vectors: Record<string, Vector> = {
    'valid-report': { desc: "A genuine lab report, anchored, signed by a registered lab's key naming that lab.", bundle: bundleOf(good), category: 'tea', wantVerdict: 'valid', wantFailedStep: null, wantTier: 'selenium-rich' },
    'valid-batch': { desc: 'A genuine batch with a GTIN, registered by the operator for its producer.', bundle: bundleOf(batch), wantVerdict: 'valid', wantFailedStep: null },
    'missing-optional-field-no-gtin': { desc: 'A genuine batch registered without a GTIN (optional): the message carries an empty GTIN; it is valid.', bundle: bundleOf(batchNoGtin), wantVerdict: 'valid', wantFailedStep: null },
    'unit-per-litre': { desc: 'A genuine report in mg/L: no selenium standard is per volume, so "no standard applies", and the record is valid.', bundle: bundleOf(perLitre), category: 'tea', wantVerdict: 'valid', wantFailedStep: null, wantTier: 'no-standard' },
    'unknown-unit': { desc: 'A genuine, signed report in a unit outside the vocabulary (ppm): valid record, no applicable standard.', bundle: bundleOf(unknownUnit), category: 'tea', wantVerdict: 'valid', wantFailedStep: null, wantTier: 'no-standard' },
    'revoked-by-regulator': { desc: 'A genuine report the regulator revoked on chain.', bundle: bundleOf(revoked), category: 'tea', wantVerdict: 'revoked', wantFailedStep: 'checkNotRevoked' },
    'revoked-by-another-lab': { desc: 'A genuine report that a lab which did not issue it "revoked": such a revocation does not count.', bundle: bundleOf(otherRevoked), category: 'tea', wantVerdict: 'valid', wantFailedStep: null },
    'revoked-by-issuer-after-stranger': {
      desc: 'A genuine report that another lab "revoked" first (squatting the recall), then its issuing lab recalled: the issuer\'s recall counts.',
      bundle: bundleOf(recalled),
      category: 'tea',
      wantVerdict: 'revoked',
      wantFailedStep: 'checkNotRevoked',
    },
    'revoked-by-regulator-after-stranger': {
      desc: 'A genuine report that another lab "revoked" first (squatting the recall), then the regulator recalled: the regulator\'s recall counts.',
      bundle: bundleOf(regulatorRecalled),
      category: 'tea',
      wantVerdict: 'revoked',
      wantFailedStep: 'checkNotRevoked',
    },
    'tampered-field': { desc: 'The disclosed selenium result was raised after signing.', bundle: edit(good, (b) => void (disclosure(b, 'result').value = 0.99)), category: 'tea', wantVerdict: 'invalid', wantFailedStep: 'checkFieldDisclosures' },
    'swapped-salt': {
      desc: 'Two disclosed fields swapped their salts.',
      bundle: edit(good, (b) => {
        const [x, y] = b.record.disclosures;
        [x!.salt, y!.salt] = [y!.salt, x!.salt];
      }),
      wantVerdict: 'invalid',
      wantFailedStep: 'checkFieldDisclosures',
    },
    'withheld-signed-field': { desc: "The bundle leaves out a signed field (the lab's conclusion), so the signed message cannot be rebuilt.", bundle: edit(good, (b) => void (b.record.disclosures = b.record.disclosures.filter((d) => d.name !== 'conclusion'))), wantVerdict: 'invalid', wantFailedStep: 'checkSigner' },
    'signature-replaced': { desc: "The lab's signature was replaced by another key's signature over the same report.", bundle: edit(good, (b) => void (b.entry.signature = forged)), wantVerdict: 'invalid', wantFailedStep: 'checkSigner' },
    'signer-not-registered': { desc: 'A report signed (and logged) by a key no registry knows.', bundle: bundleOf(unregistered), wantVerdict: 'invalid', wantFailedStep: 'checkSigner' },
    'lab-impersonation': { desc: "Lab B's registered key signed a report naming lab A's name and CMA number.", bundle: bundleOf(impersonation), wantVerdict: 'invalid', wantFailedStep: 'checkLabIdentity' },
    'label-hijack': {
      desc: "Producer B's batch (in its own id namespace, attested by the operator) under GTIN 06901234567892, whose company prefix 6901234 the registrar assigned to producer A.",
      bundle: bundleOf(hijack),
      wantVerdict: 'invalid',
      wantFailedStep: 'checkProductOwner',
    },
    'id-squatting': { desc: "Lab A's registered key signed a report in its own name whose id is in lab B's namespace (lab B's CMA number, then \"-\").", bundle: bundleOf(squatted), wantVerdict: 'invalid', wantFailedStep: 'checkRecordId' },
    'lab-details-inflated': { desc: "Lab A's key and CMA number, but the report states another lab's name and a longer accreditation than registered.", bundle: bundleOf(inflated), wantVerdict: 'invalid', wantFailedStep: 'checkLabIdentity' },
    'wrong-chain': { desc: 'The bundle claims another chain id than the trusted one.', bundle: edit(good, (b) => void (b.chain.chainId = 1)), wantVerdict: 'invalid', wantFailedStep: 'checkTrustRoot' },
    'wrong-contract': { desc: 'The bundle names another TraceLedger contract than the trusted one.', bundle: edit(good, (b) => void (b.chain.traceLedger = '0x000000000000000000000000000000000000dEaD')), wantVerdict: 'invalid', wantFailedStep: 'checkTrustRoot' },
    'registries-from-bundle': {
      desc: 'A revoked report whose bundle points at other (empty) registries: verifiers read the registries from the trusted TraceLedger, never from the bundle, so it stays revoked.',
      bundle: edit(revoked, (b) => {
        b.chain.revocationRegistry = '0x000000000000000000000000000000000000dEaD';
        b.chain.participantRegistry = '0x000000000000000000000000000000000000bEEF';
      }),
      category: 'tea',
      wantVerdict: 'revoked',
      wantFailedStep: 'checkNotRevoked',
    },
    'wrong-leaf-hash': { desc: "The bundle's leaf hash is not the hash of its log entry.", bundle: edit(good, (b) => void (b.log.leafHash = hex(leafHash(new TextEncoder().encode('another entry'))))), wantVerdict: 'invalid', wantFailedStep: 'computeLeafHash' },
    'truncated-proof': { desc: 'The inclusion proof lost its last hash.', bundle: edit(good, (b) => void b.log.inclusionProof.pop()), wantVerdict: 'invalid', wantFailedStep: 'checkInclusion' },
    'wrong-checkpoint': {
      desc: 'A self-consistent checkpoint (the log plus one entry) that the chain never anchored.',
      bundle: edit(good, (b) => {
        b.checkpoint = { size: longer.length, root: hex(rootHash(longer)), txHash: null, blockNumber: null, blockTime: null };
        b.log.inclusionProof = inclusionProof(longer, log.indexOf(good)).map(hex);
      }),
      wantVerdict: 'invalid',
      wantFailedStep: 'checkCheckpointOnChain',
    },
    'pending-not-anchored': {
      desc: 'A genuine report accepted but not yet in an anchored checkpoint.',
      bundle: edit(good, (b) => {
        b.checkpoint = null;
        b.log.leafIndex = null;
        b.log.inclusionProof = [];
      }),
      wantVerdict: 'pending',
      wantFailedStep: null,
    },
    'unknown-entry-version': { desc: 'The log entry declares version 2, which this reader does not know.', bundle: edit(good, (b) => void (b.entry.v = 2)), wantVerdict: 'invalid', wantFailedStep: 'parseBundle' },
    'unknown-bundle-format': { desc: 'The bundle declares format traceledger-proof-v2.', bundle: edit(good, (b) => void ((b as { format: string }).format = 'traceledger-proof-v2')), wantVerdict: 'invalid', wantFailedStep: 'parseBundle' },
  };

  const idOf = (m: Made): string => m.entry.id;
  const goodListed = { id: idOf(good), basis: 'listed', counted: true } as const;
  const batchVectors: Record<string, BatchVector> = {
    'report-hijack-stranger': {
      desc: "A genuine batch with its commissioned lab's in-range report, shown with a stranger lab's genuine, newer, below-range report on the same batch: the stranger's report is set aside (no consent, no spot-check designation), so the page stays valid and the claim rests on the commissioned report.",
      batch: bundleOf(batch),
      reports: [bundleOf(good), bundleOf(strangerLow)],
      commissions: [],
      wantVerdict: 'valid',
      wantClaim: 'selenium-rich',
      wantClaimReportId: idOf(good),
      wantReports: [goodListed, { id: idOf(strangerLow), basis: null, counted: false }],
      wantCommissions: [],
    },
    'report-hijack-stranger-revoked': {
      desc: "As report-hijack-stranger, but the stranger lab recalled its own report on chain (the report is revoked): a report that does not count cannot revoke the page either, which stays valid and selenium-rich.",
      batch: bundleOf(batch),
      reports: [bundleOf(good), bundleOf(strangerRevoked)],
      commissions: [],
      wantVerdict: 'valid',
      wantClaim: 'selenium-rich',
      wantClaimReportId: idOf(good),
      wantReports: [goodListed, { id: idOf(strangerRevoked), basis: null, counted: false }],
      wantCommissions: [],
    },
    'report-hijack-tampered': {
      desc: "The stranger lab's report with its selenium result edited after signing: a bundle that fails verification cannot show whose report it is, so it counts, and the page is invalid.",
      batch: bundleOf(batch),
      reports: [bundleOf(good), edit(strangerLow, (b) => void (disclosure(b, 'result').value = 0.5))],
      commissions: [],
      wantVerdict: 'invalid',
      wantClaim: 'invalid',
      wantClaimReportId: null,
      wantReports: [goodListed, { id: idOf(strangerLow), basis: null, counted: true }],
      wantCommissions: [],
    },
    'commissioned-later': {
      desc: "The stranger lab's below-range report once the producer commissioned that lab for the batch afterwards (a LabCommission attested by the operator, like the batch): it counts, and being the newest report it decides the claim.",
      batch: bundleOf(batch),
      reports: [bundleOf(good), bundleOf(strangerLow)],
      commissions: [bundleOf(commission)],
      wantVerdict: 'valid',
      wantClaim: 'below-range',
      wantClaimReportId: idOf(strangerLow),
      wantReports: [goodListed, { id: idOf(strangerLow), basis: 'commissioned', counted: true }],
      wantCommissions: [{ id: idOf(commission), verdict: 'valid', counted: true }],
    },
    'commission-forged': {
      desc: "The same commission of the stranger lab, but signed by producer B's registered key (valid as a record on its own), not by the key that attested the batch (the operator): it does not count, nor does the stranger's report.",
      batch: bundleOf(batch),
      reports: [bundleOf(good), bundleOf(strangerLow)],
      commissions: [bundleOf(forgedCommission)],
      wantVerdict: 'valid',
      wantClaim: 'selenium-rich',
      wantClaimReportId: idOf(good),
      wantReports: [goodListed, { id: idOf(strangerLow), basis: null, counted: false }],
      wantCommissions: [{ id: idOf(forgedCommission), verdict: 'valid', counted: false }],
    },
    'spot-check': {
      desc: "Lab B's below-range report on the batch, which neither lists nor commissioned lab B, issued while the regulator had designated lab B for spot checks (read on chain): it counts by authority, and being the newest it decides the claim.",
      batch: bundleOf(batch),
      reports: [bundleOf(good), bundleOf(spotCheck)],
      commissions: [],
      wantVerdict: 'valid',
      wantClaim: 'below-range',
      wantClaimReportId: idOf(spotCheck),
      wantReports: [goodListed, { id: idOf(spotCheck), basis: 'spot-check', counted: true }],
      wantCommissions: [],
    },
  };

  // Replay the world and hold the server verifier to every vector before writing anything.
  const replayed = await replayWorld(world);
  try {
    if (replayed.deployment.traceLedger.toLowerCase() !== TRACE_LEDGER.toLowerCase()) throw new Error(`TraceLedger deployed at ${replayed.deployment.traceLedger}, expected ${TRACE_LEDGER}`);
    const disagreements: string[] = [];
    for (const [name, v] of Object.entries(vectors)) {
      const b = v.bundle as ProofBundle;
      const chain = await RpcChainReader.forTrustRoot(replayed.rpcUrl, TRACE_LEDGER);
      const got = await verifyBundle(b, { chain, category: v.category, trustRoot: TRUST_ROOT });
      chain.destroy();
      if (got.verdict !== v.wantVerdict || got.failedStep !== v.wantFailedStep || (v.wantTier !== undefined && got.classification?.tier !== v.wantTier)) {
        disagreements.push(`${name}: want ${v.wantVerdict}/${v.wantFailedStep}/${v.wantTier ?? '-'}, got ${got.verdict}/${got.failedStep}/${got.classification?.tier ?? '-'} ${JSON.stringify(got.steps.filter((s) => s.status !== 'passed').map((s) => `${s.step}:${s.message}`))}`);
      }
    }
    for (const [name, v] of Object.entries(batchVectors)) {
      const chain = await RpcChainReader.forTrustRoot(replayed.rpcUrl, TRACE_LEDGER);
      const got = await verifyBatch({ batch: v.batch, reports: v.reports, commissions: v.commissions }, { chain, trustRoot: TRUST_ROOT });
      chain.destroy();
      const want = JSON.stringify(batchOutcome(v));
      const have = JSON.stringify({
        verdict: got.verdict,
        claim: got.claim.kind,
        claimReportId: got.claim.reportId,
        reports: got.reports.map((r) => ({ id: r.result.record?.id ?? null, basis: r.basis, counted: r.counted })),
        commissions: got.commissions.map((c) => ({ id: c.result.record?.id ?? null, verdict: c.result.verdict, counted: c.counted })),
      });
      if (have !== want) disagreements.push(`batch ${name}: want ${want}, got ${have}`);
    }
    if (disagreements.length > 0) throw new Error(`the server verifier disagrees:\n${disagreements.join('\n')}`);
  } finally {
    await replayed.stop();
  }

  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'world.json'), `${JSON.stringify(world, null, 2)}\n`);
  for (const [name, v] of Object.entries(vectors)) fs.writeFileSync(path.join(OUT, `${name}.json`), `${JSON.stringify(v, null, 2)}\n`);
  console.log(`wrote ${Object.keys(vectors).length} vectors and world.json to ${OUT}`);
  fs.mkdirSync(BATCHES_OUT, { recursive: true });
  for (const [name, v] of Object.entries(batchVectors)) fs.writeFileSync(path.join(BATCHES_OUT, `${name}.json`), `${JSON.stringify(v, null, 2)}\n`);
  console.log(`wrote ${Object.keys(batchVectors).length} batch vectors to ${BATCHES_OUT}`);
}

/** A batch vector's expectation in the shape the check compares (the same keys, in the same order, as what verifyBatch gave). */
function batchOutcome(v: BatchVector) {
  return { verdict: v.wantVerdict, claim: v.wantClaim, claimReportId: v.wantClaimReportId, reports: v.wantReports, commissions: v.wantCommissions };
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
