#!/usr/bin/env node
// The `traceledger` command (package.json "bin"): runs server/cli/main.ts through ts-node, transpile only.
'use strict';
const path = require('node:path');
const { setTimeout } = require('node:timers');

require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
const { main } = require('../server/cli/main');

main(process.argv).then((code) => {
  process.exitCode = code;
  // A provider or socket left open must not keep a finished command alive.
  setTimeout(() => process.exit(code), 200).unref();
});
