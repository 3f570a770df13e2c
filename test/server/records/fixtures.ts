/** Reusable fixtures: valid records of every type, a signed log entry, and a complete data-sharing trail. */
import { expect } from 'chai';
import { Wallet, hexlify, randomBytes } from 'ethers';
import {
  RecordError,
  type RecordErrorCode,
  GENESIS_PREV_HASH,
  commitRecord,
  createLogEntry,
  logEntryLeafHash,
  nowSeconds,
  parseRecord,
  secondsToInstant,
  signRecord,
  toHex0x,
  typedDataFor,
  type Batch,
  type BatchInput,
  type ChainBinding,
  type Hex,
  type LogEntry,
  type RecordCommitment,
  type RecordOf,
  type RecordType,
  type RecordTypedData,
  type LabCommission,
  type Revocation,
  type SeleniumTestReport,
  type SeleniumTestReportInput,
  type ShareDelivery,
  type ShareReceipt,
  type ShareReply,
  type ShareRequest,
} from '../../../server/records';

/** Unified social credit codes with valid GB 32100-2015 check characters (synthetic, not real entities). */
export const USCC = {
  producer: '91610924MA6YAB3K2L',
  lab: '12610900MB1234567G',
  client: '91610900MA70A1234C',
  requestingDepartment: '11610900MB0F12345D',
  providingDepartment: '11610900MB0G23456Q',
} as const;

/** A hardhat/anvil-like chain binding. */
export const TEST_BINDING: ChainBinding = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };

const SHA_A = `0x${'ab'.repeat(32)}`;
const SHA_B = `0x${'5e'.repeat(32)}`;

/** Runs `fn`, asserts it throws a RecordError with `code`, and returns the error for further assertions. */
export function expectRecordError(fn: () => unknown, code: RecordErrorCode): RecordError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a RecordError to be thrown').to.be.instanceOf(RecordError);
  const error = thrown as RecordError;
  expect(error.code, error.message).to.equal(code);
  return error;
}

/** A fresh wallet from a random key (cheaper than Wallet.createRandom, which derives a mnemonic). */
export function randomWallet(): Wallet {
  return new Wallet(hexlify(randomBytes(32)));
}

/**
 * Now (whole seconds), moved by `offsetSeconds`, as the instant records use. The fixtures below keep
 * fixed 2025 dates for pure record tests; a record submitted to a running system must be issued
 * close to its receipt time (ingest refuses an issuedAt outside ISSUED_AT_MAX_AGE_SECONDS /
 * ISSUED_AT_MAX_AHEAD_SECONDS), so give it `issuedAt: issuedNow()`.
 */
export const issuedNow = (offsetSeconds = 0): string => secondsToInstant(nowSeconds() + offsetSeconds);

/** Raw input of a valid batch (GTIN-13, China prefix) with its 承诺达标合格证. */
export function batchInput(overrides: Partial<BatchInput> = {}): BatchInput {
  return {
    id: '01JB5Q7V3M9X2K4N6P8R0T2W4Y',
    issuedAt: '2025-10-08T02:30:00Z',
    gtin: '6901234567892',
    lot: 'ZY-2025-09A',
    producer: { uscc: USCC.producer, name: '紫阳县富硒茶业有限公司' },
    origin: { countyCode: '610924', townCode: '610924100', name: '陕西省安康市紫阳县城关镇' },
    productionDate: { kind: 'harvest', date: '2025-09-20' },
    quantity: { value: 500, unit: 'kg' },
    productCategory: 'tea',
    reportIds: ['01JB5QA1RPT000000000000001'],
    certificate: {
      productName: '紫阳富硒绿茶',
      quantity: { value: 500, unit: 'kg' },
      origin: '陕西省安康市紫阳县',
      issuedAt: '2025-10-08T02:00:00Z',
      commitments: ['不使用禁用农药兽药、停用兽药和非法添加物', '常规农药兽药残留不超标'],
      basis: ['self-test', 'commissioned-test'],
    },
    certificateIssuer: { committingParty: '紫阳县富硒茶业有限公司', committingPartyUscc: USCC.producer, contactPerson: '张伟', phone: '+86 915 4321 000' },
    ...overrides,
  };
}

let lots = 0;
/** A lot number no other batch of this test run has (GTIN + lot names one batch). */
export const freshLot = (): string => `ZY-${(Date.now() % 1e9).toString(36)}-${++lots}`;

/**
 * {@link batchInput} issued now, its id in the producer's namespace (`{USCC}-…`) and with a fresh lot
 * (GTIN + lot is unique): a batch to submit to a running system.
 */
export function batchInputNow(overrides: Partial<BatchInput> = {}): BatchInput {
  return batchInput({ id: `${USCC.producer}-${batchInput().id}`, lot: freshLot(), issuedAt: issuedNow(), ...overrides });
}

/** A valid, parsed batch. */
export function buildBatch(overrides: Partial<BatchInput> = {}): Batch {
  return parseRecord('Batch', batchInput(overrides));
}

/** Raw input of a valid selenium test report for {@link buildBatch}'s batch. */
export function reportInput(overrides: Partial<SeleniumTestReportInput> = {}): SeleniumTestReportInput {
  return {
    id: '01JB5QA1RPT000000000000001',
    issuedAt: '2025-10-06T08:00:00Z',
    reportNumber: 'AKSE-2025-01234',
    lab: {
      name: '安康市富硒产品质量检验检测中心',
      address: '陕西省安康市汉滨区高新区科技路1号',
      cmaNumber: '202727050123',
      cmaValidUntil: '2028-05-31',
      cnasNumber: 'CNAS L12345',
    },
    client: { name: '紫阳县富硒茶业有限公司', address: '陕西省安康市紫阳县城关镇茶园路8号', phone: '0915-4321000' },
    sample: { id: 'S2025-0917', name: '富硒绿茶', state: '固体，绿色条索，密封完好' },
    sampling: { by: '李娜', method: 'GB/T 8302 取样', date: '2025-09-22', place: '紫阳县城关镇茶厂成品库' },
    receivedDate: '2025-09-23',
    testDates: { from: '2025-09-24', to: '2025-09-28' },
    issueDate: '2025-10-06',
    methodStandard: 'GB 5009.93-2017 第一法',
    analyte: 'Se',
    result: 0.35,
    unit: 'mg/kg',
    lod: 0.002,
    loq: 0.006,
    uncertainty: { value: 0.03, k: 2 },
    specificationStandard: 'GH/T 1135-2017',
    conclusion: '所检项目符合 GH/T 1135-2017 富硒茶要求',
    signatories: { tester: '王芳', reviewer: '陈强', approver: '刘洋' },
    reportPdfSha256: SHA_A,
    batchId: '01JB5Q7V3M9X2K4N6P8R0T2W4Y',
    ...overrides,
  };
}

/** A valid, parsed selenium test report. */
export function buildReport(overrides: Partial<SeleniumTestReportInput> = {}): SeleniumTestReport {
  return parseRecord('SeleniumTestReport', reportInput(overrides));
}

const departments = {
  requestingDepartment: { name: '安康市市场监督管理局', uscc: USCC.requestingDepartment },
  providingDepartment: { name: '安康市农业农村局', uscc: USCC.providingDepartment },
  catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
};

/** A valid share request: step 1, seq 1 of the requesting department. */
export function buildShareRequest(overrides: Partial<ShareRequest> = {}): ShareRequest {
  return parseRecord('ShareRequest', {
    id: 'share-req-0001',
    issuedAt: '2025-10-09T01:00:00Z',
    departmentId: USCC.requestingDepartment,
    seq: 1,
    prevHash: GENESIS_PREV_HASH,
    ...departments,
    step: 'request',
    shareClass: 'conditional',
    legalBasis: '《政务数据共享条例》第十五条',
    purpose: '富硒产品抽检结果与产地备案信息比对',
    scenario: '市场监管部门对富硒茶产品开展质量抽检',
    fieldsRequested: ['producerUscc', 'origin', 'plantingArea'],
    scope: '安康市紫阳县 2025 年备案茶园',
    method: 'api',
    validity: { from: '2025-10-10T00:00:00Z', to: '2026-10-09T16:00:00Z' },
    requestedAt: '2025-10-09T01:00:00Z',
    securityLevel: 'general',
    requestingOfficer: { name: '赵敏', title: '科长', phone: '0915-3210000' },
    ...overrides,
  });
}

/** A valid approving reply: step 2, seq 1 of the providing department. */
export function buildShareReply(overrides: Partial<ShareReply> = {}): ShareReply {
  return parseRecord('ShareReply', {
    id: 'share-rep-0001',
    issuedAt: '2025-10-10T02:00:00Z',
    departmentId: USCC.providingDepartment,
    seq: 1,
    prevHash: GENESIS_PREV_HASH,
    ...departments,
    step: 'reply',
    requestId: 'share-req-0001',
    reply: { time: '2025-10-10T02:00:00Z', decision: 'approve' },
    fieldsApproved: ['producerUscc', 'origin'],
    conditions: '仅用于抽检比对，不得向第三方提供',
    method: 'api',
    validity: { from: '2025-10-10T00:00:00Z', to: '2026-04-09T16:00:00Z' },
    securityLevel: 'general',
    providingOfficer: { name: '孙磊', title: '主任' },
    ...overrides,
  });
}

/** A valid delivery: step 3, seq 2 of the providing department (prevHash is a placeholder unless given). */
export function buildShareDelivery(overrides: Partial<ShareDelivery> = {}): ShareDelivery {
  return parseRecord('ShareDelivery', {
    id: 'share-del-0001',
    issuedAt: '2025-10-11T03:00:00Z',
    departmentId: USCC.providingDepartment,
    seq: 2,
    prevHash: `0x${'11'.repeat(32)}`,
    ...departments,
    step: 'delivery',
    requestId: 'share-req-0001',
    replyId: 'share-rep-0001',
    fieldsDelivered: ['producerUscc', 'origin'],
    method: 'api',
    delivery: { dataSha256: SHA_B, rowCount: 1287, deliveredAt: '2025-10-11T03:00:00Z' },
    providingOfficer: { name: '孙磊', title: '主任' },
    ...overrides,
  });
}

/** A valid receipt: step 4, seq 2 of the requesting department (prevHash is a placeholder unless given). */
export function buildShareReceipt(overrides: Partial<ShareReceipt> = {}): ShareReceipt {
  return parseRecord('ShareReceipt', {
    id: 'share-rcp-0001',
    issuedAt: '2025-10-11T05:00:00Z',
    departmentId: USCC.requestingDepartment,
    seq: 2,
    prevHash: `0x${'22'.repeat(32)}`,
    ...departments,
    step: 'receipt',
    requestId: 'share-req-0001',
    deliveryId: 'share-del-0001',
    received: { dataSha256: SHA_B, rowCount: 1287, receivedAt: '2025-10-11T04:59:00Z' },
    requestingOfficer: { name: '赵敏', title: '科长' },
    ...overrides,
  });
}

/** A valid revocation of {@link buildReport}'s report. */
export function buildRevocation(overrides: Partial<Revocation> = {}): Revocation {
  return parseRecord('Revocation', {
    id: 'revoke-0001',
    issuedAt: '2025-11-01T00:00:00Z',
    targetRecordId: '01JB5QA1RPT000000000000001',
    targetLeafHash: `0x${'cd'.repeat(32)}`,
    reasonCode: 'sample-mismatch',
    reasonText: '复检发现送检样品与批次不符',
    revokedAt: '2025-11-01T00:00:00Z',
    ...overrides,
  });
}

/** A valid commission of {@link buildReport}'s lab for {@link buildBatch}'s batch. */
export function buildLabCommission(overrides: Partial<LabCommission> = {}): LabCommission {
  return parseRecord('LabCommission', {
    id: 'commission-0001',
    issuedAt: '2025-10-08T03:00:00Z',
    batchId: '01JB5Q7V3M9X2K4N6P8R0T2W4Y',
    labCmaNumber: '202727050123',
    ...overrides,
  });
}

/** One valid record of each type. */
export const RECORD_BUILDERS: { readonly [T in RecordType]: () => RecordOf<T> } = {
  Batch: () => buildBatch(),
  SeleniumTestReport: () => buildReport(),
  ShareRequest: () => buildShareRequest(),
  ShareReply: () => buildShareReply(),
  ShareDelivery: () => buildShareDelivery(),
  ShareReceipt: () => buildShareReceipt(),
  Revocation: () => buildRevocation(),
  LabCommission: () => buildLabCommission(),
};

/** A record committed, signed and wrapped in its log entry. */
export interface SignedRecord<T extends RecordType = RecordType> {
  type: T;
  record: RecordOf<T>;
  commitment: RecordCommitment;
  typedData: RecordTypedData<T>;
  signature: Hex;
  entry: LogEntry;
  /** The entry's RFC 6962 leaf hash as bytes32 hex (what the next record of a department puts in prevHash). */
  leafHash: Hex;
}

/** Commits, signs and logs `record` the way the server does (parse → commit → EIP-712 → log entry). */
export async function signAndLog<T extends RecordType>(
  type: T,
  record: RecordOf<T>,
  wallet: Wallet,
  binding: ChainBinding = TEST_BINDING,
): Promise<SignedRecord<T>> {
  const commitment = commitRecord(record);
  const typedData = typedDataFor(type, record, commitment.root, binding);
  const signature = await signRecord(wallet, type, record, commitment.root, binding);
  const entry = createLogEntry({ type, id: record.id, recordRoot: commitment.root, signer: wallet.address, signature, issuedAt: record.issuedAt });
  return { type, record, commitment, typedData, signature, entry, leafHash: toHex0x(logEntryLeafHash(entry)) };
}

/** A complete share: request and receipt by the requesting department (seq 1, 2), reply and delivery by the providing one (seq 1, 2), with real prevHash links. */
export async function buildShareTrail(requester: Wallet = randomWallet(), provider: Wallet = randomWallet()) {
  const request = await signAndLog('ShareRequest', buildShareRequest(), requester);
  const reply = await signAndLog('ShareReply', buildShareReply(), provider);
  const delivery = await signAndLog('ShareDelivery', buildShareDelivery({ prevHash: reply.leafHash }), provider);
  const receipt = await signAndLog('ShareReceipt', buildShareReceipt({ prevHash: request.leafHash }), requester);
  return { requester, provider, request, reply, delivery, receipt };
}
