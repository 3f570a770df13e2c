/**
 * verifySubmission (ingest's signature thread) against the reference composition of the records module's public
 * steps — parseRecord, commitRecord, assertStrongSalts, typedDataFor, recoverSigner — and what an attacker holding
 * one valid key may try: the same answers, the same refusals.
 */
import { expect } from 'chai';
import type { Wallet } from 'ethers';
import { AppError } from '../../../server/errors';
import { commitRecord, parseRecord, recoverSigner, signRecord, typedDataFor, type SeleniumTestReport } from '../../../server/records';
import { assertStrongSalts } from '../../../server/service/ingest-rules';
import { REPLY_EVERY, workerVerifier } from '../../../server/service/verify-pool';
import { verifySubmission, type SignedSubmission } from '../../../server/service/verify-submission';
import { TEST_BINDING, randomWallet, reportInput } from '../records/fixtures';

const OTHER_BINDING = { chainId: 1, verifyingContract: TEST_BINDING.verifyingContract };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(AppError);
    return (e as AppError).code;
  }
  return 'accepted';
}

async function signed(key: Wallet, overrides: Parameters<typeof reportInput>[0] = {}): Promise<SignedSubmission & { record: SeleniumTestReport }> {
  const record = parseRecord('SeleniumTestReport', reportInput(overrides));
  const { root, salts } = commitRecord(record);
  return { type: 'SeleniumTestReport', record, salts, signature: await signRecord(key, 'SeleniumTestReport', record, root, TEST_BINDING) };
}

describe('server/service: verifySubmission', () => {
  const key = randomWallet();

  it('When genuine reports are verified, Then root, salts and signer equal the reference composition', async () => {
    for (let i = 0; i < 20; i++) {
      const sub = await signed(key, { reportNumber: `AKSE-V-${i}`, result: 0.1 + i / 100, conclusion: i % 2 ? '合格 “引号” \\ 🌾' : 'ok' });
      const got = verifySubmission(JSON.parse(JSON.stringify(sub)) as SignedSubmission, TEST_BINDING);
      const record = parseRecord('SeleniumTestReport', sub.record);
      const ref = commitRecord(record, sub.salts);
      assertStrongSalts(ref.salts);
      expect(got.root).to.equal(ref.root);
      expect(got.salts).to.deep.equal(ref.salts);
      expect(got.signer).to.equal(recoverSigner(typedDataFor('SeleniumTestReport', record, ref.root, TEST_BINDING), sub.signature));
      expect(got.signer).to.equal(key.address);
    }
  });

  it('When the binding changes between calls, Then each call recovers under its own domain (the cached domain follows the binding)', async () => {
    const sub = await signed(key);
    expect(verifySubmission(sub, TEST_BINDING).signer).to.equal(key.address);
    expect(verifySubmission(sub, OTHER_BINDING).signer).to.not.equal(key.address);
    expect(verifySubmission(sub, { chainId: BigInt(TEST_BINDING.chainId), verifyingContract: TEST_BINDING.verifyingContract.toLowerCase() }).signer).to.equal(key.address);
    expect(verifySubmission(sub, TEST_BINDING).signer).to.equal(key.address);
    const badChecksum = TEST_BINDING.verifyingContract.replace(/[a-f]/, (c) => c.toUpperCase());
    expect(codeOf(() => verifySubmission(sub, { chainId: TEST_BINDING.chainId, verifyingContract: badChecksum }))).to.equal('bad-signature');
  });

  it('When a key holder tampers with a field, the salts or the signature, Then the signer is not theirs or the submission is refused', async () => {
    const sub = await signed(key);
    const salts = sub.salts;
    const fields = Object.keys(salts);
    const first = fields[0]!;
    const tampered: [string, SignedSubmission, string | null][] = [
      ['field changed', { ...sub, record: { ...sub.record, conclusion: `${sub.record.conclusion}x` } }, null],
      ['salt changed', { ...sub, salts: { ...salts, [first]: salts[first]!.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) } }, null],
      ['salt missing', { ...sub, salts: Object.fromEntries(fields.slice(1).map((f) => [f, salts[f]!])) }, 'invalid-input'],
      ['extra salt', { ...sub, salts: { ...salts, extra: 'ab'.repeat(16) } }, 'invalid-input'],
      ['uppercase salt', { ...sub, salts: { ...salts, [first]: salts[first]!.toUpperCase() } }, 'invalid-input'],
      ['salt not a string', { ...sub, salts: { ...salts, [first]: 7 as unknown as string } }, 'invalid-input'],
      ['zero salt', { ...sub, salts: { ...salts, [first]: '0'.repeat(32) } }, 'weak-salt'],
      ['repeated salt', { ...sub, salts: { ...salts, [fields[1]!]: salts[first]! } }, 'weak-salt'],
      ['unknown field', { ...sub, record: { ...sub.record, extra: 1 } }, 'invalid-record'],
      ['lone surrogate', { ...sub, record: { ...sub.record, conclusion: 'ok\uD800' } }, null],
      ['non-plain value', { ...sub, record: { ...sub.record, issuedAt: new Date() } }, 'invalid-record'],
      ['high-s signature', { ...sub, signature: `0x${'ff'.repeat(64)}1b` }, 'bad-signature'],
      ['v = 29', { ...sub, signature: `${sub.signature.slice(0, -2)}1d` }, 'bad-signature'],
    ];
    for (const [what, bad, code] of tampered) {
      let outcome: string;
      try {
        outcome = verifySubmission(bad, TEST_BINDING).signer === key.address ? 'accepted as the key holder' : 'other signer';
      } catch (e) {
        expect(e, what).to.be.instanceOf(AppError);
        outcome = (e as AppError).code;
      }
      if (code === null) expect(outcome, what).to.not.equal('accepted as the key holder');
      else expect(outcome, what).to.equal(code);
    }
  });

  it('When the same submissions go through a worker thread, Then each answer equals the inline one (and a refusal keeps its code)', async function () {
    this.timeout(120_000);
    const subs = await Promise.all(Array.from({ length: 6 }, (_, i) => signed(key, { reportNumber: `AKSE-W-${i}` })));
    const weak = { ...subs[0]!, salts: { ...subs[0]!.salts, [Object.keys(subs[0]!.salts)[0]!]: '0'.repeat(32) } };
    const pool = workerVerifier(TEST_BINDING, 1);
    try {
      const got = await Promise.all(subs.map((s) => pool.verify(s)));
      got.forEach((g, i) => expect(g).to.deep.equal(verifySubmission(subs[i]!, TEST_BINDING)));
      const refused = await pool.verify(weak).then(
        () => 'accepted',
        (e: unknown) => (e instanceof AppError ? e.code : String(e)),
      );
      expect(refused).to.equal('weak-salt');
    } finally {
      await pool.close();
    }
  });

  // Whether the main thread ran meanwhile or not: on a loaded machine it may not, and the thread's replies then wait
  // queued together (CI once saw all 40 settle in one turn). What the thread still held when the first answer
  // settled tells the replies apart either way: one reply per batch had nothing left.
  for (const busy of [false, true]) {
    it(`When many submissions reach a one-thread pool in one turn${busy ? ' while the main thread is busy' : ''}, Then the first answers settle before the thread has answered the rest, each matching the inline answer`, async function () {
      this.timeout(120_000);
      const n = 40;
      expect(n).to.be.above(REPLY_EVERY);
      const key = randomWallet();
      const subs = await Promise.all(Array.from({ length: n }, (_, i) => signed(key, { reportNumber: `AKSE-C-${i}` })));
      // Every seventh one a refusal, so refusals and answers share the replies.
      const sent = subs.map((s, i) => (i % 7 === 3 ? { ...s, signature: `0x${'11'.repeat(65)}` } : s));
      const inline = sent.map((s) => {
        try {
          return verifySubmission(s, TEST_BINDING);
        } catch (e) {
          return (e as AppError).code;
        }
      });
      const pool = workerVerifier(TEST_BINDING, 1);
      try {
        let settled = 0;
        let heldAtFirst = -1;
        const answers = sent.map((s) =>
          pool
            .verify(s)
            .then(
              (v) => v,
              (e: unknown) => (e instanceof AppError ? e.code : String(e)),
            )
            .finally(() => {
              if (settled++ === 0) heldAtFirst = pool.load().outstanding[0]!;
            }),
        );
        if (busy) {
          // After the batch went out (on the next turn): hold the main thread until the thread has checked all of them.
          await new Promise((r) => setImmediate(r));
          const until = Date.now() + 1_000;
          while (Date.now() < until) {
            // busy
          }
        }
        const got = await Promise.all(answers);
        got.forEach((g, i) => expect(g, `submission ${i}`).to.deep.equal(inline[i]));
        // Replies every REPLY_EVERY: the first settles while the thread's later replies are not yet read.
        expect(heldAtFirst).to.be.within(1, n - 1);
        expect(settled).to.equal(n);
      } finally {
        await pool.close();
      }
    });
  }
});
