/**
 * Public API of data-sharing trails, for the HTTP routes, the CLI and the auditor console:
 * lifecycle rules at ingest, signed receipts, trail reading and verification, the log monitor,
 * dataset checks and policy alerts.
 */
export { SHARE_TRAIL_FIELDS, withholdShareDetails } from './details';
export { ShareLifecycle, trailHead, departmentIdOf, type TrailHead } from './lifecycle';
export { CachedReceipts, CachedTrailVerifier, LruCache, ANSWER_CACHE_ENTRIES } from './answer-cache';
export {
  RECEIPT_FORMAT,
  RECEIPT_EIP712_TYPES,
  ReceiptSchema,
  parseReceipt,
  receiptTypedData,
  signReceipt,
  receiptSigner,
  getReceipt,
  awaitReceipt,
  storeInclusionFetcher,
  checkReceipt,
  type SignedReceipt,
  type ReceiptFields,
  type TypedDataSigner,
  type ReceiptIssuer,
  type ServedInclusion,
  type FetchInclusion,
  type ReceiptStatus,
  type ReceiptCheck,
  type ReceiptCheckDeps,
} from './receipts';
export {
  TRAIL_LOG,
  TRAIL_STEPS,
  listDepartments,
  getTrail,
  verifyTrail,
  assertKnownDepartment,
  TrailStepError,
  type DepartmentTrailSummary,
  type Trail,
  type TrailEntry,
  type TrailEntryStatus,
  type TrailRange,
  type TrailDeps,
  type TrailVerification,
  type TrailStepName,
  type TrailStepStatus,
  type TrailStepResult,
  type TrailProblem,
} from './trail';
export { monitorLog, followLog, type MonitorDeps, type MonitorReport, type MonitorOk, type MonitorDivergence, type DivergenceReason, type FollowOptions } from './monitor';
export { sha256File, sha256Stream, checkDelivery, type StreamDigest, type DeliveryCheck } from './dataset';
export { ALERT_KINDS, listAlerts, type Alert, type AlertKind, type AlertSeverity, type AlertOptions } from './alerts';
export { SHARE_TYPES, isShareType, type ShareType } from './recompute';
