/**
 * The fault suite's harness: the real server as `npm start` runs it (a child process with its embedded chain node,
 * or pointed at an external one), signed load over HTTP as labs' and departments' tooling sends it, and the
 * checks every fault scenario ends with: no acknowledged record lost, none stored twice, every proof bundle handed
 * out still verifies against the chain, and how long anchoring took to converge once the fault ended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Wallet } from 'ethers';
import { readDeployment, type Deployment } from '../../server/chain/deploy';
import { commitRecord, parseRecord, signRecord } from '../../server/records';
import { LOG_IDS } from '../../server/store/types';
import { JsonRpcChainReader } from '../../server/verification/json-rpc';
import { verifyBundle } from '../../server/verification/verify';
import { buildShareRequest, reportInput } from '../server/records/fixtures';
import { FIXTURE_BATCH_ID, registeredLabOf, storeReportBatch } from '../support/records';
import { bootTestSystem, registerLab } from '../support/system';
import type { Department} from '../support/trails';
import { registerDepartment } from '../support/trails';

const ROOT = path.resolve(__dirname, '../..');

/** The operator's token of the servers the suite starts (the log monitor needs it). */
export const FAULT_ADMIN_TOKEN = 'fault-suite-admin-token-0123456789abcdef';

/** Environment of every server the suite starts: anchoring every second, quiet logs, no rate limit. */
const BASE_ENV: Record<string, string> = {
  ANCHOR_EVERY_ENTRIES: '32',
  ANCHOR_EVERY_SECONDS: '1',
  CONFIRMATIONS: '1',
  LOG_LEVEL: 'warn',
  RATE_LIMIT_WRITES_PER_MINUTE: '0',
  INGEST_THREADS: '0',
  ADMIN_TOKEN: FAULT_ADMIN_TOKEN,
};

export interface ServerOptions {
  dataDir: string;
  port: number;
  /** The embedded node's port (ignored with RPC_URL in `env`). */
  chainPort: number;
  env?: Record<string, string>;
}

/** One `npm start` of the server, as a process group of its own (the server and its embedded chain node). */
export class ServerProcess {
  output = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly opts: ServerOptions,
  ) {
    const collect = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-200_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get url(): string {
    return `http://127.0.0.1:${this.opts.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Spawns the server; does not wait for it (see {@link ready}). */
  static spawn(opts: ServerOptions): ServerProcess {
    const env = { ...process.env, ...BASE_ENV, DATA_DIR: opts.dataDir, PORT: String(opts.port), CHAIN_PORT: String(opts.chainPort), ...opts.env };
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'server/main.ts'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ServerProcess(child, opts);
  }

  /** Spawns the server and resolves once it serves HTTP. */
  static async start(opts: ServerOptions, timeoutMs = 90_000): Promise<ServerProcess> {
    const s = ServerProcess.spawn(opts);
    await s.ready(timeoutMs);
    return s;
  }

  /** Resolves once the banner is printed; rejects with the output if the process exits or the time passes. */
  async ready(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes('traceledger is running')) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the server exited (${this.child.exitCode ?? this.child.signalCode}) before it was ready:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`the server was not ready within ${timeoutMs} ms:\n${this.output}`);
      await sleep(100);
    }
  }

  /** kill -9 of the whole process group: the server and its embedded chain node die at once, as in a power cut. */
  async kill9(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
    await this.exited;
    // The group's other members (the chain node) die with it; give the kernel a moment to free their ports.
    await waitUntil(async () => !processGroupAlive(this.pid), 10_000);
  }

  /** Ctrl-C: a clean stop. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.kill9().catch(() => undefined), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    await waitUntil(async () => !processGroupAlive(this.pid), 10_000).catch(() => process.kill(-this.pid, 'SIGKILL'));
  }

  /** Pids of the embedded chain node(s) the server started (children named anvil). */
  chainNodePids(): number[] {
    return childPids(this.pid).filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'anvil';
      } catch {
        return false;
      }
    });
  }
}

function childPids(pid: number): number[] {
  try {
    const text = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it is true; rejects after `ms`. Returns the milliseconds it took. */
export async function waitUntil(fn: () => Promise<boolean>, ms: number, step = 200): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await fn().catch(() => false)) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await sleep(step);
  }
}

/** The world the load signs against: a lab with its key, the batch its reports are for, and two departments. */
export interface World {
  dataDir: string;
  deployment: Deployment;
  labKey: Wallet;
  lab: Awaited<ReturnType<typeof registeredLabOf>>;
  batchId: string;
  requester: { id: string; key: Wallet; name: string; uscc: string };
  provider: { id: string; key: Wallet; name: string; uscc: string };
}

/**
 * Sets the world up in `dataDir` with the system booted in-process (the test helpers register participants
 * through the operator), then stops it cleanly: the servers the scenarios start find it all on their chain.
 * With `RPC_URL` in `env` the world lives on that external chain (with its SIGNER_KEY).
 */
export async function setUpWorld(dataDir: string, env: Record<string, string> = {}): Promise<World> {
  const sys = await bootTestSystem({ dataDir, env, manualWorker: true });
  try {
    const { key: labKey } = await registerLab(sys);
    const lab = await registeredLabOf(sys, labKey);
    await storeReportBatch(sys);
    const requester = await registerDepartment(sys, 1);
    const provider = await registerDepartment(sys, 2);
    const part = (d: Department) => ({ id: d.id, key: d.key, name: d.name, uscc: d.uscc });
    return { dataDir, deployment: sys.deployment, labKey, lab, batchId: FIXTURE_BATCH_ID, requester: part(requester), provider: part(provider) };
  } finally {
    await sys.stop();
  }
}

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** One JSON request; throws on a network failure (the server died, or never answered). */
export async function request(base: string, method: string, route: string, body?: unknown, timeoutMs = 15_000, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const res = await fetch(base + route, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

type Submission = { type: string; record: unknown; salts: Record<string, string>; signature: string };

/** Per-scenario counts of what the load saw. */
export interface LoadTally {
  /** Answered 201: the server promised to keep it. */
  acknowledged: number;
  /** Sent, the answer never came (the server died): retried after the fault; stored or not, the retry tells. */
  unanswered: number;
  /** Refused with a 4xx other than a replay of an unanswered one: must be 0 under faults. */
  refused: Record<string, number>;
  /** 503 answers (storage or chain unavailable): retried later, never counted as lost. */
  unavailable: number;
  /** Of the acknowledged, those answered 201 inside a bulk request's results. */
  acknowledgedInBulk: number;
}

/**
 * Signed load as a lab's and a department's tooling sends it: selenium test reports (several in flight) and one
 * department's data-sharing requests (one at a time: each names the leaf hash of the one before). A submission
 * whose answer never came is sent again, identical, until it is answered: 201, or 409 replay when the first one
 * was stored after all (its id is then looked up).
 */
export class SignedLoad {
  /** Record id → leaf hash, for every record the server acknowledged (201, or a replay of an unanswered send). */
  readonly acknowledged = new Map<string, string>();
  readonly tally: LoadTally = { acknowledged: 0, unanswered: 0, refused: {}, unavailable: 0, acknowledgedInBulk: 0 };
  private readonly retry: { route: string; sub: Submission }[] = [];
  private n = 0;
  private dept: { seq: number; prevHash: string; pending?: Submission };
  private running = false;
  private loops: Promise<void>[] = [];
  /** The servers the load goes to, in turn (several instances behind a load balancer); a send that got no answer goes to the next. */
  bases: string[] = [];
  private turn = 0;

  /** One server: every submission goes to it. */
  get base(): string {
    return this.bases[0] ?? '';
  }

  set base(url: string) {
    this.bases = [url];
  }

  private nextBase(): string {
    return this.bases[this.turn++ % this.bases.length]!;
  }

  constructor(private readonly world: World) {
    this.dept = { seq: 0, prevHash: '0x' + '00'.repeat(32) };
  }

  private get binding() {
    return { chainId: this.world.deployment.chainId, verifyingContract: this.world.deployment.traceLedger };
  }

  private async signedReport(): Promise<Submission> {
    const i = ++this.n;
    const issuedAt = new Date(Date.now() - 5000).toISOString().replace(/\.\d+Z$/, 'Z');
    const lab = this.world.lab!;
    const base = reportInput({ id: `${lab.cmaNumber}-FAULT-${process.pid}-${Date.now()}-${i}`, reportNumber: `AKSE-F-${i}`, issuedAt, batchId: this.world.batchId, result: 0.2 + (i % 40) / 100 });
    const record = parseRecord('SeleniumTestReport', { ...base, lab: { ...base.lab, ...lab } });
    const { root, salts } = commitRecord(record);
    return { type: 'SeleniumTestReport', record, salts, signature: await signRecord(this.world.labKey, 'SeleniumTestReport', record, root, this.binding) };
  }

  private async signedRequest(): Promise<Submission> {
    const w = this.world;
    const now = Math.floor(Date.now() / 1000);
    const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    // The fixture's request, from the world's requester to its provider, next in the requester's sequence, issued now.
    const record = buildShareRequest({
      id: `${w.requester.uscc}-REQ-${process.pid}-${this.dept.seq + 1}`,
      departmentId: w.requester.id,
      seq: this.dept.seq + 1,
      prevHash: this.dept.prevHash,
      requestingDepartment: { name: w.requester.name, uscc: w.requester.uscc },
      providingDepartment: { name: w.provider.name, uscc: w.provider.uscc },
      issuedAt: iso(now - 5),
      requestedAt: iso(now - 5),
      validity: { from: iso(now - 30 * 24 * 3600), to: iso(now + 180 * 24 * 3600) },
    });
    const { root, salts } = commitRecord(record);
    return { type: 'ShareRequest', record, salts, signature: await signRecord(w.requester.key, 'ShareRequest', record, root, this.binding) };
  }

  /**
   * Sends one submission: 'ack' with its leaf hash once the server promised to keep it, 'retry' when it must be
   * sent again later (no answer: the server died; or 503), 'refused' otherwise (counted in the tally).
   */
  private async send(route: string, sub: Submission, wasUnanswered: boolean): Promise<{ kind: 'ack'; leafHash: string } | { kind: 'retry' | 'refused' }> {
    const id = (sub.record as { id: string }).id;
    const base = this.nextBase();
    let ans: HttpAnswer;
    try {
      ans = await request(base, 'POST', route, sub);
    } catch {
      if (!wasUnanswered) this.tally.unanswered++;
      return { kind: 'retry' };
    }
    if (ans.status === 201) {
      this.tally.acknowledged++;
      this.acknowledged.set(id, String(ans.body.leafHash));
      return { kind: 'ack', leafHash: String(ans.body.leafHash) };
    }
    if (ans.status === 503) {
      this.tally.unavailable++;
      return { kind: 'retry' };
    }
    const code = String((ans.body.error as { code?: string } | undefined)?.code ?? ans.status);
    if (wasUnanswered && ans.status === 409) {
      // The first send was stored before the server died: the retry is a replay; the record is there.
      const stored = await request(base, 'GET', `/api/v1/records/${encodeURIComponent(id)}`);
      if (stored.status === 200) {
        this.acknowledged.set(id, String(stored.body.leafHash));
        return { kind: 'ack', leafHash: String(stored.body.leafHash) };
      }
    }
    this.tally.refused[code] = (this.tally.refused[code] ?? 0) + 1;
    return { kind: 'refused' };
  }

  /**
   * Sends `subs` together to POST /api/v1/reports/bulk and tallies each report as the single route's answer would be
   * tallied: 201 acknowledged; 503 (for the request or for one report) or no answer at all (the server died) sent
   * again one by one once the fault ended, where a replay of one already stored counts as acknowledged.
   */
  private async sendBulk(subs: Submission[]): Promise<void> {
    let ans: HttpAnswer;
    try {
      ans = await request(this.nextBase(), 'POST', '/api/v1/reports/bulk', { reports: subs.map((s) => ({ record: s.record, salts: s.salts, signature: s.signature })) });
    } catch {
      this.tally.unanswered += subs.length;
      for (const sub of subs) this.retry.push({ route: '/api/v1/reports', sub });
      return;
    }
    if (ans.status !== 200) {
      if (ans.status === 503) {
        this.tally.unavailable++;
        for (const sub of subs) this.retry.push({ route: '/api/v1/reports', sub });
        return;
      }
      const code = `bulk ${String((ans.body.error as { code?: string } | undefined)?.code ?? ans.status)}`;
      this.tally.refused[code] = (this.tally.refused[code] ?? 0) + subs.length;
      return;
    }
    const results = ans.body.results as { index: number; status: number; acceptance?: { id: string; leafHash: string }; error?: { code: string } }[];
    for (const r of results) {
      const sub = subs[r.index]!;
      if (r.status === 201 && r.acceptance?.id === (sub.record as { id: string }).id) {
        this.tally.acknowledged++;
        this.tally.acknowledgedInBulk++;
        this.acknowledged.set(r.acceptance.id, r.acceptance.leafHash);
      } else if (r.status === 503) {
        this.tally.unavailable++;
        this.retry.push({ route: '/api/v1/reports', sub });
      } else {
        const code = `bulk item ${r.error?.code ?? r.status}`;
        this.tally.refused[code] = (this.tally.refused[code] ?? 0) + 1;
      }
    }
  }

  /** Sends the department's next request (or the one still unanswered); false when it must wait. */
  private async sendShare(): Promise<boolean> {
    const wasUnanswered = this.dept.pending !== undefined;
    const sub = this.dept.pending ?? (await this.signedRequest());
    const out = await this.send('/api/v1/shares', sub, wasUnanswered);
    if (out.kind === 'retry') {
      this.dept.pending = sub;
      return false;
    }
    this.dept.pending = undefined;
    if (out.kind === 'ack') {
      this.dept.seq = (sub.record as { seq: number }).seq;
      this.dept.prevHash = out.leafHash;
    }
    return true;
  }

  /**
   * Starts `reportsInFlight` report senders and the department's sender against `this.base`; with `bulkOf`, one more
   * sender posting that many reports a request to POST /api/v1/reports/bulk.
   */
  start(reportsInFlight = 4, opts: { bulkOf?: number } = {}): void {
    this.running = true;
    const reports = async () => {
      while (this.running) {
        const sub = await this.signedReport();
        if ((await this.send('/api/v1/reports', sub, false)).kind === 'retry') {
          this.retry.push({ route: '/api/v1/reports', sub });
          await sleep(100);
        }
      }
    };
    const shares = async () => {
      while (this.running) if (!(await this.sendShare())) await sleep(100);
    };
    const bulk = async (k: number) => {
      while (this.running) {
        const subs: Submission[] = [];
        for (let i = 0; i < k; i++) subs.push(await this.signedReport());
        await this.sendBulk(subs);
        if (this.retry.length > 0) await sleep(100);
      }
    };
    this.loops = [...Array.from({ length: reportsInFlight }, reports), shares(), ...(opts.bulkOf ? [bulk(opts.bulkOf)] : [])];
  }

  /** Stops sending and waits for the requests in flight (they end when the server answers or dies). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Sends every unanswered submission again (after the fault ended) until each is answered. */
  async settle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.retry.length > 0 || this.dept.pending) {
      if (Date.now() > deadline) throw new Error(`${this.retry.length + (this.dept.pending ? 1 : 0)} submissions still unanswered after ${timeoutMs} ms`);
      const item = this.retry[0];
      const done = item ? (await this.send(item.route, item.sub, true)).kind !== 'retry' : await this.sendShare();
      if (item && done) this.retry.shift();
      if (!done) await sleep(200);
    }
  }
}

/**
 * Reads the data directory's database after the server stopped: acknowledged records missing from it, records
 * whose leaf sits in the log more than once, and logs whose leaves are not exactly positions 0…size−1.
 */
export function lostAndDuplicated(load: SignedLoad, dataDir: string): { lost: string[]; duplicated: string[]; logFaults: string[] } {
  const db = new Database(path.join(dataDir, 'traceledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare('SELECT 1 FROM records WHERE id = ?').pluck();
    const lost = [...load.acknowledged.keys()].filter((id) => has.get(id) === undefined);
    const duplicated = (db.prepare('SELECT log_id AS logId, hex(leaf_hash) AS leaf, COUNT(*) AS n FROM log_leaves GROUP BY log_id, leaf_hash HAVING n > 1').all() as { logId: string; leaf: string; n: number }[]).map(
      (r) => `${r.logId} leaf ${r.leaf} ×${r.n}`,
    );
    const logFaults: string[] = [];
    for (const s of db.prepare('SELECT log_id AS logId, size FROM log_state').all() as { logId: string; size: number }[]) {
      const l = db.prepare('SELECT COUNT(*) AS n, COALESCE(MAX(leaf_index), -1) AS top FROM log_leaves WHERE log_id = ?').get(s.logId) as { n: number; top: number };
      if (l.n !== s.size || l.top !== s.size - 1) logFaults.push(`${s.logId}: size ${s.size}, ${l.n} leaves, last index ${l.top}`);
    }
    return { lost, duplicated, logFaults };
  } finally {
    db.close();
  }
}

/** {@link lostAndDuplicated} for the PostgreSQL database at `databaseUrl` (several instances share it). */
export async function lostAndDuplicatedIn(load: SignedLoad, databaseUrl: string): Promise<{ lost: string[]; duplicated: string[]; logFaults: string[] }> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const ids = [...load.acknowledged.keys()];
    const found = new Set((await db.query<{ id: string }>('SELECT id FROM records WHERE id = ANY($1)', [ids])).rows.map((r) => r.id));
    const lost = ids.filter((id) => !found.has(id));
    const duplicated = (
      await db.query<{ log_id: string; leaf: string; n: string }>("SELECT log_id, encode(leaf_hash, 'hex') AS leaf, COUNT(*) AS n FROM log_leaves GROUP BY log_id, leaf_hash HAVING COUNT(*) > 1")
    ).rows.map((r) => `${r.log_id} leaf ${r.leaf} ×${r.n}`);
    const logFaults: string[] = [];
    for (const st of (await db.query<{ log_id: string; size: string }>('SELECT log_id, size FROM log_state')).rows) {
      const l = (await db.query<{ n: string; top: string }>('SELECT COUNT(*) AS n, COALESCE(MAX(leaf_index), -1) AS top FROM log_leaves WHERE log_id = $1', [st.log_id])).rows[0]!;
      if (Number(l.n) !== Number(st.size) || Number(l.top) !== Number(st.size) - 1) logFaults.push(`${st.log_id}: size ${st.size}, ${l.n} leaves, last index ${l.top}`);
    }
    return { lost, duplicated, logFaults };
  } finally {
    await db.end();
  }
}

/** The auditor's header: a data-sharing step's proof bundle needs the admin token. */
const AUDITOR = { authorization: `Bearer ${FAULT_ADMIN_TOKEN}` };

/** Proof bundles fetched from the server while it ran, as a verifier downloads and keeps them. */
export class HandedOut {
  readonly bundles = new Map<string, unknown>();

  /** Fetches the bundles of up to `max` acknowledged records not yet collected that are anchored now. */
  async collect(base: string, load: SignedLoad, max = 10): Promise<void> {
    let taken = 0;
    for (const id of load.acknowledged.keys()) {
      if (taken >= max) break;
      if (this.bundles.has(id)) continue;
      let ans: HttpAnswer;
      try {
        ans = await request(base, 'GET', `/api/v1/records/${encodeURIComponent(id)}/bundle`, undefined, 15_000, AUDITOR);
      } catch {
        return;
      }
      if (ans.status === 200 && ans.body.checkpoint) {
        this.bundles.set(id, ans.body);
        taken++;
      }
    }
  }

  /** Verifies every kept bundle against the chain at `rpcUrl`, trusting the deployment's TraceLedger. */
  async verifyAll(rpcUrl: string, deployment: Deployment): Promise<{ valid: number; total: number; failures: string[] }> {
    const chain = JsonRpcChainReader.fromUrl(rpcUrl, { traceLedger: deployment.traceLedger });
    const trustRoot = { chainId: deployment.chainId, traceLedger: deployment.traceLedger };
    let valid = 0;
    const failures: string[] = [];
    for (const [id, bundle] of this.bundles) {
      const r = await verifyBundle(bundle, { chain, trustRoot });
      if (r.verdict === 'valid') valid++;
      else failures.push(`${id}: ${r.verdict} at ${r.failedStep ?? '-'}`);
    }
    return { valid, total: this.bundles.size, failures };
  }
}

/**
 * The stated bound: once a fault ends, every acknowledged record is anchored within this time (the worker's
 * longest retry backoff is 30 s; then a checkpoint is cut, sent and confirmed in a few seconds).
 */
export const CONVERGE_WITHIN_MS = 60_000;

/** True when the record's proof bundle names an anchored checkpoint. */
async function anchored(base: string, id: string): Promise<boolean> {
  const ans = await request(base, 'GET', `/api/v1/records/${encodeURIComponent(id)}/bundle`, undefined, 15_000, AUDITOR);
  return ans.status === 200 && Boolean(ans.body.checkpoint);
}

/**
 * Milliseconds until anchoring converged: the last records acknowledged (each log is sequenced in arrival order,
 * so once they are anchored all before them are) have anchored bundles. Then every acknowledged record is checked,
 * untimed; one not anchored is waited for (and counted in the time).
 */
export async function convergence(base: string, load: SignedLoad, timeoutMs = CONVERGE_WITHIN_MS): Promise<number> {
  const ids = [...load.acknowledged.keys()];
  const start = Date.now();
  const tail = ids.slice(-20);
  await waitUntil(async () => (await Promise.all(tail.map((id) => anchored(base, id)))).every(Boolean), timeoutMs, 250);
  const converged = Date.now() - start;
  for (let i = 0; i < ids.length; i += 16) {
    const chunk = ids.slice(i, i + 16);
    if ((await Promise.all(chunk.map((id) => anchored(base, id)))).every(Boolean)) continue;
    await waitUntil(async () => (await Promise.all(chunk.map((id) => anchored(base, id)))).every(Boolean), timeoutMs, 250);
    return Date.now() - start;
  }
  return converged;
}

/** The deployment the data directory's server uses. */
export function deploymentOf(dataDir: string): Deployment {
  const d = readDeployment(path.join(dataDir, 'deployment.json'));
  if (!d) throw new Error(`no deployment.json in ${dataDir}`);
  return d;
}

/** One line per scenario for the suite's report: acknowledged, lost, duplicated, bundles, convergence. */
export function report(scenario: string, fields: Record<string, string | number>): void {
  const line = Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  process.stdout.write(`      [fault] ${scenario}: ${line}\n`);
}


/**
 * A reproducible random source: FAULT_SEED picks the sequence (printed, so a failing run can be replayed);
 * by default a fresh seed per run.
 */
export function seededRandom(): () => number {
  let seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
  process.stdout.write(`      [fault] FAULT_SEED=${seed}\n`);
  // mulberry32
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A JSON-RPC link between the server and its chain node that delays and drops, until healed. */
export interface LossyProxy {
  readonly url: string;
  /** Faults on: each request waits delayMs[0]…delayMs[1]; a share `dropRate` of connections are cut (alternately before and after forwarding). */
  lossy: boolean;
  readonly counts: { forwarded: number; droppedBefore: number; droppedAfter: number };
  close(): Promise<void>;
}

/** A proxy to the JSON-RPC endpoint `target`, healthy until `lossy` is set. */
export async function startLossyProxy(target: string, opts: { delayMs: [number, number]; dropRate: number; random: () => number }): Promise<LossyProxy> {
  const http = await import('node:http');
  const counts = { forwarded: 0, droppedBefore: 0, droppedAfter: 0 };
  const state = { lossy: false };
  let lossyRequests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const lossy = state.lossy;
        if (lossy) await sleep(opts.delayMs[0] + opts.random() * (opts.delayMs[1] - opts.delayMs[0]));
        // Every (1/dropRate)-th request while lossy is cut, alternately before and after the node saw it: the
        // same share every run, whatever the seed.
        const nth = lossy ? ++lossyRequests : 0;
        const every = Math.round(1 / opts.dropRate);
        const drop = lossy && nth % every === 0 ? ((nth / every) % 2 === 1 ? 'before' : 'after') : null;
        if (drop === 'before') {
          counts.droppedBefore++;
          req.socket.destroy();
          return;
        }
        let text: string;
        let status: number;
        try {
          const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks), signal: AbortSignal.timeout(30_000) });
          status = upstream.status;
          text = await upstream.text();
        } catch {
          req.socket.destroy();
          return;
        }
        counts.forwarded++;
        if (drop === 'after') {
          // The node acted on it (a transaction may be in its pool now), but the answer never reaches the server.
          counts.droppedAfter++;
          req.socket.destroy();
          return;
        }
        res.writeHead(status, { 'content-type': 'application/json' }).end(text);
      })();
    });
  });
  const { freePort } = await import('../../server/chain/anvil');
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    get lossy() {
      return state.lossy;
    },
    set lossy(v: boolean) {
      state.lossy = v;
    },
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The log monitor's verdict on each log (GET /api/v1/logs/{logId}/monitor): every stored entry replayed and every
 * anchored checkpoint rebuilt and compared with the chain. Returns the divergences (empty when all agree).
 */
export async function monitorDivergences(base: string): Promise<string[]> {
  const out: string[] = [];
  for (const logId of LOG_IDS) {
    const res = await fetch(`${base}/api/v1/logs/${logId}/monitor`, { headers: { authorization: `Bearer ${FAULT_ADMIN_TOKEN}` }, signal: AbortSignal.timeout(60_000) });
    const body = (await res.json()) as { ok?: boolean; message?: string };
    if (res.status !== 200 || body.ok !== true) out.push(`${logId}: ${res.status} ${body.message ?? JSON.stringify(body)}`);
  }
  return out;
}
