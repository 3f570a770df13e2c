/** `traceledger submit-reports`: how the reports are shared among requests (the command itself: main.test.ts). */
import { expect } from 'chai';
import fc from 'fast-check';
import { requestRanges } from '../../../server/cli/commands/reports';

describe('server/cli/commands/reports: requestRanges', () => {
  it('When reports are shared among requests, Then each goes exactly once, in order, at most maxCount and maxBytes a request unless alone', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 400 }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 20_000 }), (sizes, maxCount, maxBytes) => {
        const ranges = requestRanges(sizes, maxCount, maxBytes);
        // Consecutive and covering: [0, a), [a, b), … up to sizes.length.
        let next = 0;
        for (const [from, to] of ranges) {
          expect(from).to.equal(next);
          expect(to).to.be.above(from);
          next = to;
          const bytes = sizes.slice(from, to).reduce((a, b) => a + b + 1, 0);
          if (to - from > 1) {
            expect(to - from).to.be.at.most(maxCount);
            expect(bytes).to.be.at.most(maxBytes);
          }
        }
        expect(next).to.equal(sizes.length);
        // Greedy: a request ends only when the next report would not fit in it.
        for (const [from, to] of ranges.slice(0, -1)) {
          const withNext = sizes.slice(from, to + 1).reduce((a, b) => a + b + 1, 0);
          expect(to + 1 - from > maxCount || withNext > maxBytes).to.equal(true);
        }
      }),
    );
  });

  it('When 250 reports of 2 kB go out, Then they go 100, 100 and 50; of 3 kB, at most 81 a request (240 kB)', () => {
    expect(requestRanges(Array(250).fill(2000))).to.deep.equal([[0, 100], [100, 200], [200, 250]]);
    const big = requestRanges(Array(250).fill(3000));
    expect(big[0]).to.deep.equal([0, 81]);
    expect(big.at(-1)![1]).to.equal(250);
  });
});
