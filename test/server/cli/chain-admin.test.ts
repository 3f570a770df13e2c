import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { JsonRpcProvider, Wallet } from 'ethers';
import { ANVIL_DEV_KEYS } from '../../../server/chain/anvil';
import { participantIdFor } from '../../../server/chain/registry';
import { gs1CheckDigit, usccCheckCharacter } from '../../../server/records';
import type { System } from '../../../server/system';
import { bootTestSystem, tempDir } from '../../support/system';
import { cli, show } from '../../support/cli';

/** A valid USCC with the given 17-character body. */
const uscc = (body: string) => body + usccCheckCharacter(body);
/** A valid GTIN-13 with the given 12-digit body. */
const gtin13 = (body: string) => body + String(gs1CheckDigit(body));
const nowSeconds = () => Math.floor(Date.now() / 1000);
const seconds = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : NaN);

interface Listed {
  id: string;
  kind: string;
  code: string;
  accreditedFrom: string | null;
  accreditedUntil: string | null;
  spotCheck?: { from: string | null; until: string | null };
  keys: { address: string; validFrom: string }[];
  productKeys?: string[];
}

describe('server/cli participants: product keys, spot-check labs, accreditation start (spawned, against a real anvil node)', function () {
  this.timeout(240_000);
  let sys: System;
  let provider: JsonRpcProvider;
  /** Options of a command that reads the registry, and of one that writes to it as the registrar. */
  let chain: string[];
  let write: string[];
  /** The registrar: another funded account than the running system's operator, whose nonces it manages. */
  const registrar = new Wallet(ANVIL_DEV_KEYS[3]!);
  const PRODUCER_A = uscc('91610926MA6YCD3K2');
  const PRODUCER_B = uscc('91610926MA6YCD4K2');
  const LAB_CMA = '202727050555';
  const ids = { a: participantIdFor('producer', PRODUCER_A), b: participantIdFor('producer', PRODUCER_B), lab: participantIdFor('lab', LAB_CMA) };
  const LAB_NAME = '汉中市富硒食品检验检测中心';
  const untilYear = `${new Date().getUTCFullYear() + 3}-01-01`;

  /** Transactions the registrar has sent so far: unchanged when the CLI refuses before any transaction. */
  const sent = () => provider.getTransactionCount(registrar.address);

  async function list(): Promise<Listed[]> {
    const r = await cli(['participants', 'list', '--json', ...chain]);
    expect(r.code, show(r)).to.equal(0);
    return JSON.parse(r.stdout) as Listed[];
  }
  const listed = async (id: string): Promise<Listed | undefined> => (await list()).find((p) => p.id === id);

  before(async () => {
    sys = await bootTestSystem();
    provider = new JsonRpcProvider(sys.rpcUrl, sys.deployment.chainId, { staticNetwork: true });
    const dir = tempDir('traceledger-cli-admin-');
    const keyFile = path.join(dir, 'registrar.key');
    fs.writeFileSync(keyFile, `${registrar.privateKey}\n`, { mode: 0o600 });
    const deployment = path.join(dir, 'deployment.json');
    const dep = await cli(['deploy', '--rpc', sys.rpcUrl, '--key-file', keyFile, '--out', deployment]);
    expect(dep.code, show(dep)).to.equal(0);
    chain = ['--rpc', sys.rpcUrl, '--deployment', deployment];
    write = [...chain, '--key-file', keyFile];
    for (const [name, code] of [['平利县女娲茶业有限公司', PRODUCER_A], ['紫阳县和平茶厂', PRODUCER_B]] as const) {
      const add = await cli(['participants', 'add', 'producer', '--name', name, '--uscc', code, ...write]);
      expect(add.code, show(add)).to.equal(0);
    }
  });
  after(async () => {
    provider?.destroy();
    await sys?.stop();
  });

  describe('participants add lab: the accreditation starts now', () => {
    it('When a lab is added without --accredited-from, Then it is accredited, and its key valid, from now', async () => {
      const key = Wallet.createRandom().address;
      const before = nowSeconds();
      const r = await cli(['participants', 'add', 'lab', '--name', LAB_NAME, '--cma', LAB_CMA, '--accredited-until', untilYear, '--key', key, ...write]);
      expect(r.code, show(r)).to.equal(0);
      expect(r.stdout).to.contain(`registered lab ${LAB_NAME} (${LAB_CMA})`);

      const lab = await listed(ids.lab);
      expect(seconds(lab?.accreditedFrom)).to.be.within(before - 5, nowSeconds() + 5);
      expect(lab?.accreditedUntil).to.equal(`${untilYear}T00:00:00.000Z`);
      expect(seconds(lab?.keys[0]?.validFrom)).to.be.within(before - 5, nowSeconds() + 5);
    });

    it('back-dating: When --accredited-from lies years back, Then exit 1 with window-starts-in-past naming the field, before any transaction, and no lab is registered', async () => {
      const txs = await sent();
      const r = await cli(['participants', 'add', 'lab', '--name', '回溯检测中心', '--cma', '202727050556', '--accredited-from', '2020-01-01', '--accredited-until', untilYear, ...write]);
      expect(r.code, show(r)).to.equal(1);
      expect(r.stderr).to.contain('accreditedFrom 2020-01-01T00:00:00Z lies in the past').and.not.contain('    at ');
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(await sent(), 'no transaction').to.equal(txs);
      expect(await listed(participantIdFor('lab', '202727050556'))).to.equal(undefined);
    });
  });

  describe('participants add-product-key', () => {
    const prefix = '6907777';
    const gtin = gtin13('690888800001');

    it('When the registrar assigns producer A a company prefix and a GTIN-13, Then both are on chain, the GTIN as its GTIN-14, and participants list shows them', async () => {
      const p = await cli(['participants', 'add-product-key', `producer:${PRODUCER_A}`, '--prefix', prefix, ...write]);
      expect(p.code, show(p)).to.equal(0);
      expect(p.stdout).to.contain(`assigned company-prefix ${prefix} to ${ids.a}`);
      const g = await cli(['participants', 'add-product-key', ids.a, '--gtin', gtin, ...write]);
      expect(g.code, show(g)).to.equal(0);
      expect(g.stdout).to.contain(`assigned gtin 0${gtin} to ${ids.a}`);

      expect((await listed(ids.a))?.productKeys).to.have.members([prefix, `0${gtin}`]);
      expect((await listed(ids.b))?.productKeys).to.deep.equal([]);
      const text = await cli(['participants', 'list', '--kind', 'producer', ...chain]);
      expect(text.code, show(text)).to.equal(0);
      expect(text.stdout).to.contain(`product key ${prefix}`).and.to.contain(`product key 0${gtin}`);
    });

    it('When the GTIN has a wrong check digit, or neither or both of --prefix and --gtin are given, Then exit 2 naming the problem, before any transaction', async () => {
      const txs = await sent();
      const wrong = `${gtin.slice(0, -1)}${(Number(gtin.slice(-1)) + 1) % 10}`;
      const bad = await cli(['participants', 'add-product-key', ids.b, '--gtin', wrong, ...write]);
      expect(bad.code, show(bad)).to.equal(2);
      expect(bad.stderr).to.contain(`--gtin ${wrong}: GTIN has check digit`);
      const neither = await cli(['participants', 'add-product-key', ids.b, ...write]);
      expect(neither.code, show(neither)).to.equal(2);
      expect(neither.stderr).to.contain('give either --prefix or --gtin');
      const both = await cli(['participants', 'add-product-key', ids.b, '--prefix', '6905555', '--gtin', gtin, ...write]);
      expect(both.code, show(both)).to.equal(2);
      expect(await sent(), 'no transaction').to.equal(txs);
    });

    it("label hijack: When producer B is assigned a GTIN under A's prefix, or a prefix covering A's, Then exit 1 with the contract's reason and B holds nothing", async () => {
      const under = gtin13(`${prefix}12345`);
      const taken = await cli(['participants', 'add-product-key', `producer:${PRODUCER_B}`, '--gtin', under, ...write]);
      expect(taken.code, show(taken)).to.equal(1);
      expect(taken.stderr).to.contain(`refused by the chain: ParticipantRegistryProductKeyTaken(0${under}, ${prefix}, ${ids.a})`).and.not.contain('    at ');

      const covering = await cli(['participants', 'add-product-key', `producer:${PRODUCER_B}`, '--prefix', prefix.slice(0, 6), ...write]);
      expect(covering.code, show(covering)).to.equal(1);
      expect(covering.stderr).to.contain(`refused by the chain: ParticipantRegistryProductKeyOverlaps(${prefix.slice(0, 6)})`);

      const again = await cli(['participants', 'add-product-key', `producer:${PRODUCER_B}`, '--gtin', gtin, ...write]);
      expect(again.code, show(again)).to.equal(1);
      expect(again.stderr).to.contain(`ParticipantRegistryProductKeyTaken(0${gtin}, 0${gtin}, ${ids.a})`);
      expect((await listed(ids.b))?.productKeys).to.deep.equal([]);
    });
  });

  describe('participants spot-check', () => {
    it('When the regulator designates the lab, Then its window runs from now to --until and participants list shows it', async () => {
      const before = nowSeconds();
      const r = await cli(['participants', 'spot-check', `lab:${LAB_CMA}`, '--until', untilYear, ...write]);
      expect(r.code, show(r)).to.equal(0);
      expect(r.stdout).to.match(new RegExp(`^${LAB_NAME}: spot checks \\S+ to ${untilYear}T00:00:00.000Z$`, 'm'));

      const lab = await listed(ids.lab);
      expect(seconds(lab?.spotCheck?.from)).to.be.within(before - 5, nowSeconds() + 5);
      expect(lab?.spotCheck?.until).to.equal(`${untilYear}T00:00:00.000Z`);
      const text = await cli(['participants', 'list', '--kind', 'lab', ...chain]);
      expect(text.stdout).to.contain(`spot checks ${lab?.spotCheck?.from ?? '?'} to ${untilYear}T00:00:00.000Z`);
    });

    it('back-dating: When --from lies more than an hour in the past, Then exit 1 with window-starts-in-past naming --from, before any transaction', async () => {
      const txs = await sent();
      const r = await cli(['participants', 'spot-check', ids.lab, '--from', '2024-01-01', '--until', untilYear, ...write]);
      expect(r.code, show(r)).to.equal(1);
      expect(r.stderr).to.contain('from 2024-01-01T00:00:00Z lies in the past').and.to.contain('spot-check window');
      expect(await sent(), 'no transaction').to.equal(txs);
      expect((await listed(ids.lab))?.spotCheck?.until, 'the designation in force is untouched').to.equal(`${untilYear}T00:00:00.000Z`);
    });

    it('When a producer or an unknown lab is named, Then exit 1 saying it is no lab, before any transaction', async () => {
      const txs = await sent();
      const producer = await cli(['participants', 'spot-check', `producer:${PRODUCER_A}`, ...write]);
      expect(producer.code, show(producer)).to.equal(1);
      expect(producer.stderr).to.contain(`no lab ${ids.a}: it is the producer 平利县女娲茶业有限公司 (${PRODUCER_A})`);
      const unknown = await cli(['participants', 'spot-check', 'lab:202727050999', ...write]);
      expect(unknown.code, show(unknown)).to.equal(1);
      expect(unknown.stderr).to.contain(`no lab ${participantIdFor('lab', '202727050999')}`);
      expect(await sent(), 'no transaction').to.equal(txs);
    });

    it('When --end is given, Then the designation ends now; ending it again exits 1 as none is in force', async () => {
      const r = await cli(['participants', 'spot-check', `lab:${LAB_CMA}`, '--end', ...write]);
      expect(r.code, show(r)).to.equal(0);
      const until = seconds((await listed(ids.lab))?.spotCheck?.until);
      expect(until).to.be.within(nowSeconds() - 30, nowSeconds() + 30);

      const again = await cli(['participants', 'spot-check', `lab:${LAB_CMA}`, '--end', ...write]);
      expect(again.code, show(again)).to.equal(1);
      expect(again.stderr).to.contain(`${LAB_NAME} has no spot-check designation in force`);
    });
  });

  describe('--data-dir (an embedded installation)', () => {
    // Last in this file: it signs as the running system's operator, whose nonces that system then no longer knows.
    it("When --data-dir names the server's data directory, Then participants add signs with its operator-key against its deployment.json; without a key, exit 2 naming both ways", async () => {
      const code = uscc('91610926MA6YCD5K2');
      const dataDir = sys.config.DATA_DIR;
      const none = await cli(['participants', 'add', 'producer', '--name', '岚皋县魔芋合作社', '--uscc', code, '--rpc', sys.rpcUrl, '--deployment', path.join(dataDir, 'deployment.json')]);
      expect(none.code, show(none)).to.equal(2);
      expect(none.stderr).to.contain('--key-file FILE, or --data-dir DIR');

      const add = await cli(['participants', 'add', 'producer', '--name', '岚皋县魔芋合作社', '--uscc', code, '--rpc', sys.rpcUrl, '--data-dir', dataDir]);
      expect(add.code, show(add)).to.equal(0);
      expect(await provider.getTransactionCount(sys.operatorAddress), 'sent by the installation operator').to.be.greaterThan(0);
      await sys.mirror.sync();
      expect((await sys.store.getParticipant(participantIdFor('producer', code)))?.name).to.equal('岚皋县魔芋合作社');
      const list = await cli(['participants', 'list', '--json', '--kind', 'producer', '--rpc', sys.rpcUrl, '--data-dir', dataDir]);
      expect(list.code, show(list)).to.equal(0);
      expect((JSON.parse(list.stdout) as Listed[]).map((p) => p.code)).to.include(code);
    });
  });
});
