/**
 * The auditor's sentences for data-sharing trail verification (server/trails/trail.ts), in Chinese and English:
 * the same shape as the record verifier's table (./messages), kept apart so the consumer page's script, which
 * never verifies a trail, does not carry them.
 */
import { s, type Lang, type Message, type Params, type Render } from './messages';

/** The trail verification steps' titles. */
export const TRAIL_STEP_TITLES = {
  allEntriesAnchored: { zh: '全部记录已上链', en: 'All entries anchored' },
  sequenceHasNoGap: { zh: '序号连续、无缺失', en: 'Sequence has no gap' },
  hashLinksUnbroken: { zh: '哈希链接完整', en: 'Hash links unbroken' },
  signaturesValid: { zh: '签名有效', en: 'Signatures valid' },
} as const satisfies Record<string, Record<Lang, string>>;

// Data-sharing trails (server/trails/trail.ts).
/** The trail record a message names: `recordId` and `seq` (or, with `prefix` 'prev' or 'before', `prevRecordId` and `prevSeq`…). */
const trailRecord = (p: Params, lang: Lang, prefix = ''): string => {
  const id = s(p[prefix ? `${prefix}RecordId` : 'recordId']);
  const seq = s(p[prefix ? `${prefix}Seq` : 'seq']);
  return lang === 'zh' ? `记录 ${id}（序号 ${seq}）` : `record ${id} (seq ${seq})`;
};
/** Why a stored log entry cannot be read (`reason`, with `version` or `issuedAt`). */
const TRAIL_ENTRY_PROBLEM_WORDS: Record<string, Message> = {
  'not-json': { zh: () => '不是 JSON', en: () => 'not JSON' },
  'not-object': { zh: () => '不是 JSON 对象', en: () => 'not a JSON object' },
  'unknown-version': { zh: (p) => `版本 ${s(p.version)} 不受支持`, en: (p) => `unknown version ${s(p.version)}` },
  'wrong-fields': { zh: () => '字段与第 1 版日志条目不符', en: () => 'its fields are not those of a v1 log entry' },
  'not-text': { zh: () => '类型、编号和签发时间必须是文本', en: () => 'type, id and issuedAt must be text' },
  'bad-record-root': { zh: () => '记录根不是 32 字节的十六进制值', en: () => 'recordRoot is not bytes32 hex' },
  'bad-signer': { zh: () => '签名者不是小写的地址', en: () => 'signer is not a lowercase address' },
  'bad-signature': { zh: () => '签名不是 65 字节的十六进制值', en: () => 'signature is not 65 bytes of hex' },
  'bad-instant': { zh: (p) => `签发时间 ${s(p.issuedAt)} 不是有效的时刻`, en: (p) => `issuedAt ${s(p.issuedAt)} is not an instant` },
};
const trailEntryProblem = (p: Params, lang: Lang): string => TRAIL_ENTRY_PROBLEM_WORDS[s(p.reason)]?.[lang](p, lang) ?? s(p.reason);
/** Why a key was not valid when it signed (`why`, at `since`). */
const TRAIL_KEY_PROBLEM_WORDS: Record<string, Message> = {
  'key-revoked': { zh: (p) => `（该密钥已于 ${s(p.since)} 撤销）`, en: (p) => ` (the key was revoked at ${s(p.since)})` },
  'not-yet-valid': { zh: (p) => `（该密钥自 ${s(p.since)} 起才有效）`, en: (p) => ` (the key is valid only from ${s(p.since)})` },
  expired: { zh: (p) => `（该密钥已于 ${s(p.since)} 过期）`, en: (p) => ` (the key expired at ${s(p.since)})` },
  'department-revoked': { zh: (p) => `（此部门已于 ${s(p.since)} 被撤销）`, en: (p) => ` (the department was revoked at ${s(p.since)})` },
};
const trailKeyProblem = (p: Params, lang: Lang): string => (p.why === undefined ? '' : (TRAIL_KEY_PROBLEM_WORDS[s(p.why)]?.[lang](p, lang) ?? ''));
const SHARE_STEP_WORDS: Record<string, string> = { request: '申请', reply: '答复', delivery: '交付', receipt: '签收' };
const RECORD_TYPE_WORDS: Record<string, string> = {
  ShareRequest: '共享申请记录',
  ShareReply: '共享答复记录',
  ShareDelivery: '共享交付记录',
  ShareReceipt: '共享签收记录',
  Batch: '批次记录',
  SeleniumTestReport: '硒含量检测报告',
};
/** A record type (`type` or another parameter) in Chinese words. */
const recordTypeZh = (v: string | number | undefined): string => RECORD_TYPE_WORDS[s(v)] ?? `类型为 ${s(v)} 的记录`;
/** " (N entries in all)" when `count` is above one. */
const trailInAll = (p: Params, lang: Lang): string => (Number(p.count) > 1 ? (lang === 'zh' ? `（共 ${s(p.count)} 条）` : ` (${s(p.count)} entries in all)`) : '');

/** One message per outcome of a trail step. Parameters are values (ids, seqs, counts, hashes, ISO times). */
export const TRAIL_MESSAGES = {
  // Data-sharing trails (server/trails/trail.ts): allEntriesAnchored
  trailWrongChain: { zh: (p) => `区块链节点是链 ${s(p.endpoint)}，但记录锚定在链 ${s(p.expected)}。`, en: (p) => `The chain endpoint is chain ${s(p.endpoint)}, but the records were anchored on chain ${s(p.expected)}.` },
  trailLeafNotAtIndex: {
    zh: (p) => `${trailRecord(p, 'zh')}不在已上链的日志中：由存储的日志条目重新算出的记录哈希 ${s(p.leaf)} 在位置 ${s(p.index)} 推不出已上链的根${trailInAll(p, 'zh')}。`,
    en: (p) => `${trailRecord(p, 'en')} is not in the anchored log: its leaf hash ${s(p.leaf)}, recomputed from the stored entry, does not lead to the anchored root at index ${s(p.index)}${trailInAll(p, 'en')}.`,
  },
  trailLeafTaken: {
    zh: (p) => `${trailRecord(p, 'zh')}不在已上链的日志中：已上链日志的第 ${s(p.index)} 个叶子是另一条记录${trailInAll(p, 'zh')}。`,
    en: (p) => `${trailRecord(p, 'en')} is not in the anchored log: leaf ${s(p.index)} of the anchored log is another record${trailInAll(p, 'en')}.`,
  },
  trailNoProof: {
    zh: (p) => `${trailRecord(p, 'zh')}不在已上链的日志中：无法从存储的树中读出位置 ${s(p.index)} 的包含证明${trailInAll(p, 'zh')}。`,
    en: (p) => `${trailRecord(p, 'en')} is not in the anchored log: no proof for index ${s(p.index)} can be read from the stored tree${trailInAll(p, 'en')}.`,
  },
  trailNotAnchoredYet: {
    zh: (p) => `${s(p.entries)} 条记录中有 ${s(p.waiting)} 条尚未上链（自${trailRecord(p, 'zh')}起）；链上最新的检查点包含 ${s(p.size)} 条日志。`,
    en: (p) => `${s(p.waiting)} of ${s(p.entries)} entries are not anchored yet (from ${trailRecord(p, 'en')}); the chain's latest checkpoint has ${s(p.size)} entries.`,
  },
  trailNoRecordsYet: { zh: () => '此部门尚无记录。', en: () => 'The department has no records yet.' },
  trailAllAnchored: {
    zh: (p) => `全部 ${s(p.entries)} 条记录都在链上锚定的检查点中（该检查点共 ${s(p.size)} 条日志，根为 ${s(p.root)}）。`,
    en: (p) => `All ${s(p.entries)} entries are in the checkpoint of ${s(p.size)} entries anchored on chain with root ${s(p.root)}.`,
  },
  // sequenceHasNoGap
  trailSeqRepeated: { zh: (p) => `${trailRecord(p, 'zh')}的序号 ${s(p.seq)} 重复。`, en: (p) => `${trailRecord(p, 'en')} repeats seq ${s(p.seq)}.` },
  trailSeqSkipped: {
    zh: (p) => `${trailRecord(p, 'zh')}的序号是 ${s(p.seq)}，此处应为 ${s(p.expected)}：序号 ${s(p.expected)}..${s(p.last)} 缺失。`,
    en: (p) => `${trailRecord(p, 'en')} has seq ${s(p.seq)} where seq ${s(p.expected)} was due: seq ${s(p.expected)}..${s(p.last)} are missing.`,
  },
  trailSeqInvalid: { zh: (p) => `${trailRecord(p, 'zh')}没有有效的序号。`, en: (p) => `${trailRecord(p, 'en')} has no valid seq.` },
  trailOutOfOrder: {
    zh: (p) => `${trailRecord(p, 'zh')}位于第 ${s(p.leafIndex)} 个叶子，在${trailRecord(p, 'zh', 'before')}（第 ${s(p.beforeLeafIndex)} 个叶子）之前：它写入日志的顺序不对。`,
    en: (p) => `${trailRecord(p, 'en')} sits at leaf ${s(p.leafIndex)}, before ${trailRecord(p, 'en', 'before')} at leaf ${s(p.beforeLeafIndex)}: it was put into the log out of order.`,
  },
  trailLogHoles: {
    zh: (p) => `已上链的日志中有 ${s(p.count)} 条日志没有存储的记录（第一条：第 ${s(p.first)} 个叶子）：有记录被删除，可能是此部门的记录，因此无法证明记录链完整。`,
    en: (p) =>
      `The anchored log has ${s(p.count)} entr${Number(p.count) === 1 ? 'y' : 'ies'} with no stored record (first: leaf ${s(p.first)}): a record was deleted, and it may be one of this department's, so the trail cannot be shown complete.`,
  },
  trailStrayRecord: {
    zh: (p) => `第 ${s(p.leafIndex)} 个叶子上的记录 ${s(p.recordId)} 由此部门的密钥签名，却不在其记录链中（${p.subject === undefined ? '未归入任何主体' : `归入了 ${s(p.subject)}`}）。`,
    en: (p) => `Record ${s(p.recordId)} at leaf ${s(p.leafIndex)} is signed by a key of this department but is missing from its trail (filed under ${p.subject === undefined ? 'no subject' : s(p.subject)}).`,
  },
  trailLogNotReproduced: {
    zh: (p) => `存储的日志算不出长度为 ${s(p.size)} 时已上链的根：此记录链之外的某条日志被改动，因此无法证明记录链完整（运行日志监测可找到它）。`,
    en: (p) => `The stored log does not reproduce the anchored root at size ${s(p.size)}: an entry outside this trail was altered, so the trail cannot be shown complete (run the log monitor to find it).`,
  },
  trailNoRecordsAnywhere: { zh: () => '没有记录，日志中其他位置也没有此部门的记录。', en: () => 'No records, and none of this department elsewhere in the log.' },
  trailSequenceOk: {
    zh: (p) => `序号 1..${s(p.entries)} 连续，无缺失或重复；此部门没有记录遗漏在记录链之外。`,
    en: (p) => `Seq 1..${s(p.entries)}, no gap or repeat; no record of this department is missing from the trail.`,
  },
  // hashLinksUnbroken
  trailEntryUnreadable: { zh: (p) => `${trailRecord(p, 'zh')}：存储的日志条目无法读取：${trailEntryProblem(p, 'zh')}。`, en: (p) => `${trailRecord(p, 'en')}: its stored log entry is unreadable: ${trailEntryProblem(p, 'en')}.` },
  trailBodyOtherRecord: {
    zh: (p) => `${trailRecord(p, 'zh')}：存储的内容是记录 ${s(p.bodyId)}，日志条目却属于记录 ${s(p.entryId)}。`,
    en: (p) => `${trailRecord(p, 'en')}: its body is record ${s(p.bodyId)} but its log entry is for ${s(p.entryId)}.`,
  },
  trailBodyOtherStep: {
    zh: (p) => `${trailRecord(p, 'zh')}：存储的内容是“${SHARE_STEP_WORDS[s(p.bodyStep)] ?? s(p.bodyStep)}”环节，日志条目却是${recordTypeZh(p.entryType)}。`,
    en: (p) => `${trailRecord(p, 'en')}: its body is a ${s(p.bodyStep)} step but its log entry is a ${s(p.entryType)}.`,
  },
  trailBodyOtherTime: {
    zh: (p) => `${trailRecord(p, 'zh')}：存储的签发时间是 ${s(p.bodyIssuedAt)}，日志条目写的却是 ${s(p.entryIssuedAt)}。`,
    en: (p) => `${trailRecord(p, 'en')}: its body was issued at ${s(p.bodyIssuedAt)} but its log entry says ${s(p.entryIssuedAt)}.`,
  },
  trailBodyOtherDepartment: {
    zh: (p) => `${trailRecord(p, 'zh')}：归在此记录链中，内容却属于部门 ${s(p.bodyDepartment)}。`,
    en: (p) => `${trailRecord(p, 'en')}: it is filed in this trail but its body belongs to department ${s(p.bodyDepartment)}.`,
  },
  trailBodyAltered: {
    zh: (p) => `${trailRecord(p, 'zh')}：存储的字段与日志条目承诺的记录根 ${s(p.recordRoot)} 不符（签名后有字段被改动）。`,
    en: (p) => `${trailRecord(p, 'en')}: its stored fields do not match the record root ${s(p.recordRoot)} its log entry commits to (a field was changed after signing).`,
  },
  trailPrevHashMismatch: {
    zh: (p) =>
      p.prevRecordId === undefined
        ? `${trailRecord(p, 'zh')}所记的上一条哈希是 ${s(p.prevHash)}，但它是第一条记录，应为零 ${s(p.want)}。`
        : `${trailRecord(p, 'zh')}所记的上一条哈希是 ${s(p.prevHash)}，但${trailRecord(p, 'zh', 'prev')}的记录哈希是 ${s(p.want)}。`,
    en: (p) => `${trailRecord(p, 'en')} has prevHash ${s(p.prevHash)}, but ${p.prevRecordId === undefined ? 'zero (it is the first record)' : `the leaf hash of ${trailRecord(p, 'en', 'prev')}`} is ${s(p.want)}.`,
  },
  trailNoRecords: { zh: () => '没有记录。', en: () => 'No records.' },
  trailLinksOk: { zh: () => '每条记录都与其签名的日志条目一致，并链接到上一条记录的哈希。', en: () => 'Every record matches its signed log entry and links to the leaf hash of the one before it.' },
  // signaturesValid
  trailSignatureNoEntry: { zh: (p) => `${trailRecord(p, 'zh')}：日志条目无法读取，无法核对签名。`, en: (p) => `${trailRecord(p, 'en')}: no signature can be checked without a readable log entry.` },
  trailSignatureNotShare: { zh: (p) => `${trailRecord(p, 'zh')}：${recordTypeZh(p.type)}不是数据共享环节。`, en: (p) => `${trailRecord(p, 'en')}: a ${s(p.type)} is not a share step.` },
  trailSignatureWrongSigner: {
    zh: (p) => `${trailRecord(p, 'zh')}：签名恢复出的是 ${s(p.recovered)}，不是日志条目所写的签名者 ${s(p.signer)}。`,
    en: (p) => `${trailRecord(p, 'en')}: its signature recovers to ${s(p.recovered)}, not to the signer ${s(p.signer)} its log entry names.`,
  },
  trailSignatureUnchecked: { zh: (p) => `${trailRecord(p, 'zh')}：无法核对其签名（签名或签名的字段格式错误）。`, en: (p) => `${trailRecord(p, 'en')}: its signature cannot be checked (the signature or the signed fields are malformed).` },
  trailSignerUnknown: { zh: (p) => `${trailRecord(p, 'zh')}由 ${s(p.signer)} 签名，链上登记表中没有这个密钥。`, en: (p) => `${trailRecord(p, 'en')} is signed by ${s(p.signer)}, which the registry on chain does not know.` },
  trailSignerOtherParticipant: {
    zh: (p) => `${trailRecord(p, 'zh')}由 ${s(p.signer)} 签名，链上登记表显示该密钥属于另一参与方（${s(p.owner)}）。`,
    en: (p) => `${trailRecord(p, 'en')} is signed by ${s(p.signer)}, which the registry on chain assigns to another participant (${s(p.owner)}).`,
  },
  trailSignerNotValid: {
    zh: (p) => `${trailRecord(p, 'zh')}于 ${s(p.at)} 由 ${s(p.signer)} 签名，该密钥当时不是此部门的有效密钥${trailKeyProblem(p, 'zh')}。`,
    en: (p) => `${trailRecord(p, 'en')} was signed at ${s(p.at)} by ${s(p.signer)}, which was not a valid key of this department then${trailKeyProblem(p, 'en')}.`,
  },
  trailRecordIdOutsideNamespace: {
    zh: (p) => `${trailRecord(p, 'zh')}的编号不属于 ${s(p.name)}（${s(p.code)}）的编号空间：其编号应以“${s(p.code)}-”开头。`,
    // The name is Chinese: English trail sentences carry codes, not names.
    en: (p) => `${trailRecord(p, 'en')}: its id is not in the namespace of this department (${s(p.code)}); the ids of its records start with "${s(p.code)}-".`,
  },
  trailSignaturesOk: {
    zh: (p) => `全部 ${s(p.entries)} 个签名恢复出 ${s(p.keys)} 个密钥，均在链上登记为此部门的密钥，且在每条记录签名时有效。`,
    en: (p) => `All ${s(p.entries)} signatures recover to ${s(p.keys)} key${Number(p.keys) === 1 ? '' : 's'} registered on chain for this department and valid when each record was signed.`,
  },
} as const satisfies Record<string, Message>;

export type TrailMessageCode = keyof typeof TRAIL_MESSAGES;

/** The sentence for a trail message `code` with `params`, in `lang`. */
export function trailMessageText(code: TrailMessageCode, params: Params, lang: Lang): string {
  return (TRAIL_MESSAGES[code][lang] as Render)(params, lang);
}

/** The title of a trail step, in `lang` (the step's own name if unknown). */
export function trailStepTitle(stepName: string, lang: Lang): string {
  return TRAIL_STEP_TITLES[stepName as keyof typeof TRAIL_STEP_TITLES]?.[lang] ?? stepName;
}
