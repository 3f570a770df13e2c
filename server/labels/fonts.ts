/**
 * Finding a font that renders Chinese for PDF labels: well-known Debian font files first
 * (fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk, fonts-arphic-*), then fontconfig's
 * `fc-list :lang=zh`. Returns null when the system has none (labels then fall back to Helvetica).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A font file, and the font's PostScript name when the file is a collection (.ttc) holding several. */
export interface CjkFont {
  path: string;
  postscriptName: string | undefined;
}

/** Debian's CJK font files, most compact first, with the PostScript name of the face to use. */
const KNOWN_FONTS: readonly CjkFont[] = [
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', postscriptName: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', postscriptName: 'WenQuanYiZenHei' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', postscriptName: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf', postscriptName: undefined },
  { path: '/usr/share/fonts/truetype/arphic/uming.ttc', postscriptName: 'AR-PL-UMing-CN' },
  { path: '/usr/share/fonts/truetype/arphic/ukai.ttc', postscriptName: 'AR-PL-UKai-CN' },
];

const FONT_FILE = /\.(ttf|ttc|otf)$/i;

let cached: CjkFont | null | undefined;

/** The first CJK font found on this system (cached after the first call), or null. */
export function findCjkFont(): CjkFont | null {
  if (cached === undefined) cached = KNOWN_FONTS.find((f) => fs.existsSync(f.path)) ?? fromFontconfig();
  return cached;
}

/** A font of fontconfig's list for Chinese, or null (no fc-list, or no such font). */
function fromFontconfig(): CjkFont | null {
  let out: string;
  try {
    out = execFileSync('fc-list', [':lang=zh', '-f', '%{file}|%{postscriptname}\\n'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
  const fonts = out
    .split('\n')
    .map((line) => line.split('|'))
    .filter(([file]) => file !== undefined && FONT_FILE.test(file) && path.isAbsolute(file))
    .map(([file, name]) => ({ path: file!, postscriptName: name || undefined }));
  // Prefer regular faces over bold or light ones.
  return fonts.find((f) => !/bold|light|thin|black|heavy/i.test(f.postscriptName ?? f.path)) ?? fonts[0] ?? null;
}
