/* Block times in seconds whether the chain counts seconds or milliseconds (FISCO BCOS): blockTimeSeconds, and the verifier's anchor time. */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { blockTimeSeconds, MILLISECOND_BLOCK_TIMES_ABOVE } from '../../../server/verification/chain';
import type { ProofBundle } from '../../../server/verification/bundle';
import { verifyBundle } from '../../../server/verification/verify';

const vector = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '../../vectors/bundles', `${name}.json`), 'utf8')) as { bundle: ProofBundle };

describe('server/verification block times (seconds on any chain)', () => {
  it('When a block time counts seconds, Then it is kept; when it counts milliseconds, Then it is whole seconds', () => {
    expect(blockTimeSeconds(0)).to.equal(0);
    expect(blockTimeSeconds(1_795_955_184)).to.equal(1_795_955_184);
    expect(blockTimeSeconds(MILLISECOND_BLOCK_TIMES_ABOVE)).to.equal(MILLISECOND_BLOCK_TIMES_ABOVE);
    expect(blockTimeSeconds(1_795_955_184_999)).to.equal(1_795_955_184);
    expect(blockTimeSeconds(MILLISECOND_BLOCK_TIMES_ABOVE + 1)).to.equal(100_000_000);
  });

  it("When a bundle's checkpoint names its block time in milliseconds, Then the verifier's anchor time is in seconds, as for one in seconds", async () => {
    const base = vector('valid-report').bundle;
    const inMs = { ...base, checkpoint: { ...base.checkpoint!, blockTime: 1_795_955_184_731 } };
    const inSeconds = { ...base, checkpoint: { ...base.checkpoint!, blockTime: 1_795_955_184 } };

    const [a, b] = [await verifyBundle(inMs), await verifyBundle(inSeconds)];

    expect(a.anchor?.blockTime).to.equal(1_795_955_184);
    expect(b.anchor?.blockTime).to.equal(1_795_955_184);
    expect(a.verdict).to.equal(b.verdict);
  });
});
