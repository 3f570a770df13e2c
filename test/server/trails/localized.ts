/** Checks shared by the trail tests: a Chinese sentence has no English words left in it but the values it shows. */
import type { Params } from '../../../server/verification/messages';

/** Parameters that name an outcome (rendered as words), not a value shown as is. */
const WORD_PARAMS = new Set(['reason', 'why', 'bodyStep', 'entryType', 'type']);
/** Standard names that stay as they are in Chinese text. */
const STANDARD = new Set(['JSON']);
/** Chinese characters and CJK punctuation. */
export const CJK = /[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]/;

/** The English words (4+ letters) left in a Chinese sentence once the parameter values shown in it are taken out. */
export function englishWordsIn(zh: string, params: Params): string[] {
  let rest = zh;
  const values = Object.entries(params)
    .filter(([k]) => !WORD_PARAMS.has(k))
    .map(([, v]) => String(v))
    .sort((a, b) => b.length - a.length);
  for (const v of values) rest = rest.split(v).join(' ');
  return (rest.match(/[A-Za-z]{4,}/g) ?? []).filter((w) => !STANDARD.has(w));
}
