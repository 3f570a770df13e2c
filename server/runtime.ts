/**
 * Whether this process runs the compiled JavaScript (dist/, built by scripts/build.js: `npm start` and the
 * `traceledger` command) or the TypeScript sources through ts-node (the tests, scripts run with ts-node), and
 * what a worker thread's eval'd source must do first in each case. A module that starts a worker thread writes
 * its source as `${WORKER_PRELUDE}require(${JSON.stringify(path.join(__dirname, 'the-worker'))})`: compiled,
 * require finds the-worker.js next to the compiled caller; from the sources, the prelude registers ts-node in
 * the worker first, so require finds the-worker.ts.
 */
import path from 'node:path';

/** True when this module was loaded from compiled JavaScript (dist/), false under ts-node. */
export const RUNS_COMPILED = path.extname(__filename) === '.js';

/** The first line of a worker thread's eval'd source: empty when compiled; from the sources, ts-node's registration (transpile only, the project's tsconfig.json). */
export const WORKER_PRELUDE = RUNS_COMPILED
  ? ''
  : `require('ts-node').register({ transpileOnly: true, project: ${JSON.stringify(path.resolve(__dirname, '..', 'tsconfig.json'))} });\n`;
