#!/usr/bin/env node
// The `traceledger` command (package.json "bin"): runs the compiled CLI, dist/server/cli/main.js. When the
// sources changed since the last build (or dist/ was never built), it first brings dist/ up to date
// (scripts/build.js, saying so on stderr), so it never runs stale code.
'use strict';
const { setTimeout } = require('node:timers');
const { build, staleness } = require('./build');

const stale = staleness();
if (stale) {
  process.stderr.write(`traceledger: building dist/ first (${stale})\n`);
  try {
    build({ log: (s) => process.stderr.write(`traceledger: ${s}\n`) });
  } catch (e) {
    process.stderr.write(`traceledger: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
}
const { main } = require('../dist/server/cli/main');

main(process.argv).then((code) => {
  process.exitCode = code;
  // A provider or socket left open must not keep a finished command alive.
  setTimeout(() => process.exit(code), 200).unref();
});
