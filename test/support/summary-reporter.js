// Mocha reporter: mocha's spec output, then the plain closing line `N passed, N failed`
// that CI reads (mocha's own summary is not read there).
'use strict';
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0 } = runner.stats || {};
      const tail = pending > 0 ? `, ${pending} skipped` : '';
      // Printed after Spec's epilogue, alone on its line.
      process.stdout.write(`\n${passes} passed, ${failures} failed${tail}\n`);
    });
  }
}

module.exports = SummaryReporter;
