/* server/store PostgreSQL: a record is acknowledged only once committed, so a writer killed mid-stream (SIGKILL) loses none it acknowledged. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { openPostgresStore } from '../../../server/store/postgres';
import { freshDatabase } from '../../support/postgres';

describe('server/store PostgreSQL durability', function () {
  this.timeout(120_000);

  it('Given a process inserting records (one by one, and in group commits) and printing each acknowledged id, When it is killed with SIGKILL mid-stream, Then every printed id is in the database', async () => {
    const url = await freshDatabase();
    // Migrate first, so the child starts inserting at once.
    await (await openPostgresStore(url)).close();
    const script = `
      const { openPostgresStore } = require(${JSON.stringify(path.resolve(__dirname, '../../../server/store/postgres'))});
      const rec = (i) => ({ id: 'D-' + i, logId: 'products', type: 'Batch', body: { i }, salts: {}, recordRoot: '0x' + '11'.repeat(32),
        signer: '0x' + '22'.repeat(20), signature: '0x' + (i + 1).toString(16).padStart(130, '0'), issuedAt: '2026-01-01T00:00:00Z',
        entry: '{"i":' + i + '}', leafHash: new Uint8Array(32), participantId: null, subject: null });
      (async () => {
        const store = await openPostgresStore(${JSON.stringify(url)});
        process.stdout.write('start\\n');
        let i = 0;
        // Four writers at once: singles, and group commits of 8.
        const single = async () => { for (;;) { const r = rec(i++); await store.insertRecord(r); process.stdout.write(r.id + '\\n'); } };
        const group = async () => { for (;;) { const rs = Array.from({ length: 8 }, () => rec(i++)); const out = await store.insertRecordsEach(rs);
          for (const o of out) if (!(o instanceof Error)) process.stdout.write(o.id + '\\n'); } };
        await Promise.all([single(), single(), group(), group()]);
      })();
    `;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        // Kill once it has acknowledged a few hundred records: in the middle of the stream.
        if ((out.match(/^D-/gm) ?? []).length >= 300 + Math.floor(Math.random() * 200)) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
      child.once('exit', () => {
        clearInterval(poll);
        reject(new Error(`the child exited early: ${out.slice(-500)}`));
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    // Only whole lines: a line cut by the kill was not fully printed.
    const printed = out.split('\n').slice(0, -1).filter((l) => l.startsWith('D-'));
    const store = await openPostgresStore(url);
    try {
      const stored = new Set((await store.listRecords({ limit: 10_000 })).map((r) => r.id));
      const lost = printed.filter((id) => !stored.has(id));
      console.log(`      [measure] acknowledged ${printed.length}, stored ${stored.size} (committed but not yet printed: ${stored.size - printed.length}), lost ${lost.length}`);
      expect(printed.length).to.be.greaterThan(0);
      expect(lost).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });
});
