/** HTML pieces the signing consoles (/lab, /department) share: a labelled input, and the key card where the keystore is opened. */
import { esc } from './page';

/** A labelled text input (with `attrs`), spanning the row when `wide`. */
export const input = (id: string, label: string, attrs = '', wide = false): string =>
  `<div${wide ? ' class="wide"' : ''}><label for="${id}">${esc(label)}</label><input id="${id}" name="${id}" autocomplete="off" ${attrs}></div>`;

/** The words of the key card. */
export interface KeyCardWords {
  keyTitle: string;
  keyIntro: string;
  keyFile: string;
  password: string;
  unlock: string;
  forget: string;
}

/** The key card: the encrypted keystore file, its password, unlock and forget (the client's key-card.ts drives it). */
export function keyCardHtml(t: KeyCardWords): string {
  return `<section class="card console" id="key-card">
<h2>${esc(t.keyTitle)}</h2>
<p class="sub">${esc(t.keyIntro)}</p>
<div id="key-import">${input('keystore', t.keyFile, 'type="file" accept=".json,application/json"')}</div>
<p id="key-address" class="mono"></p>
<form id="unlock-form">${input('password', t.password, 'type="password" autocomplete="current-password"')}
<button class="btn" type="submit" id="unlock">${esc(t.unlock)}</button>
<button class="btn btn-plain" type="button" id="forget">${esc(t.forget)}</button></form>
<div id="profile" aria-live="polite"></div>
</section>`;
}
