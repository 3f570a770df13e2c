import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import { ANVIL_DEV_KEYS, freePort } from '../../../server/chain/anvil';
import { createApp } from '../../../server/http/app';
import { createContext } from '../../../server/http/context';
import { namespacedId, usccCheckCharacter } from '../../../server/records';
import { buildBundle } from '../../../server/service/bundles';
import type { System } from '../../../server/system';
import type { ProofBundle } from '../../../server/verification/bundle';
import { USCC, batchInputNow, reportInput } from '../records/fixtures';
import { registeredLabOf, signedReport } from '../../support/records';
import { FIXTURE_PRODUCT_KEYS, bootTestSystem, eventually, registerLab, registerProducer, tempDir } from '../../support/system';
import { ROOT, cli, show } from '../../support/cli';

const SAMPLE = path.join(ROOT, 'scripts/samples/batches.csv');

/** A valid USCC with the given 17-character body. */
const uscc = (body: string) => body + usccCheckCharacter(body);

describe('server/cli: the traceledger command (spawned, against a real anvil node)', function () {
  this.timeout(240_000);
  let sys: System;
  let dir: string;
  let producerId: string;
  let batchId: string;
  let bundle: ProofBundle;
  let bundleFile: string;

  before(async () => {
    sys = await bootTestSystem();
    dir = tempDir('traceledger-cli-');
    producerId = await registerProducer(sys, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
    const ack = await sys.ingest.submitBatchForProducer(producerId, batchInputNow({ id: `CLI-${Date.now()}` }));
    batchId = ack.id;
    bundle = await eventually(async () => {
      const b = await buildBundle(sys.store, sys.deployment, ack.id);
      return b.checkpoint ? b : undefined;
    });
    bundleFile = path.join(dir, 'bundle.json');
    fs.writeFileSync(bundleFile, JSON.stringify(bundle, null, 2));
  });
  after(async () => sys?.stop());

  describe('help', () => {
    it('When run with --help, Then every command is listed with the exit codes', async () => {
      const r = await cli(['--help']);
      expect(r.code, show(r)).to.equal(0);
      for (const cmd of ['verify', 'deploy', 'participants', 'tokens', 'import', 'labels', 'keygen', 'sign-report']) expect(r.stdout).to.match(new RegExp(`^\\s+${cmd}\\b`, 'm'));
      expect(r.stdout).to.contain('Exit codes:');
    });

    it('When a command is asked for its help, Then it documents its options and exit codes', async () => {
      const r = await cli(['verify', '--help']);
      expect(r.code, show(r)).to.equal(0);
      expect(r.stdout).to.contain('--rpc <url>').and.to.contain('3 pending');
    });

    it('When a command is unknown or an option missing, Then one clear line and exit 2', async () => {
      const r = await cli(['verify', bundleFile]);
      expect(r.code, show(r)).to.equal(2);
      expect(r.stderr).to.contain("required option '--rpc <url>' not specified").and.not.contain('    at ');
    });
  });

  describe('verify', () => {
    it('When a real anchored bundle is verified, Then every integrity step passes and the exit code is 0', async () => {
      const r = await cli(['verify', bundleFile, '--rpc', sys.rpcUrl]);
      expect(r.code, show(r)).to.equal(0);
      for (const step of ['parseBundle', 'checkFieldDisclosures', 'computeLeafHash', 'checkInclusion', 'checkCheckpointOnChain', 'checkSigner', 'checkNotRevoked']) {
        expect(r.stdout).to.match(new RegExp(`✓ ${step}\\b`));
      }
      expect(r.stdout).to.match(/^VALID/m);
    });

    it('When the reader of its output has gone (traceledger verify … | head -0), Then it ends quietly with status 141, not a stack trace', async () => {
      const r = await cli(['verify', bundleFile, '--rpc', sys.rpcUrl], { readerGone: true });
      expect(r.code, show(r)).to.equal(141);
      expect(r.stderr, show(r)).to.equal('');
    });

    it('When the bundle comes on standard input with --json, Then the result is JSON with the verdict', async () => {
      const r = await cli(['verify', '-', '--rpc', sys.rpcUrl, '--json'], { input: JSON.stringify(bundle) });
      expect(r.code, show(r)).to.equal(0);
      const result = JSON.parse(r.stdout) as { verdict: string; failedStep: string | null };
      expect(result).to.include({ verdict: 'valid', failedStep: null });
    });

    it('When one disclosed value is changed, Then the exit code is 1 and checkFieldDisclosures is named as failed', async () => {
      const tampered = JSON.parse(JSON.stringify(bundle)) as ProofBundle;
      const lot = tampered.record.disclosures.find((d) => d.name === 'lot')!;
      lot.value = 'ZY-2025-09B';
      const file = path.join(dir, 'tampered.json');
      fs.writeFileSync(file, JSON.stringify(tampered));

      const r = await cli(['verify', file, '--rpc', sys.rpcUrl]);

      expect(r.code, show(r)).to.equal(1);
      expect(r.stdout).to.match(/✗ checkFieldDisclosures/);
      expect(r.stdout).to.match(/^INVALID: failed at checkFieldDisclosures/m);
    });

    it('When the bundle is not yet anchored, Then the exit code is 3 and the pending steps are named', async () => {
      const pending = { ...bundle, checkpoint: null, log: { ...bundle.log, leafIndex: null, inclusionProof: [] } };
      const file = path.join(dir, 'pending.json');
      fs.writeFileSync(file, JSON.stringify(pending));
      const r = await cli(['verify', file, '--rpc', sys.rpcUrl]);
      expect(r.code, show(r)).to.equal(3);
      expect(r.stdout).to.match(/^PENDING \(checkInclusion, checkCheckpointOnChain\)/m);
    });

    it('When the trusted contract is another one, Then the exit code is 1', async () => {
      const r = await cli(['verify', bundleFile, '--rpc', sys.rpcUrl, '--contract', Wallet.createRandom().address]);
      expect(r.code, show(r)).to.equal(1);
      expect(r.stdout).to.match(/^trust root: chain 31337, TraceLedger 0x[0-9a-fA-F]{40} \(from --contract\)/m);
      expect(r.stdout).to.match(/^INVALID: failed at checkTrustRoot: .*but the trusted one is/m);
    });

    it('When the file is not JSON, Then one line on stderr and exit 2', async () => {
      const file = path.join(dir, 'not.json');
      fs.writeFileSync(file, '%PDF-1.7 not a bundle');
      const r = await cli(['verify', file, '--rpc', sys.rpcUrl]);
      expect(r.code, show(r)).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.contain('is not JSON');
    });

    it('When the bundle has another format version, Then exit 2 naming it', async () => {
      const file = path.join(dir, 'v2.json');
      fs.writeFileSync(file, JSON.stringify({ ...bundle, format: 'traceledger-proof-v2' }));
      const r = await cli(['verify', file, '--rpc', sys.rpcUrl]);
      expect(r.code, show(r)).to.equal(2);
      expect(r.stderr).to.match(/unknown bundle format "traceledger-proof-v2"/i);
    });

    it('When the RPC endpoint cannot be reached, Then exit 2 without a retry loop', async () => {
      const r = await cli(['verify', bundleFile, '--rpc', `http://127.0.0.1:${await freePort()}`]);
      expect(r.code, show(r)).to.equal(2);
      expect(r.stderr).to.contain('cannot reach the chain').and.not.contain('retry');
    });
  });

  describe('keygen and sign-report', () => {
    it('When a lab signs a report with a generated key file, Then the output is accepted by the service once the key is registered', async () => {
      const keyFile = path.join(dir, 'lab.key');
      const gen = await cli(['keygen', '--out', keyFile]);
      expect(gen.code, show(gen)).to.equal(0);
      expect(fs.statSync(keyFile).mode & 0o777).to.equal(0o600);
      const address = gen.stdout.trim();
      const key = new Wallet(fs.readFileSync(keyFile, 'utf8').trim());
      expect(key.address).to.equal(address);
      await registerLab(sys, '202727050199', key);
      // The producer commissions the lab for its batch: a report counts only on a batch on record, by consent.
      await sys.ingest.submitCommissionForProducer(producerId, batchId, '202727050199');

      // The report names the lab registered for the key (ingest refuses another lab's name or CMA number).
      const lab = { ...reportInput().lab, ...(await registeredLabOf(sys, key)) };
      const { id: _id, issuedAt: _issuedAt, ...fields } = reportInput({ batchId, reportNumber: `AKSE-CLI-${Date.now()}`, lab });
      const reportFile = path.join(dir, 'report.json');
      fs.writeFileSync(reportFile, JSON.stringify(fields));
      const out = path.join(dir, 'signed.json');
      const r = await cli(['sign-report', reportFile, '--key-file', keyFile, '--chain-id', String(sys.deployment.chainId), '--contract', sys.deployment.traceLedger, '--out', out]);
      expect(r.code, show(r)).to.equal(0);

      const signed = JSON.parse(fs.readFileSync(out, 'utf8')) as { type: 'SeleniumTestReport'; record: { id: string; issuedAt: string }; salts: Record<string, string>; signature: string };
      expect(signed.record.id, 'a new ULID in the lab\'s namespace').to.match(/^202727050199-[0-9A-Z]{26}$/);
      const ack = await sys.ingest.submitSigned(signed);
      expect(ack).to.include({ status: 'accepted', signer: address.toLowerCase(), id: signed.record.id });
    });

    it('When the report is invalid, Then its problems are listed and the exit code is 1', async () => {
      const keyFile = path.join(dir, 'lab2.key');
      await cli(['keygen', '--out', keyFile]);
      const reportFile = path.join(dir, 'bad-report.json');
      fs.writeFileSync(reportFile, JSON.stringify({ ...reportInput(), lab: { ...reportInput().lab, cmaNumber: '2027' } }));
      const r = await cli(['sign-report', reportFile, '--key-file', keyFile, '--chain-id', '31337', '--contract', sys.deployment.traceLedger]);
      expect(r.code, show(r)).to.equal(1);
      expect(r.stderr).to.contain('lab.cmaNumber: CMA number must be 12 digits');
    });
  });

  describe('deploy and participants (straight to the chain)', () => {
    it('When the contracts are deployed and participants added, listed and a key revoked, Then each step says what it did', async () => {
      // Another funded account than the running system's operator, whose nonces it manages.
      const keyFile = path.join(dir, 'registrar.key');
      fs.writeFileSync(keyFile, `${ANVIL_DEV_KEYS[2]}\n`, { mode: 0o600 });
      const deployment = path.join(dir, 'deployment.json');
      const chain = ['--rpc', sys.rpcUrl, '--deployment', deployment];

      const dep = await cli(['deploy', '--rpc', sys.rpcUrl, '--key-file', keyFile, '--out', deployment]);
      expect(dep.code, show(dep)).to.equal(0);
      expect(JSON.parse(fs.readFileSync(deployment, 'utf8'))).to.include({ format: 'traceledger-deployment-v1', chainId: sys.deployment.chainId });

      const signer = Wallet.createRandom().address;
      const code = uscc('91610926MA6YAB3K2');
      const add = await cli(['participants', 'add', 'producer', '--name', '平利县女娲茶业有限公司', '--uscc', code, '--key', signer, '--key-file', keyFile, ...chain]);
      expect(add.code, show(add)).to.equal(0);
      expect(add.stdout).to.contain(`registered producer 平利县女娲茶业有限公司 (${code})`).and.to.contain(`key ${signer}`);

      const list = await cli(['participants', 'list', '--json', ...chain]);
      expect(list.code, show(list)).to.equal(0);
      const parsed = JSON.parse(list.stdout) as { code: string; keys: { address: string }[] }[];
      expect(parsed.find((p) => p.code === code)?.keys.map((k) => k.address)).to.deep.equal([signer]);

      const revoke = await cli(['participants', 'revoke-key', signer, '--key-file', keyFile, ...chain]);
      expect(revoke.code, show(revoke)).to.equal(0);
      expect(revoke.stdout).to.contain(`revoked ${signer}`);

      const again = await cli(['participants', 'add', 'producer', '--name', '平利县女娲茶业有限公司', '--uscc', code, '--key-file', keyFile, ...chain]);
      expect(again.code, show(again)).to.equal(1);
      expect(again.stderr).to.contain('already registered');
    });
  });

  describe('tokens, import and labels', () => {
    let server: http.Server;
    let url: string;

    before(async () => {
      const app = createApp(createContext(sys));
      server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server?.close());

    it('When the sample CSV is checked with --dry-run, Then all 20 rows are valid and nothing is sent', async () => {
      const r = await cli(['import', SAMPLE, '--dry-run']);
      expect(r.code, show(r)).to.equal(0);
      expect(r.stdout).to.contain('20 of 20 rows are valid');
    });

    it('When a CSV with a bad row is imported, Then nothing is sent, the line and column are named and the exit code is 1', async () => {
      const lines = fs.readFileSync(SAMPLE, 'utf8').split('\n');
      lines[4] = lines[4]!.replace('6972345010041', '6972345010042');
      const file = path.join(dir, 'bad.csv');
      fs.writeFileSync(file, lines.join('\n'));
      const r = await cli(['import', file, '--server', url, '--token', 'not-needed-for-a-local-refusal']);
      expect(r.code, show(r)).to.equal(1);
      expect(r.stdout).to.contain('Nothing was imported').and.to.match(/line 5\s+gtin: GTIN has check digit 2/);
    });

    it('When a producer gets a token from the data folder and imports the sample through the server, Then every row is committed', async () => {
      const issued = await cli(['tokens', 'create', '--producer', USCC.producer, '--label', 'CLI test', '--data-dir', sys.config.DATA_DIR, '--json']);
      expect(issued.code, show(issued)).to.equal(0);
      const { token, producerId: owner } = JSON.parse(issued.stdout) as { token: string; producerId: string };
      expect(owner).to.equal(producerId);
      const tokenFile = path.join(dir, 'token');
      fs.writeFileSync(tokenFile, token, { mode: 0o600 });

      const r = await cli(['import', SAMPLE, '--server', url, '--token-file', tokenFile, '--json']);
      expect(r.code, show(r)).to.equal(0);
      const report = JSON.parse(r.stdout) as { committed: boolean; accepted: { id: string }[] };
      expect(report.committed).to.equal(true);
      expect(report.accepted).to.have.length(20);
      expect(await sys.store.getRecord(namespacedId(USCC.producer, 'AK-HY-2025-006')), "placed in the producer's namespace").to.not.equal(undefined);

      const again = await cli(['import', SAMPLE, '--server', url, '--token-file', tokenFile, '--partial', '--chunk', '7']);
      expect(again.code, show(again)).to.equal(1);
      expect(again.stdout).to.contain('Nothing was imported: 20 of 20 rows were refused').and.to.match(new RegExp(`line 21\\s+id: record ${USCC.producer}-AK-HY-2025-006 was already accepted`));
    });

    it('When a lab submits signed report files, one of them tampered, Then each file is accepted or refused on its own and the exit code is 1', async () => {
      const key = new Wallet(Wallet.createRandom().privateKey);
      await registerLab(sys, '202727050197', key);
      await sys.ingest.submitCommissionForProducer(producerId, batchId, '202727050197');
      const write = (name: string, value: unknown) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, JSON.stringify(value));
        return file;
      };
      const [a, b, c] = await Promise.all([0, 1, 2].map(() => signedReport(sys, key, { batchId })));
      // Changed after signing: the signature recovers another (unregistered) key.
      const tampered = { ...c!, record: { ...c!.record, result: 0.99 } };
      const files = [write('r-a.json', a), write('r-b.json', b), write('r-tampered.json', tampered)];
      const r = await cli(['submit-reports', ...files, '--server', url]);
      expect(r.code, show(r)).to.equal(1);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).to.match(new RegExp(`^accepted\\s+\\S+r-a\\.json\\s+${a!.record.id}\\s+leaf 0x[0-9a-f]{64}$`));
      expect(lines[1]).to.contain('accepted').and.to.contain(b!.record.id);
      expect(lines[2]).to.match(/^refused\s+\S+r-tampered\.json\s+unknown-signer: /);
      expect(r.stderr).to.contain('2 of 3 report(s) accepted');
      expect(await sys.store.getRecord(a!.record.id)).to.not.equal(undefined);
      expect(await sys.store.getRecord(c!.record.id)).to.equal(undefined);

      // Sent again: a replay, as JSON.
      const again = await cli(['submit-reports', files[0]!, '--server', url, '--json']);
      expect(again.code, show(again)).to.equal(1);
      const outcomes = JSON.parse(again.stdout) as { file: string; status: number; error: { code: string } }[];
      expect(outcomes.map((o) => [o.file, o.status, o.error.code])).to.deep.equal([[files[0], 409, 'replay']]);

      // A file that is no signed report: nothing at all is sent.
      const d = await signedReport(sys, key, { batchId });
      const bad = await cli(['submit-reports', write('r-d.json', d), write('not-a-report.json', { hello: 1 }), '--server', url]);
      expect(bad.code, show(bad)).to.equal(2);
      expect(bad.stderr).to.contain('not-a-report.json is not a signed report');
      expect(await sys.store.getRecord(d.record.id)).to.equal(undefined);
    });

    it('When labels are printed from the data folder, Then a PDF of the batches is written', async () => {
      const out = path.join(dir, 'labels.pdf');
      const ids = ['AK-ZY-2025-001', 'AK-PL-2025-001', 'AK-HY-2025-001'].map((id) => namespacedId(USCC.producer, id));
      const r = await cli(['labels', '--ids', ids.join(','), '--data-dir', sys.config.DATA_DIR, '--base-url', 'trace.ankang.example.cn', '--out', out]);
      expect(r.code, show(r)).to.equal(0);
      expect(fs.readFileSync(out).subarray(0, 5).toString('ascii')).to.equal('%PDF-');
    });

    it('When the server cannot be reached, Then exit 2', async () => {
      const r = await cli(['import', SAMPLE, '--server', `http://127.0.0.1:${await freePort()}`, '--token', 'x']);
      expect(r.code, show(r)).to.equal(2);
      expect(r.stderr).to.contain('cannot reach the server');
    });
  });
});
