import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { createApp } from '../../../server/http/app';
import { createContext } from '../../../server/http/context';
import type { SqliteStore } from '../../../server/store/sqlite';
import type { System } from '../../../server/system';
import { bootTestSystem, eventually, tempDir } from '../../support/system';
import { namespacedId } from '../../../server/records';
import { departmentUscc, isoAt, isoNow, registerDepartment, type Department } from '../../support/trails';
import { type CliResult, cli, show } from '../../support/cli';

const DAY = 24 * 3600;

const sha256Hex = (b: Buffer) => `0x${createHash('sha256').update(b).digest('hex')}`;

/** The share's ids, each in the namespace of the department that signs it (the request the market regulator's, the reply and delivery the agriculture bureau's). */
const REQ = namespacedId(departmentUscc(1), 'req-cli-1');
const REP = namespacedId(departmentUscc(2), 'rep-cli-1');
const DEL = namespacedId(departmentUscc(2), 'del-cli-1');

describe('server/cli data-sharing commands (spawned, against a real anvil node and server)', function () {
  this.timeout(300_000);
  let sys: System;
  let server: http.Server;
  let url: string;
  let dir: string;
  let market: Department;
  let agriculture: Department;
  let marketKey: string;
  let agricultureKey: string;
  let adminTokenFile: string;
  let dataset: string;
  let receiptFile: string;
  const rows = 3;

  /** Writes `value` as JSON into the test folder. */
  const json = (name: string, value: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(value, null, 2));
    return file;
  };

  /** Signs a step with a department's key file, taking seq, prevHash and the chain from the server, and submits it. */
  async function signAndSubmit(name: string, keyFile: string, step: Record<string, unknown>, receiptOut?: string): Promise<{ sign: CliResult; submit: CliResult; signed: string }> {
    const signed = path.join(dir, `${name}.signed.json`);
    const sign = await cli(['share', 'sign', json(`${name}.json`, step), '--key-file', keyFile, '--server', url, '--out', signed]);
    expect(sign.code, show(sign)).to.equal(0);
    const submit = await cli(['share', 'submit', signed, '--server', url, ...(receiptOut ? ['--receipt-out', receiptOut] : [])]);
    return { sign, submit, signed };
  }

  before(async () => {
    sys = await bootTestSystem();
    dir = tempDir('traceledger-cli-trails-');
    market = await registerDepartment(sys, 1, '安康市市场监督管理局');
    agriculture = await registerDepartment(sys, 2, '安康市农业农村局');
    marketKey = path.join(dir, 'samr.key');
    agricultureKey = path.join(dir, 'agri.key');
    fs.writeFileSync(marketKey, `${market.key.privateKey}\n`, { mode: 0o600 });
    fs.writeFileSync(agricultureKey, `${agriculture.key.privateKey}\n`, { mode: 0o600 });
    const app = createApp(createContext(sys)); // writes DATA_DIR/admin-token
    adminTokenFile = sys.config.adminTokenPath;
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dataset = path.join(dir, '抽检数据.csv');
    fs.writeFileSync(dataset, 'producerUscc,origin\n91610924MA6YAB3K2L,紫阳县\n93610921MA6Y9XB607,汉阴县\n91610926MA6YAB3K2X,平利县\n');
    receiptFile = path.join(dir, 'request.receipt.json');
  });
  after(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await sys?.stop();
  });

  it('When asked for help, Then the data-sharing commands are listed and document their exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code, show(r)).to.equal(0);
    for (const cmd of ['share', 'receipts', 'trail', 'dataset', 'monitor']) expect(r.stdout).to.match(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    const sub = await cli(['receipts', 'check', '--help']);
    expect(sub.stdout).to.contain('--rpc <url>').and.to.contain('3 not yet anchored');
  });

  describe('share sign and share submit', () => {
    it('When a request is signed with the server filling department, seq and prevHash, and submitted, Then the receipt is printed and saved', async () => {
      const now = Math.floor(Date.now() / 1000);
      const { sign, submit, signed } = await signAndSubmit(
        'request',
        marketKey,
        {
          step: 'request',
          id: REQ,
          requestingDepartment: market.ref,
          providingDepartment: agriculture.ref,
          catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
          shareClass: 'conditional',
          legalBasis: '《政务数据共享条例》第十五条',
          purpose: '富硒产品抽检结果与产地备案信息比对',
          scenario: '市场监管部门对富硒茶产品开展质量抽检',
          fieldsRequested: ['producerUscc', 'origin'],
          scope: '安康市 2025 年备案茶园',
          method: 'file',
          validity: { from: isoAt(now - DAY), to: isoAt(now + 90 * DAY) },
          requestedAt: isoNow(),
          securityLevel: 'general',
          requestingOfficer: { name: '赵敏', title: '科长' },
        },
        receiptFile,
      );
      expect(sign.stderr).to.contain(`signed ShareRequest ${REQ} (seq 1 of department ${market.id})`);
      const body = JSON.parse(fs.readFileSync(signed, 'utf8'));
      expect(body.record).to.include({ departmentId: market.id, seq: 1, prevHash: `0x${'0'.repeat(64)}` });
      expect(fs.statSync(signed).mode & 0o777).to.equal(0o600);

      expect(submit.code, show(submit)).to.equal(0);
      const printed = JSON.parse(submit.stdout);
      expect(printed).to.include({ format: 'traceledger-receipt-v1', recordId: REQ, logId: 'data-sharing' });
      expect(JSON.parse(fs.readFileSync(receiptFile, 'utf8'))).to.deep.equal(printed);
      expect(submit.stderr).to.contain(`accepted ShareRequest ${REQ}`);
    });

    it('When the reply and a delivery with the hash of a file are signed by the provider, Then both are accepted', async () => {
      const now = Math.floor(Date.now() / 1000);
      const reply = await signAndSubmit('reply', agricultureKey, {
        step: 'reply',
        id: REP,
        requestId: REQ,
        requestingDepartment: market.ref,
        providingDepartment: agriculture.ref,
        catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
        reply: { time: isoNow(), decision: 'approve' },
        fieldsApproved: ['producerUscc', 'origin'],
        method: 'file',
        validity: { from: isoAt(now - DAY), to: isoAt(now + 90 * DAY) },
        securityLevel: 'general',
        providingOfficer: { name: '孙磊', title: '主任' },
      });
      expect(reply.submit.code, show(reply.submit)).to.equal(0);
      const delivery = await signAndSubmit('delivery', agricultureKey, {
        step: 'delivery',
        id: DEL,
        requestId: REQ,
        replyId: REP,
        requestingDepartment: market.ref,
        providingDepartment: agriculture.ref,
        catalogueItem: { id: 'AK-NY-0042', version: '2025.1' },
        fieldsDelivered: ['producerUscc', 'origin'],
        method: 'file',
        delivery: { dataSha256: sha256Hex(fs.readFileSync(dataset)), rowCount: rows, deliveredAt: isoNow() },
        providingOfficer: { name: '孙磊', title: '主任' },
      });
      expect(delivery.submit.code, show(delivery.submit)).to.equal(0);
      expect(delivery.sign.stderr).to.contain('(seq 2 of department');
    });

    it('When a signed step is submitted again, Then exit 1 naming the replay', async () => {
      const r = await cli(['share', 'submit', path.join(dir, 'request.signed.json'), '--server', url]);
      expect(r.code, show(r)).to.equal(1);
      expect(r.stderr).to.contain('replay').and.to.contain(REQ);
    });

    it('When a step is signed offline without seq and prevHash, Then exit 2 asking for them or --server', async () => {
      const r = await cli(['share', 'sign', path.join(dir, 'request.json'), '--key-file', marketKey, '--chain-id', String(sys.deployment.chainId), '--contract', sys.deployment.traceLedger]);
      expect(r.code, show(r)).to.equal(2);
      expect(r.stderr).to.contain('"seq" and "prevHash"');
    });
  });

  describe('receipts check', () => {
    it('When the receipted record is anchored, Then exit 0: included, checked against the root on chain', async () => {
      const r = await eventually(async () => {
        const res = await cli(['receipts', 'check', receiptFile, '--rpc', sys.rpcUrl, '--server', url]);
        return res.code === 3 ? undefined : res;
      });
      expect(r.code, show(r)).to.equal(0);
      expect(r.stdout).to.match(/^INCLUDED: entry \d+ of log data-sharing/m);
    });

    it('When the receipt was altered, Then exit 1: invalid, with the evidence; another format, exit 2', async () => {
      const receipt = JSON.parse(fs.readFileSync(receiptFile, 'utf8'));
      const altered = json('altered.receipt.json', { ...receipt, leafIndex: receipt.leafIndex + 1, logSize: receipt.logSize + 1 });
      const r = await cli(['receipts', 'check', altered, '--rpc', sys.rpcUrl, '--server', url]);
      expect(r.code, show(r)).to.equal(1);
      expect(r.stdout).to.match(/^INVALID: the receipt is signed by 0x[0-9a-fA-F]{40}, which is not an anchorer/m);
      expect(r.stdout).to.contain('Evidence:');

      const v2 = await cli(['receipts', 'check', json('v2.receipt.json', { ...receipt, format: 'traceledger-receipt-v2' }), '--rpc', sys.rpcUrl, '--server', url]);
      expect(v2.code, show(v2)).to.equal(2);
      expect(v2.stderr).to.contain('not a traceledger-receipt-v1 receipt');
    });
  });

  describe('trail verify', () => {
    it("When the requester's trail is verified once anchored, Then every step passes and the exit code is 0", async () => {
      const r = await eventually(async () => {
        const res = await cli(['trail', 'verify', market.uscc, '--server', url]);
        return res.code === 3 ? undefined : res;
      });
      expect(r.code, show(r)).to.equal(0);
      for (const step of ['allEntriesAnchored', 'sequenceHasNoGap', 'hashLinksUnbroken', 'signaturesValid']) expect(r.stdout).to.match(new RegExp(`✓ ${step}\\b`));
      expect(r.stdout).to.match(/^VALID/m);
    });

    it('When the department is unknown, Then exit 2', async () => {
      const r = await cli(['trail', 'verify', `0x${'ab'.repeat(32)}`, '--server', url]);
      expect(r.code, show(r)).to.equal(2);
      expect(r.stderr).to.contain('no department');
    });
  });

  describe('dataset check', () => {
    it('When the delivered file is checked through the server, Then MATCH and exit 0', async () => {
      const r = await cli(['dataset', 'check', dataset, '--delivery', DEL, '--rows', String(rows), '--server', url, '--admin-token-file', adminTokenFile]);
      expect(r.code, show(r)).to.equal(0);
      expect(r.stdout).to.match(/^MATCH: /m);
    });

    it('When another file is checked, through the server or in the data folder, Then MISMATCH and exit 1', async () => {
      const other = path.join(dir, 'altered.csv');
      fs.writeFileSync(other, fs.readFileSync(dataset, 'utf8').replace('平利县', '白河县'));
      const r = await cli(['dataset', 'check', other, '--delivery', DEL, '--server', url, '--admin-token-file', adminTokenFile]);
      expect(r.code, show(r)).to.equal(1);
      expect(r.stdout).to.match(/^MISMATCH: /m).and.to.contain('not the one the delivery recorded');

      const local = await cli(['dataset', 'check', other, '--delivery', DEL, '--data-dir', sys.config.DATA_DIR]);
      expect(local.code, show(local)).to.equal(1);
      const same = await cli(['dataset', 'check', dataset, '--delivery', DEL, '--data-dir', sys.config.DATA_DIR, '--json']);
      expect(same.code, show(same)).to.equal(0);
      expect(JSON.parse(same.stdout)).to.include({ match: true, deliveryId: DEL });
    });

    it('When the token is missing or the delivery unknown, Then exit 2', async () => {
      const noToken = await cli(['dataset', 'check', dataset, '--delivery', DEL, '--server', url]);
      expect(noToken.code, show(noToken)).to.equal(2);
      const unknown = await cli(['dataset', 'check', dataset, '--delivery', 'del-nowhere', '--server', url, '--admin-token-file', adminTokenFile]);
      expect(unknown.code, show(unknown)).to.equal(2);
      expect(unknown.stderr).to.contain('no share delivery del-nowhere');
    });

    it('When the admin token is given on the command line, Then it is refused saying why (exit 2); from TRACELEDGER_ADMIN_TOKEN it works', async () => {
      const token = fs.readFileSync(adminTokenFile, 'utf8').trim();
      const argv = await cli(['dataset', 'check', dataset, '--delivery', DEL, '--server', url, '--admin-token', token]);
      expect(argv.code, show(argv)).to.equal(2);
      expect(argv.stderr).to.contain('--admin-token is refused').and.to.contain('TRACELEDGER_ADMIN_TOKEN').and.to.contain('--admin-token-file');
      expect(argv.stdout).to.not.match(/MATCH/);
      const env = await cli(['dataset', 'check', dataset, '--delivery', DEL, '--server', url], { env: { TRACELEDGER_ADMIN_TOKEN: token } });
      expect(env.code, show(env)).to.equal(0);
      expect(env.stdout).to.match(/^MATCH: /m);
    });
  });

  describe('monitor', () => {
    it('When the data-sharing log is monitored from the data folder and through the server, Then both find it reproduces the chain (exit 0)', async () => {
      const local = await cli(['monitor', '--rpc', sys.rpcUrl, '--data-dir', sys.config.DATA_DIR]);
      expect(local.code, show(local)).to.equal(0);
      expect(local.stdout).to.match(/OK: log data-sharing: \d+ entries replayed, \d+ checkpoints? checked against the chain; latest size \d+/);

      const remote = await cli(['monitor', '--rpc', sys.rpcUrl, '--server', url, '--admin-token-file', adminTokenFile, '--log', 'data-sharing', '--json']);
      expect(remote.code, show(remote)).to.equal(0);
      expect(JSON.parse(remote.stdout)).to.include({ ok: true, logId: 'data-sharing' });
    });

    it('When a stored entry is altered, Then the monitor names the divergence and exits 1', async () => {
      const db = (sys.store as SqliteStore).db;
      const row = db.prepare('SELECT id, entry FROM records WHERE id = ?').get(REQ) as { id: string; entry: string };
      try {
        db.prepare('UPDATE records SET entry = ? WHERE id = ?').run(row.entry.replace('"v":1', '"v":1 '), row.id);
        const r = await cli(['monitor', '--rpc', sys.rpcUrl, '--data-dir', sys.config.DATA_DIR]);
        expect(r.code, show(r)).to.equal(1);
        expect(r.stdout).to.match(/DIVERGENCE \(root-mismatch\) in log data-sharing/);
      } finally {
        db.prepare('UPDATE records SET entry = ? WHERE id = ?').run(row.entry, row.id);
      }
    });
  });
});
