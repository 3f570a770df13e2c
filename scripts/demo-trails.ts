/** The data-sharing part of `npm run demo`: three departments with their own signing keys. */
import type { DemoApi } from './demo';
import { demoKey, ensureParticipant, isoIn } from './demo';

const YEAR = 365 * 24 * 3600;

export const DEPARTMENTS = [
  { key: 'dept-samr', name: '安康市市场监督管理局', uscc: '11610900MB0F12345D' },
  { key: 'dept-agri', name: '安康市农业农村局', uscc: '11610900MB0G23456Q' },
  { key: 'dept-health', name: '安康市卫生健康委员会', uscc: '11610900MB0H345674' },
] as const;

export async function runDemoTrails(a: DemoApi, log: (s: string) => void): Promise<void> {
  for (const d of DEPARTMENTS) {
    const key = demoKey(d.key);
    await ensureParticipant(a, { kind: 'department', name: d.name, uscc: d.uscc, keys: [{ address: key.address, validFrom: isoIn(-YEAR), validTo: isoIn(2 * YEAR) }] }, d.uscc);
    log(`  department ${d.name} (${d.uscc}), signing key ${key.address}`);
  }
}
