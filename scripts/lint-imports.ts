/**
 * `npm run lint:imports`: checks the import rules of .dependency-cruiser.cjs (layers, cycles,
 * ethers only in server/chain/, server/ never importing scripts/ or test/) on server/ and scripts/,
 * then collapses the module graph to server folders (server/<folder>, or server/<file>.ts at the
 * top) and refuses any cycle between folders, which module rules cannot see.
 * Prints each violating edge; exits 1 on any violation.
 *
 *   ts-node --transpile-only scripts/lint-imports.ts           check
 *   ts-node --transpile-only scripts/lint-imports.ts --graph   also print the folder graph
 */
import path from 'node:path';
import type { ICruiseResult, IModule, cruise } from 'dependency-cruiser';

const ROOT = path.resolve(__dirname, '..');
const ROOTS = ['server', 'scripts'];

/** dependency-cruiser is ESM only: a real dynamic import, which the CommonJS build would turn into require(). */
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;

type Cruise = typeof cruise;
type ExtractOptions = (configFile: string) => Promise<Parameters<Cruise>[1]>;
type ExtractTsConfig = (tsConfigFile: string) => unknown;

/** The server folder (or top-level file) a module belongs to, or null outside server/. */
export function folderOf(source: string): string | null {
  const m = /^server\/([^/]+)/.exec(source);
  return m ? `server/${m[1]}` : null;
}

/** One module import that makes an edge between two folders. */
export interface FolderEdge {
  from: string;
  to: string;
  /** A module import behind the edge, e.g. server/service/records.ts → server/web/digital-link.ts. */
  example: string;
  count: number;
}

/** The folder graph of `modules`: an edge a → b when a module of a imports one of b (a ≠ b). */
export function folderGraph(modules: readonly Pick<IModule, 'source' | 'dependencies'>[]): FolderEdge[] {
  const edges = new Map<string, FolderEdge>();
  for (const m of modules) {
    const from = folderOf(m.source);
    if (!from) continue;
    for (const d of m.dependencies) {
      const to = folderOf(d.resolved);
      if (!to || to === from) continue;
      const key = `${from} ${to}`;
      const edge = edges.get(key);
      if (edge) edge.count++;
      else edges.set(key, { from, to, example: `${m.source} → ${d.resolved}`, count: 1 });
    }
  }
  return [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/**
 * The folder cycles of `edges`: for each strongly connected component of more than one folder
 * (Tarjan), shortest cycles (e.g. [a, b, a]) until every folder of the component is on one.
 */
export function folderCycles(edges: readonly Pick<FolderEdge, 'from' | 'to'>[]): string[][] {
  const out = new Map<string, string[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of out.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);

  /** The shortest cycle from `start` back to it inside `inside` (breadth-first); one exists in a component. */
  const cycleThrough = (start: string, inside: Set<string>): string[] => {
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of out.get(v) ?? []) {
        if (!inside.has(w)) continue;
        if (w === start) {
          const cycle = [v];
          for (let u = v; u !== start; ) {
            u = prev.get(u)!;
            cycle.unshift(u);
          }
          return [...cycle, start];
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    throw new Error(`no cycle through ${start}`);
  };
  const cycles: string[][] = [];
  for (const component of components) {
    const inside = new Set(component);
    const covered = new Set<string>();
    for (const folder of component) {
      if (covered.has(folder)) continue;
      const cycle = cycleThrough(folder, inside);
      cycle.forEach((f) => covered.add(f));
      cycles.push(cycle);
    }
  }
  return cycles;
}

async function main(): Promise<number> {
  const started = Date.now();
  const { cruise } = await importEsm<{ cruise: Cruise }>('dependency-cruiser');
  const { default: extractOptions } = await importEsm<{ default: ExtractOptions }>('dependency-cruiser/config-utl/extract-depcruise-options');
  const { default: extractTsConfig } = await importEsm<{ default: ExtractTsConfig }>('dependency-cruiser/config-utl/extract-ts-config');

  process.chdir(ROOT);
  const options = await extractOptions(path.join(ROOT, '.dependency-cruiser.cjs'));
  const result = await cruise(ROOTS, options, undefined, { tsConfig: extractTsConfig(path.join(ROOT, 'tsconfig.json')) });
  const cruised = result.output as ICruiseResult;
  const rules = new Map((options?.ruleSet?.forbidden ?? []).map((r) => [r.name ?? '', r.comment ?? '']));

  let failures = 0;
  const byRule = new Map<string, string[]>();
  for (const v of cruised.summary.violations) {
    const lines = byRule.get(v.rule.name) ?? [];
    const cycle = v.cycle && v.cycle.length > 0 ? `  (cycle: ${[v.from, ...v.cycle.map((c) => c.name)].join(' → ')})` : '';
    lines.push(`  ${v.from} → ${v.to}${cycle}`);
    byRule.set(v.rule.name, lines);
    if (v.rule.severity === 'error') failures++;
  }
  for (const [rule, lines] of byRule) {
    process.stderr.write(`✖ ${rule}: ${rules.get(rule) ?? ''}\n${lines.join('\n')}\n`);
  }

  const edges = folderGraph(cruised.modules);
  const cycles = folderCycles(edges);
  const edgeOf = (a: string, b: string) => edges.find((e) => e.from === a && e.to === b)!;
  for (const cycle of cycles) {
    failures++;
    process.stderr.write(`✖ no-folder-cycle: server folders import each other in a circle: ${cycle.join(' → ')}\n`);
    for (let i = 0; i + 1 < cycle.length; i++) {
      const e = edgeOf(cycle[i]!, cycle[i + 1]!);
      process.stderr.write(`  ${e.from} → ${e.to}: ${e.example}${e.count > 1 ? ` (and ${e.count - 1} more)` : ''}\n`);
    }
  }

  if (process.argv.includes('--graph')) {
    for (const e of edges) process.stdout.write(`${e.from} → ${e.to}  (${e.count})\n`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const summary = `${cruised.summary.totalCruised} modules, ${cruised.summary.totalDependenciesCruised} imports, ${edges.length} folder edges, ${seconds} s`;
  if (failures > 0) {
    process.stderr.write(`lint:imports: ${failures} violation(s) (${summary}); see .dependency-cruiser.cjs and server/ARCHITECTURE.md "Dependency direction"\n`);
    return 1;
  }
  process.stdout.write(`lint:imports: no violations (${summary})\n`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`lint:imports failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(2);
    },
  );
}
