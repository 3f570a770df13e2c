/**
 * Every sentence a verifier says, in Chinese and English, declared once: step titles, statuses, verdicts,
 * and one message per outcome of every step. A step result carries a message `code` (a key of
 * {@link MESSAGES}) and its `params`; each surface renders it in its reader's language.
 */
import type { REVOCATION_REASONS } from '../records/record-types';

export type Lang = 'zh' | 'en';
export const LANGS: readonly Lang[] = ['zh', 'en'];

/** Every step the record verifier runs, in the order they appear (the trail steps are in ./trail-messages). */
export const STEP_TITLES = {
  parseBundle: { zh: '读取证明包', en: 'Read the proof bundle' },
  checkTrustRoot: { zh: '核对信任根', en: 'Check the trust root' },
  checkFieldDisclosures: { zh: '核对公开字段', en: 'Check the disclosed fields' },
  checkSigner: { zh: '核对签名者', en: 'Check the signer' },
  checkRecordId: { zh: '核对记录编号归属', en: "Check the record id's namespace" },
  checkProductOwner: { zh: '核对商品条码归属', en: 'Check who owns the GTIN' },
  computeLeafHash: { zh: '计算记录哈希', en: 'Compute the record hash' },
  checkInclusion: { zh: '核对日志包含证明', en: 'Check the log inclusion proof' },
  checkCheckpointOnChain: { zh: '核对链上检查点', en: 'Check the checkpoint on chain' },
  checkLabIdentity: { zh: '核对检测机构身份', en: "Check the lab's identity" },
  checkNotRevoked: { zh: '核对是否撤销', en: 'Check for revocation' },
  classifySelenium: { zh: '硒含量分级', en: 'Classify the selenium result' },
  checkReportSubject: { zh: '核对报告对应批次', en: 'Check the report is for this batch' },
  checkReportBasis: { zh: '核对生产者委托或监督抽检', en: "Check the producer's commission or an official spot check" },
} as const satisfies Record<string, Record<Lang, string>>;
export type AnyStepName = keyof typeof STEP_TITLES;

export const STATUS_WORDS = {
  passed: { zh: '通过', en: 'passed' },
  failed: { zh: '未通过', en: 'failed' },
  pending: { zh: '等待', en: 'pending' },
  skipped: { zh: '跳过', en: 'skipped' },
} as const satisfies Record<string, Record<Lang, string>>;

export const VERDICT_WORDS = {
  valid: { zh: '已验证', en: 'Verified' },
  pending: { zh: '待上链', en: 'Pending' },
  invalid: { zh: '验证失败', en: 'Verification failed' },
  revoked: { zh: '已撤销', en: 'Revoked' },
} as const satisfies Record<string, Record<Lang, string>>;

const ROLE_WORDS: Record<string, Record<Lang, string>> = {
  lab: { zh: '检测机构', en: 'lab' },
  producer: { zh: '生产者', en: 'producer' },
  department: { zh: '政府部门', en: 'department' },
};

/** Revocation reasons, by the name REVOCATION_REASONS gives them. */
export const REVOCATION_REASON_WORDS: Record<(typeof REVOCATION_REASONS)[number] | 'unknown', Record<Lang, string>> = {
  'issued-in-error': { zh: '误签发', en: 'issued in error' },
  superseded: { zh: '已被新报告取代', en: 'superseded by a new report' },
  'sample-mismatch': { zh: '样品不符', en: 'sample mismatch' },
  'accreditation-lapsed': { zh: '资质已失效', en: 'accreditation lapsed' },
  'fraud-suspected': { zh: '涉嫌造假', en: 'fraud suspected' },
  'product-recall': { zh: '产品召回', en: 'product recall' },
  'key-compromised': { zh: '签名密钥泄露', en: 'signing key compromised' },
  other: { zh: '其他', en: 'other' },
  unknown: { zh: '未知原因', en: 'unknown reason' },
};

/** Why an RFC 9162 proof was rejected (ProofError reasons). */
const PROOF_REASON_WORDS: Record<string, Record<Lang, string>> = {
  'index-out-of-range': { zh: '位置超出日志长度', en: 'the position is beyond the log size' },
  'wrong-proof-size': { zh: '证明长度不对（被截断或添加）', en: 'the proof has the wrong number of hashes (truncated or padded)' },
  'bad-hash-length': { zh: '证明中的哈希长度不对', en: 'a hash in the proof has the wrong length' },
  'root-mismatch': { zh: '算出的根与检查点根不同', en: 'the computed root differs from the checkpoint root' },
  'empty-tree': { zh: '空日志', en: 'the log is empty' },
  'size-shrunk': { zh: '日志长度变小', en: 'the log shrank' },
};

/** The lab fields a report states about itself. */
const LAB_FIELD_WORDS: Record<string, Record<Lang, string>> = {
  name: { zh: '名称', en: 'name' },
  cmaNumber: { zh: 'CMA 编号', en: 'CMA number' },
  cmaValidUntil: { zh: '资质有效期', en: 'accreditation validity' },
};

export type Params = Readonly<Record<string, string | number>>;
export type Render = (p: Params, lang: Lang) => string;
export interface Message {
  zh: Render;
  en: Render;
}

/** A parameter as text ('?' when missing). */
export const s = (v: string | number | undefined): string => (v === undefined ? '?' : String(v));
const step = (p: Params, lang: Lang): string => STEP_TITLES[p.step as AnyStepName]?.[lang] ?? s(p.step);
const role = (p: Params, lang: Lang): string => ROLE_WORDS[s(p.role)]?.[lang] ?? s(p.role);
const reason = (p: Params, lang: Lang): string => REVOCATION_REASON_WORDS[s(p.reason) as 'unknown']?.[lang] ?? s(p.reason);
const proofReason = (p: Params, lang: Lang): string => PROOF_REASON_WORDS[s(p.reason)]?.[lang] ?? s(p.reason);
/** The date of an ISO instant in China Standard Time (UTC+8), `YYYY-MM-DD`; the value itself if it is none. */
const beijingDate = (v: string | number | undefined): string => {
  const ms = Date.parse(s(v));
  return Number.isFinite(ms) ? new Date(ms + 8 * 3600_000).toISOString().slice(0, 10) : s(v);
};


/** One message per outcome. Parameters are values (ids, hashes, numbers, ISO times), never prose in one language. */
export const MESSAGES = {
  // parseBundle
  bundleRead: { zh: (p) => `证明包：${p.type === 'SeleniumTestReport' ? '硒含量检测报告' : p.type === 'Batch' ? '批次' : s(p.type)} ${s(p.id)}。`, en: (p) => `A ${s(p.type)} bundle for record ${s(p.id)}.` },
  bundleUnknownFormat: { zh: (p) => `不认识的证明包格式“${s(p.format)}”；本验证程序读取 ${s(p.expected)}。`, en: (p) => `Unknown bundle format "${s(p.format)}"; this verifier reads ${s(p.expected)}.` },
  bundleNotABundle: { zh: (p) => `这不是 ${s(p.expected)} 证明包。`, en: (p) => `Not a ${s(p.expected)} bundle.` },
  bundleMalformed: { zh: (p) => `证明包字段 ${s(p.path)} 缺失或格式错误。`, en: (p) => `The bundle's field ${s(p.path)} is missing or malformed.` },
  entryUnknownVersion: { zh: (p) => `日志条目版本 ${s(p.version)} 不受支持（本验证程序读取第 1 版）。`, en: (p) => `Log entry version ${s(p.version)} is not supported (this verifier reads v1).` },
  entryMalformed: { zh: (p) => `日志条目字段 ${s(p.path)} 缺失或格式错误。`, en: (p) => `The log entry's field ${s(p.path)} is missing or malformed.` },
  unknownRecordType: { zh: (p) => `不认识的记录类型 ${s(p.type)}。`, en: (p) => `Unknown record type ${s(p.type)}.` },
  // checkTrustRoot
  trustRootOk: { zh: (p) => `证明包指向受信任的链 ${s(p.chainId)} 上的 TraceLedger ${s(p.contract)}；登记与撤销合约从该合约读取。`, en: (p) => `The bundle names the trusted TraceLedger ${s(p.contract)} on chain ${s(p.chainId)}; the registries are read from it.` },
  noTrustRoot: { zh: (p) => `未配置信任根：使用证明包自己所写的 TraceLedger ${s(p.contract)}（链 ${s(p.chainId)}），登记与撤销合约从该合约读取。`, en: (p) => `No trust root configured: the bundle's own TraceLedger ${s(p.contract)} on chain ${s(p.chainId)} is used; the registries are read from it.` },
  untrustedContract: { zh: (p) => `证明包指向链 ${s(p.bundleChainId)} 上的 TraceLedger ${s(p.bundleContract)}，而受信任的是链 ${s(p.chainId)} 上的 ${s(p.contract)}。`, en: (p) => `The bundle names TraceLedger ${s(p.bundleContract)} on chain ${s(p.bundleChainId)}, but the trusted one is ${s(p.contract)} on chain ${s(p.chainId)}.` },
  // checkFieldDisclosures
  disclosuresMatch: { zh: (p) => `${s(p.disclosed)} 个公开字段与签名的记录根一致；${s(p.hidden)} 个非公开字段保持隐藏。`, en: (p) => `${s(p.disclosed)} disclosed fields match the record root; ${s(p.hidden)} private fields stay hidden.` },
  disclosureMismatch: { zh: (p) => `公开字段“${s(p.field)}”与签名的记录不符（内容、盐值或路径被改动）。`, en: (p) => `The disclosed field "${s(p.field)}" does not match the signed record (its value, salt or path was changed).` },
  disclosureMalformed: { zh: (p) => `公开字段“${s(p.field)}”格式错误。`, en: (p) => `The disclosed field "${s(p.field)}" is malformed.` },
  disclosureOrder: { zh: (p) => `公开字段“${s(p.field)}”的位置不对（字段按名称排序且各出现一次）。`, en: (p) => `The disclosed field "${s(p.field)}" is out of place (fields are sorted by name, each once).` },
  disclosureIdMismatch: { zh: (p) => `公开的编号 ${s(p.disclosed)} 不是记录编号 ${s(p.id)}。`, en: (p) => `The disclosed id ${s(p.disclosed)} is not the record's id ${s(p.id)}.` },
  // checkSigner
  signedFieldsWithheld: { zh: (p) => `证明包隐藏了签名所需的字段：${s(p.fields)}。`, en: (p) => `The bundle withholds signed fields: ${s(p.fields)}.` },
  signatureMalformed: { zh: () => '签名格式错误或无法恢复签名者。', en: () => 'The signature is malformed, or no signer can be recovered from it.' },
  signatureWrongSigner: { zh: (p) => `签名来自 ${s(p.recovered)}，不是日志条目所写的签名者 ${s(p.signer)}。`, en: (p) => `The signature is by ${s(p.recovered)}, not the stated signer ${s(p.signer)}.` },
  signerNotRegistered: { zh: (p) => `${s(p.signer)} 在 ${s(p.at)} 不是已登记的${role(p, 'zh')}签名密钥。`, en: (p) => `${s(p.signer)} was not a registered ${role(p, 'en')} key valid at ${s(p.at)}.` },
  signerRegistered: { zh: (p) => `由 ${s(p.signer)} 签名，该密钥在 ${s(p.at)} 是已登记的${role(p, 'zh')}密钥。`, en: (p) => `Signed by ${s(p.signer)}, a ${role(p, 'en')} key valid at ${s(p.at)}.` },
  signerOperator: { zh: (p) => `由生产者通过平台运营方 ${s(p.signer)} 登记。`, en: (p) => `Registered by its producer through the operator ${s(p.signer)}.` },
  signatureNoChain: { zh: (p) => `签名有效，签名者 ${s(p.signer)}；未连接区块链节点，未核对其登记。`, en: (p) => `The signature is valid, by ${s(p.signer)}; its registration was not read (no chain endpoint).` },
  // checkRecordId
  recordIdInNamespace: { zh: (p) => `记录编号 ${s(p.id)} 属于 ${s(p.name)}（${s(p.code)}）的编号空间。`, en: (p) => `Record id ${s(p.id)} is in the namespace of ${s(p.name)} (${s(p.code)}).` },
  recordIdOutsideNamespace: {
    zh: (p) => `记录编号 ${s(p.id)} 不属于 ${s(p.name)}（${s(p.code)}）的编号空间：其编号应以“${s(p.code)}-”开头。`,
    en: (p) => `Record id ${s(p.id)} is not in the namespace of ${s(p.name)} (${s(p.code)}).`,
  },
  recordIdProducerNotDisclosed: { zh: (p) => `批次 ${s(p.id)} 未公开其生产者，无法核对编号归属。`, en: (p) => `Batch ${s(p.id)} does not disclose its producer, so its id's namespace cannot be checked.` },
  // checkProductOwner
  notABatch: { zh: () => '不是批次记录，不适用。', en: () => 'Not a batch: does not apply.' },
  noGtin: { zh: () => '此批次没有商品条码（GTIN），标签直接链接到记录本身，无需核对条码归属。', en: () => 'The batch has no GTIN (its label links to the record itself), so there is no GTIN owner to check.' },
  gtinNotRegistered: { zh: (p) => `商品条码 ${s(p.gtin)} 未登记在任何生产者名下。`, en: (p) => `GTIN ${s(p.gtin)} is not registered to any producer.` },
  gtinOtherProducer: { zh: (p) => `商品条码 ${s(p.gtin)} 属于 ${s(p.name)}（${s(p.code)}），不属于本批次所写的生产者 ${s(p.uscc)}。`, en: (p) => `GTIN ${s(p.gtin)} belongs to ${s(p.name)} (${s(p.code)}), not to the producer named on this batch ${s(p.uscc)}.` },
  gtinOwnerOk: { zh: (p) => `商品条码 ${s(p.gtin)} 登记在本批次的生产者 ${s(p.name)}（${s(p.code)}）名下。`, en: (p) => `GTIN ${s(p.gtin)} is registered to ${s(p.name)} (${s(p.code)}), the producer named on this batch.` },
  // computeLeafHash
  leafHashOk: { zh: (p) => `记录哈希 ${s(p.leaf)}。`, en: (p) => `Leaf hash ${s(p.leaf)}.` },
  entryOtherRecord: { zh: () => '日志条目属于另一条记录。', en: () => 'The log entry is for another record.' },
  leafHashMismatch: { zh: (p) => `日志条目的哈希是 ${s(p.computed)}，不是证明包所写的 ${s(p.stated)}。`, en: (p) => `The log entry hashes to ${s(p.computed)}, not the bundle's leaf hash ${s(p.stated)}.` },
  // checkInclusion / checkCheckpointOnChain
  notAnchored: { zh: () => '记录已收到，尚未写入已上链的检查点。', en: () => 'The record is accepted but not yet in an anchored checkpoint.' },
  included: { zh: (p) => `第 ${s(p.position)} 条记录在共 ${s(p.size)} 条的日志中，根为 ${s(p.root)}。`, en: (p) => `Entry ${s(p.position)} is in the log of ${s(p.size)} entries with root ${s(p.root)}.` },
  inclusionFailed: { zh: (p) => `包含证明不能通向检查点根：${proofReason(p, 'zh')}。`, en: (p) => `The inclusion proof does not lead to the checkpoint root: ${proofReason(p, 'en')}.` },
  noChainEndpoint: { zh: () => '未连接区块链节点，此项未在链上核对。', en: () => 'No chain endpoint was given, so this was not read from the chain.' },
  chainUnreachable: { zh: () => '区块链节点没有应答，此项暂未核对。', en: () => 'The chain endpoint did not answer, so this could not be checked now.' },
  wrongChain: { zh: (p) => `节点是链 ${s(p.endpoint)}，但记录锚定在链 ${s(p.expected)}。`, en: (p) => `The endpoint is chain ${s(p.endpoint)}, but the record was anchored on chain ${s(p.expected)}.` },
  checkpointMissing: { zh: (p) => `合约 ${s(p.contract)} 上没有长度为 ${s(p.size)} 的检查点。`, en: (p) => `TraceLedger ${s(p.contract)} holds no checkpoint of size ${s(p.size)}.` },
  checkpointRootMismatch: { zh: (p) => `链上长度为 ${s(p.size)} 的检查点根不是证明包所写的根。`, en: (p) => `The chain's root at size ${s(p.size)} is not the bundle's checkpoint root.` },
  checkpointOnChain: { zh: (p) => `链 ${s(p.chainId)} 上的 TraceLedger 已锚定长度为 ${s(p.size)} 的此根。`, en: (p) => `TraceLedger on chain ${s(p.chainId)} anchored this root at size ${s(p.size)}.` },
  // checkLabIdentity
  notAReport: { zh: () => '不是检测报告，不适用。', en: () => 'Not a lab report: does not apply.' },
  labNotDisclosed: { zh: () => '报告未公开其检测机构。', en: () => 'The report does not disclose its lab.' },
  labSignerUnknown: { zh: (p) => `签名密钥 ${s(p.signer)} 不属于任何已登记的机构。`, en: (p) => `The signing key ${s(p.signer)} belongs to no registered participant.` },
  labIdentityMismatch: { zh: (p) => `报告写的是 CMA ${s(p.named)}，签名密钥却属于 ${s(p.name)}（${role(p, 'zh')} ${s(p.code)}）。`, en: (p) => `The report names CMA ${s(p.named)}, but was signed by a key of ${s(p.name)} (${role(p, 'en')} ${s(p.code)}).` },
  labDetailsMismatch: {
    zh: (p) => `报告所写的检测机构${s(p.fields).split(',').map((f) => LAB_FIELD_WORDS[f]?.zh ?? f).join('、')}与链上登记不符：签名密钥属于 ${s(p.name)}（CMA ${s(p.code)}，资质有效期至 ${s(p.until)}）。`,
    en: (p) => `The report's lab ${s(p.fields).split(',').map((f) => LAB_FIELD_WORDS[f]?.en ?? f).join(' and ')} differ from the registration: the signing key belongs to ${s(p.name)} (CMA ${s(p.code)}, accredited until ${s(p.until)}).`,
  },
  labIdentityOk: { zh: (p) => `由 ${s(p.name)} 签名，其链上登记的 CMA 为 ${s(p.code)}。`, en: (p) => `Signed by ${s(p.name)}, registered on chain with CMA ${s(p.code)}.` },
  // checkNotRevoked
  notRevoked: { zh: () => '未撤销。', en: () => 'Not revoked.' },
  revokedOnChain: { zh: (p) => `已于 ${s(p.at)} 被${p.by === 'regulator' ? '监管部门' : '签发机构'}撤销，原因：${reason(p, 'zh')}。`, en: (p) => `Revoked on ${s(p.at)} by ${p.by === 'regulator' ? 'the regulator' : 'the issuing lab'}: ${reason(p, 'en')}.` },
  revokedPerServer: { zh: (p) => `服务器报告此记录已于 ${s(p.at)} 撤销，原因：${reason(p, 'zh')}（未连接区块链核对）。`, en: (p) => `The server reports this record revoked on ${s(p.at)}: ${reason(p, 'en')} (not read from the chain).` },
  // classifySelenium
  categoryWithoutStandard: { zh: (p) => `批次的产品品类“${s(p.category)}”在硒含量指标表中没有适用标准。`, en: (p) => `The batch's product category "${s(p.category)}" has no selenium standard in the thresholds table.` },
  noCategory: { zh: () => '未给出产品品类，未分级。', en: () => 'No product category given, so the result was not classified.' },
  resultNotDisclosed: { zh: () => '检测结果、单位或签发日期未公开。', en: () => 'The result, unit or issue date is not disclosed.' },
  classified: { zh: (p) => s(p.zh), en: (p) => s(p.en) },
  // checkReportSubject
  reportSubjectOk: { zh: (p) => `检测机构签发此报告时写明的批次是 ${s(p.batch)}。`, en: (p) => `The lab signed this report for batch ${s(p.batch)}.` },
  reportOtherBatch: { zh: (p) => `检测机构签发此报告时写明的批次是 ${s(p.named)}，不是本批次 ${s(p.batch)}。`, en: (p) => `The lab signed this report for batch ${s(p.named)}, not for batch ${s(p.batch)}.` },
  // checkReportBasis: a report counts on a batch by consent (listed, commissioned) or by authority (spot check).
  reportListed: { zh: () => '批次记录列出了此报告。', en: () => 'The batch record lists this report.' },
  reportCommissioned: { zh: (p) => `生产者委托了检测机构（CMA ${s(p.cma)}）检测本批次。`, en: (p) => `The producer commissioned the lab (CMA ${s(p.cma)}) to test this batch.` },
  reportSpotCheck: { zh: (p) => `监督抽检：检测机构在 ${s(p.at)} 是监管部门指定的抽检机构。`, en: (p) => `Official spot check: the lab was designated by the regulator at ${s(p.at)}.` },
  reportNotCommissioned: { zh: () => '生产者未委托此检测机构，且其不是监督抽检机构：此报告不计入本批次。', en: () => 'Not commissioned by the producer, nor an official spot check: this report does not count for the batch.' },
  reportBasisUnverified: { zh: () => '此报告未通过验证，无法确认出自哪家检测机构：按验证失败计入本批次。', en: () => 'The report did not verify, so whose report it is cannot be established: it counts for the batch as a failure.' },
  reportNotCommissionedNoChain: { zh: () => '生产者未委托此检测机构；未连接区块链节点，无法确认其是否为监督抽检机构：此报告不计入本批次。', en: () => 'Not commissioned by the producer; without a chain endpoint an official spot check cannot be established: this report does not count for the batch.' },
  // The label's claim (./claim): a headline and a line of detail, at the top of the consumer page.
  claimSeleniumRich: { zh: (p) => `真实可信，按 ${s(p.standard)} 属富硒`, en: (p) => `Authentic and selenium-rich per ${s(p.standard)}` },
  claimSeleniumContaining: { zh: (p) => `真实可信，按 ${s(p.standard)} 属含硒`, en: (p) => `Authentic and selenium-containing per ${s(p.standard)}` },
  claimBelowRange: { zh: () => '真实可信，但硒含量低于富硒范围', en: () => 'Authentic, but below the selenium-rich range' },
  claimAboveRange: { zh: () => '真实可信，但硒含量高于富硒范围', en: () => 'Authentic, but above the selenium-rich range' },
  claimNoStandard: { zh: () => '真实可信，但没有适用的富硒标准', en: () => 'Authentic, but no selenium standard applies' },
  claimNoStandardDetail: { zh: () => '此产品品类或检测单位没有适用的硒含量标准，无法判定是否富硒。', en: () => 'No selenium standard covers this product category or unit, so whether it is selenium-rich cannot be judged.' },
  claimNoReport: { zh: () => '真实可信，尚无检测报告', en: () => 'Authentic, no lab report' },
  claimNoReportDetail: { zh: () => '批次记录真实，但还没有检测机构证明其硒含量，不能据此认定富硒。', en: () => 'The batch record is genuine, but no lab has reported its selenium content, so it is not shown to be selenium-rich.' },
  claimReportRevoked: { zh: (p) => `检测报告已于 ${beijingDate(p.at)} 撤销：${reason(p, 'zh')}`, en: (p) => `Report revoked on ${beijingDate(p.at)}: ${reason(p, 'en')}` },
  claimReportRevokedDetail: { zh: () => '此报告不能再作为富硒依据。', en: () => 'The report no longer supports any selenium claim.' },
  claimBatchRevoked: { zh: (p) => `此批次已于 ${beijingDate(p.at)} 撤销：${reason(p, 'zh')}`, en: (p) => `Batch revoked on ${beijingDate(p.at)}: ${reason(p, 'en')}` },
  claimBatchRevokedDetail: { zh: () => '此标签不能再作为富硒依据。', en: () => 'This label no longer supports any selenium claim.' },
  claimPending: { zh: () => '尚未上链，暂时无法证明', en: () => 'Not anchored yet: nothing proven so far' },
  claimPendingDetail: { zh: () => '记录已收到，正在等待写入区块链，请稍后再扫码查看。', en: () => 'Recorded, and waiting to be anchored on chain. Scan again in a minute.' },
  claimInvalid: { zh: () => '验证失败：请勿相信此标签', en: () => 'Invalid: do not trust this label' },
  claimNameUnconfirmed: { zh: (p) => `产品名称由生产者填写，名称中的“${s(p.word)}”未获有效检测报告证实。`, en: () => "The product name is the producer's own; no valid lab report confirms the selenium it claims." },
  claimInvalidDetail: { zh: () => '有记录与其证明不符，见下方验证步骤。', en: () => 'A record does not match its proof; see the steps below.' },
  // any step
  notRun: { zh: (p) => `未执行：“${step(p, 'zh')}”未通过。`, en: (p) => `Not run: ${s(p.step)} failed.` },
  stepCrashed: { zh: () => '此步骤未能完成。', en: () => 'This step could not be completed.' },
} as const satisfies Record<string, Message>;

export type MessageCode = keyof typeof MESSAGES;

/** The sentence for `code` with `params`, in `lang`. */
export function messageText(code: MessageCode, params: Params, lang: Lang): string {
  return (MESSAGES[code][lang] as Render)(params, lang);
}

/** The title of a step, in `lang` (the step's own name if unknown). */
export function stepTitle(stepName: string, lang: Lang): string {
  return STEP_TITLES[stepName as AnyStepName]?.[lang] ?? stepName;
}

/** How the consumer page's own check checked, under the claim it computed (./claim) in its verdict box. */
export const BROWSER_TEXT = {
  zh: {
    checking: '正在本机验证…',
    valid: '您的浏览器已独立验证：数据、签名与链上记录一致',
    validNoChain: '您的浏览器已核对数据、签名与证明一致（未连接区块链节点，上链状态以服务器为准）',
    chainUnreachable: '您的浏览器已核对证明，但区块链节点没有应答，暂未核对链上记录',
    pending: '您的浏览器核对：记录尚未上链',
    invalid: '您的浏览器发现问题：数据与证明不符',
    revoked: '您的浏览器已核对签名与证明，并读到撤销记录',
    error: '浏览器验证未能完成',
    batch: '批次',
    report: '报告',
    result: '硒含量',
    spotCheck: '监督抽检',
    notCounted: '不计入本批次',
  },
  en: {
    checking: 'Checking in your browser…',
    valid: 'Verified by your browser: the data and signatures match the chain',
    validNoChain: 'Your browser checked the data and signatures against their proofs (no chain endpoint; anchoring is as the server says)',
    chainUnreachable: 'Your browser checked the proofs, but the chain endpoint did not answer, so the chain was not read',
    pending: 'Checked by your browser: not yet anchored',
    invalid: 'Your browser found a problem: the data do not match their proofs',
    revoked: 'Your browser checked the signatures and proofs, and found a revocation',
    error: 'Browser verification could not finish',
    batch: 'Batch',
    report: 'Report',
    result: 'Selenium',
    spotCheck: '监督抽检 · official spot check',
    notCounted: 'does not count for this batch',
  },
} as const satisfies Record<Lang, Record<string, string>>;
