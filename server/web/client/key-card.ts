/**
 * The key card of the lab and department consoles: import the encrypted keystore file once (kept in IndexedDB),
 * unlock it with its password here, and find the registered participant of its address (GET /api/v1/keys/{address}).
 * First-time problems get plain messages: not a keystore file, a wrong password, a key nobody registered, a key of
 * another kind of participant, a revoked participant.
 */
import { $, ConsoleError, api, forgetKeystore, keepKeystore, keystoreAddress, lang, recordProblem, say, storedKeystore, unlock, type Wallet } from './console-common';

export interface Profile {
  id: string;
  kind: 'lab' | 'producer' | 'department';
  name: string;
  code: string;
  active: boolean;
  accreditedUntil: string | null;
}

const KIND = { zh: { lab: '检测机构', producer: '生产者', department: '政务部门' }, en: { lab: 'lab', producer: 'producer', department: 'department' } }[lang];

const M = {
  zh: {
    notKeystore: '这不是加密密钥文件（keystore JSON）。请选择为本单位生成的 .json 密钥文件。',
    wrongPassword: '密码不正确：无法用此密码解开密钥文件。请重试；密码不会发送到服务器。',
    noKeystore: '请先选择密钥文件。',
    saved: (a: string) => `密钥文件已保存在本浏览器，地址 ${a}。请输入密码解锁。`,
    unlocking: '正在解密密钥（约需几秒）…',
    unregistered: (a: string, k: string) => `此密钥 ${a} 未在链上登记为任何${k}的签名密钥。请把这个地址交给运营方登记后再使用。`,
    otherKind: (a: string, k: string, want: string) => `此密钥 ${a} 登记为${k}的密钥，不是${want}的密钥。`,
    inactive: (n: string) => `${n} 的登记已被撤销，不能再签署记录。`,
    unlocked: (n: string, a: string) => `已解锁：${n}，密钥 ${a}（密钥只在本页面内）。`,
  },
  en: {
    notKeystore: 'This is not an encrypted key file (keystore JSON). Choose the .json key file made for you.',
    wrongPassword: 'Wrong password: this password does not open the key file. Try again; the password is never sent to the server.',
    noKeystore: 'Choose your key file first.',
    saved: (a: string) => `The key file is kept in this browser, address ${a}. Enter its password to unlock it.`,
    unlocking: 'Decrypting the key (a few seconds)…',
    unregistered: (a: string, k: string) => `The key ${a} is not registered on chain as any ${k}'s signing key. Give this address to the operator to register it first.`,
    otherKind: (a: string, k: string, want: string) => `The key ${a} is registered for a ${k}, not for a ${want}.`,
    inactive: (n: string) => `${n}'s registration was revoked; it can no longer sign records.`,
    unlocked: (n: string, a: string) => `Unlocked: ${n}, key ${a} (the key stays in this page).`,
  },
}[lang];

/** Wires the key card for participants of `kind`; `onUnlocked` runs with the wallet and its registered profile. */
export function setupKeyCard(kind: 'lab' | 'department', onUnlocked: (wallet: Wallet, profile: Profile) => Promise<void> | void, onForget: () => void): Promise<void> {
  $('keystore').addEventListener('change', () => void chosen());
  $('unlock-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void unlocked();
  });
  $('forget').addEventListener('click', () => {
    void forgetKeystore(kind).then(() => {
      $('key-address').textContent = '';
      $('profile').textContent = '';
      onForget();
    });
  });

  async function chosen(): Promise<void> {
    const file = $<HTMLInputElement>('keystore').files?.[0];
    if (!file) return;
    try {
      const json = await file.text();
      const address = keystoreAddress(json) ?? '?';
      await keepKeystore(kind, json);
      onForget();
      $('key-address').textContent = M.saved(address);
      say(M.saved(address));
    } catch (e) {
      const err = recordProblem(e);
      say(err.code === 'not-a-keystore' ? M.notKeystore : err.message, 'error', err.code);
    }
  }

  async function unlocked(): Promise<void> {
    const json = await storedKeystore(kind);
    if (!json) {
      say(M.noKeystore, 'error', 'no-keystore');
      return;
    }
    say(M.unlocking);
    let wallet: Wallet;
    try {
      wallet = await unlock(json, $<HTMLInputElement>('password').value);
    } catch (e) {
      const err = recordProblem(e);
      say(err.code === 'wrong-password' ? M.wrongPassword : M.notKeystore, 'error', err.code);
      return;
    } finally {
      $<HTMLInputElement>('password').value = '';
    }
    let profile: Profile;
    try {
      profile = await api<Profile>('GET', `/keys/${wallet.address}`);
    } catch (e) {
      if (e instanceof ConsoleError && e.code === 'not-found') say(M.unregistered(wallet.address, KIND[kind]), 'error', 'unknown-signer');
      else say((e as Error).message, 'error', (e as ConsoleError).code);
      return;
    }
    if (profile.kind !== kind) {
      say(M.otherKind(wallet.address, KIND[profile.kind], KIND[kind]), 'error', 'wrong-kind');
      return;
    }
    if (!profile.active) {
      say(M.inactive(profile.name), 'error', 'participant-revoked');
      return;
    }
    say(M.unlocked(profile.name, wallet.address), 'ok');
    await onUnlocked(wallet, profile);
  }

  return storedKeystore(kind).then((json) => {
    if (json) $('key-address').textContent = M.saved(keystoreAddress(json) ?? '?');
  });
}
