/**
 * Where a thread's allocations come from, per report: V8's sampling heap profiler (the inspector's
 * HeapProfiler.startSampling, every object sampled with a probability by size, those the GC collected counted too),
 * summed by allocating function and by the innermost function of the server's own code on the stack. For
 * bench:ingest --heap-profile: what the young generation's scavenges copy and promote starts here.
 */
import type { HeapProfiler } from 'node:inspector';

/** Starts sampling this thread's allocations; the returned function stops and summarises them, per `per` units. */
export async function startHeapSampler(): Promise<(per: number, top?: number) => Promise<string>> {
  const inspector = await import('node:inspector/promises');
  const session = new inspector.Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  // The GC's collections counted too: short-lived garbage is what the scavenges are about.
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as HeapProfiler.StartSamplingParameterType);
  return async (per, top = 12) => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    session.disconnect();
    return summariseHeapProfile(profile, per, top);
  };
}

/** A function's name and source file, shortened to the package or the project's tree. */
function frameName(cf: { functionName: string; url: string }): string {
  const file = cf.url.replace(/^file:\/\//, '').replace(/.*\/(node_modules\/(?:@[^/]+\/)?[^/]+|server|scripts|test)\//, '$1/');
  return `${cf.functionName || '(anonymous)'} ${file || '(native)'}`;
}

export function summariseHeapProfile(profile: HeapProfiler.SamplingHeapProfile, per: number, top = 12): string {
  const self = new Map<string, number>();
  const byServerFrame = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const walk = (node: HeapProfiler.SamplingHeapProfileNode, innermostServer: string) => {
    const name = frameName(node.callFrame);
    const server = / server\//.test(name) ? name : innermostServer;
    if (node.selfSize > 0) {
      total += node.selfSize;
      add(self, name, node.selfSize);
      add(byServerFrame, server, node.selfSize);
    }
    for (const child of node.children) walk(child, server);
  };
  walk(profile.head, '(outside server/: Node, the harness)');
  const kb = (bytes: number) => `${(bytes / per / 1024).toFixed(1).padStart(6)} kB`;
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${kb(v)}  ${k}`)
      .join('\n');
  return [
    `allocated (sampled) ${kb(total).trim()} a report`,
    'by allocating function:',
    list(self),
    'by the innermost function of server/ on the stack:',
    list(byServerFrame),
  ].join('\n');
}
