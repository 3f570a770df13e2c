/**
 * Where a V8 CPU profile's time went, by stage of the ingest path: each sample's self time is charged to a
 * stage by the source file of its function (a native function's time to its nearest JavaScript caller, except
 * JSON.parse / JSON.stringify, which get their own line). For bench:ingest --profile.
 */
import fs from 'node:fs';
import type { Profiler } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** Stages by a substring of the source file's URL; the first match wins. */
const STAGES: readonly [stage: string, match: readonly string[]][] = [
  ['the profiler itself (node:inspector)', ['node:inspector']],
  ['sending to and from the signature threads (postMessage)', ['node:internal/worker', 'node:internal/per_context/messageport', 'node:internal/event_target']],
  ['zod validation (route contracts, record schemas)', ['/zod/']],
  ['field tree / record root (field-tree.ts, merkletreejs)', ['/records/field-tree', '/merkletreejs/', '/crypto-js/', '/buffer-reverse/', '/treeify/']],
  ['canonical JSON (records/canonical.ts)', ['/records/canonical']],
  ['EIP-712 digest and recovery (eip712.ts, ethers, secp256k1)', ['/records/eip712', '/ethers/', '/@noble/', '/secp256k1/']],
  ['SQLite and the store (better-sqlite3, server/store)', ['/better-sqlite3/', '/server/store/']],
  ['request log (pino)', ['/pino', '/http/request-log', '/sonic-boom/', '/thread-stream/']],
  ['metrics (prom-client)', ['/prom-client/', '/http/metrics', '/tdigest/', '/bintrees/']],
  ['rate limit (express-rate-limit)', ['/express-rate-limit/']],
  ['helmet and exposure headers', ['/helmet/', '/http/exposure']],
  ['body parsing (body-parser, raw-body, iconv)', ['/body-parser/', '/raw-body/', '/iconv-lite/', '/content-type/', '/type-is/', '/bytes/', '/http-errors/', '/on-finished/', '/unpipe/']],
  ['routing and responses (express, router)', ['/express/', '/router/', '/path-to-regexp/', '/finalhandler/', '/send/', '/accepts/', '/negotiator/', '/mime', '/vary/', '/cookie', '/encodeurl/', '/escape-html/', '/parseurl/', '/qs/', '/proxy-addr/', '/forwarded/', '/depd/', '/statuses/', '/fresh/', '/range-parser/', '/content-disposition/', '/etag/']],
  ['our HTTP layer (server/http)', ['/server/http/']],
  ['ingest service and rules (server/service)', ['/server/service/']],
  ['records: schemas, log entry, other (server/records)', ['/server/records/']],
  ['anchoring, chain, ledger', ['/server/anchoring/', '/server/chain/', '/server/ledger/']],
  ['Node HTTP, sockets, streams, timers', ['node:_http', 'node:http', 'node:net', 'node:internal/stream', 'node:stream', 'node:internal/http', 'node:internal/timers', 'node:timers', 'node:events', 'node:internal/streams', 'node:internal/process', 'node:internal/async_hooks', 'node:internal/worker', 'node:worker_threads']],
  ['Node, other', ['node:']],
];

const SPECIAL = new Map<string, string>([
  ['(garbage collector)', 'garbage collector'],
  ['(idle)', 'idle (waiting: fsync, I/O, other threads)'],
  ['(program)', 'V8 / native, unattributed'],
  ['(root)', 'V8 / native, unattributed'],
]);

function stageOfUrl(url: string): string | undefined {
  for (const [stage, match] of STAGES) if (match.some((m) => url.includes(m))) return stage;
  return url ? 'other JavaScript' : undefined;
}

/** Milliseconds of self time per stage. */
export function profileByStage(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = stageOf.get(id);
    if (known) return known;
    const n = byId.get(id)!;
    const { functionName, url } = n.callFrame;
    let stage = SPECIAL.get(functionName) ?? stageOfUrl(url);
    if (!stage && (functionName === 'parse' || functionName === 'stringify')) stage = `JSON.${functionName} (native)`;
    if (!stage) {
      const p = parent.get(id);
      stage = p === undefined ? 'V8 / native, unattributed' : resolve(p);
    }
    stageOf.set(id, stage);
    return stage;
  };
  const out = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => {
    const stage = resolve(id);
    out.set(stage, (out.get(stage) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  return out;
}

/** The breakdown as text lines: ms and share of the busy (non-idle) time, largest first. */
export function summariseProfile(profile: object): string {
  const by = profileByStage(profile as CpuProfile);
  const total = [...by.values()].reduce((a, b) => a + b, 0);
  const idle = [...by.entries()].filter(([k]) => k.startsWith('idle')).reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;
  const lines = [...by.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([stage, ms]) => `  ${ms.toFixed(0).padStart(7)} ms  ${stage.startsWith('idle') ? '      ' : `${((100 * ms) / busy).toFixed(1).padStart(5)}%`}  ${stage}`);
  return [`main thread: ${total.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms busy (shares of busy time)`, ...lines].join('\n');
}

/** Starts the V8 CPU profiler on this thread; the returned function stops it and writes `{tmp}/bench-{name}-{time}.cpuprofile`. */
export async function startProfiler(name: string): Promise<() => Promise<{ file: string; profile: CpuProfileData }>> {
  const inspector = await import('node:inspector/promises');
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    const file = path.join(os.tmpdir(), `bench-${name}-${Date.now()}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    return { file, profile };
  };
}

/** The profile as the inspector returns it. */
export type CpuProfileData = Profiler.Profile;
