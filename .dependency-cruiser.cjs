/**
 * Import rules (server/ARCHITECTURE.md, "Dependency direction"), checked by `npm run lint:imports`
 * (scripts/lint-imports.ts, which also refuses cycles between server folders), part of
 * `npm run lint` and so of `npm test`.
 *
 * Every folder (or top-level file) of server/ has a layer; imports point to the same layer or
 * down, never up. Inside a layer, folders may import each other in one direction only (no folder
 * cycles; scripts/lint-imports.ts checks that). scripts/ and test/ may import anything; server/
 * never imports them. Only server/chain/ talks to ethers and the contract bindings.
 */

/** The layers, bottom (1) to top (4). */
const LAYERS = {
  // Crypto primitives, pure formats and rules, and the one error type.
  1: ['crypto/', 'ledger/', 'records/', 'standards/', 'verification/', 'errors.ts', 'runtime.ts', 'worker-pool.ts'],
  // Persistence and the chain.
  2: ['store/', 'chain/'],
  // The stories, written against store and chain: anchoring, data-sharing trails, use cases, labels.
  3: ['anchoring/', 'trails/', 'service/', 'labels/'],
  // The ways in, and what only they read or build: configuration, the booted system, the entry point.
  4: ['http/', 'web/', 'cli/', 'config/', 'system.ts', 'main.ts'],
};

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A path pattern for the server folders and files of `entries`. */
const pathsOf = (entries) => `^server/(${entries.map((e) => (e.endsWith('/') ? escapeRe(e) : `${escapeRe(e)}$`)).join('|')})`;
const levels = Object.keys(LAYERS).map(Number);
const above = (n) => levels.filter((l) => l > n).flatMap((l) => LAYERS[l]);
const names = (entries) => entries.map((e) => e.replace(/\/$/, '')).join(', ');
const everyLayer = pathsOf(levels.flatMap((l) => LAYERS[l]));

const upward = levels
  .filter((n) => above(n).length > 0)
  .map((n) => ({
    name: `layer-${n}-imports-upward`,
    severity: 'error',
    comment: `layer ${n} (${names(LAYERS[n])}) may import only ${n === 1 ? 'layer 1' : `layers 1 to ${n}`}, not ${names(above(n))}`,
    from: { path: pathsOf(LAYERS[n]) },
    to: { path: pathsOf(above(n)) },
  }));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'modules of server/ and scripts/ must not import each other in a circle',
      from: { path: '^(server|scripts)/' },
      to: { circular: true },
    },
    {
      name: 'ethers-only-in-chain',
      severity: 'error',
      comment: 'only server/chain/ imports ethers and the contract bindings (typechain-types); others call server/chain/',
      from: { path: '^server/', pathNot: '^server/chain/' },
      to: { path: '(^|/)node_modules/ethers/|(^|/)typechain-types(/|$)' },
    },
    {
      name: 'verification-core-is-isomorphic',
      severity: 'error',
      comment:
        'server/verification/ runs in the browser too: no Node built-ins and no native packages (the page build, server/web/client-bundle.ts, checks everything it reaches)',
      from: { path: '^server/verification/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'server-imports-scripts-or-test',
      severity: 'error',
      comment: 'server/ never imports scripts/ or test/',
      from: { path: '^server/' },
      to: { path: '^(scripts|test)/' },
    },
    {
      name: 'server-module-without-layer',
      severity: 'error',
      comment: 'every folder and top-level file of server/ needs a layer in .dependency-cruiser.cjs',
      from: { path: '^server/', pathNot: everyLayer },
      to: {},
    },
    {
      name: 'import-of-module-without-layer',
      severity: 'error',
      comment: 'every folder and top-level file of server/ needs a layer in .dependency-cruiser.cjs',
      from: {},
      to: { path: '^server/', pathNot: everyLayer },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: they are dependencies of the design as much as value imports.
    tsPreCompilationDeps: true,
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '^(artifacts|cache|dist|data|coverage|\\.test-tmp)/' },
    moduleSystems: ['es6', 'cjs'],
    // node_modules may be a symbolic link (a git worktree's): report node_modules/… paths, not where the link points.
    preserveSymlinks: true,
  },
};
