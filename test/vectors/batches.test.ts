/*
 * The batch vector runner: every file in test/vectors/batches/ (a batch's bundle, report bundles and
 * lab-commission bundles from the world of test/vectors/bundles/world.json) goes to two verifiers — the
 * server's verifyBatch (server/verification through ethers' chain reader) and the consumer page's script in
 * headless Chromium on an insecure http:// origin (`window.traceledger.verifyBatch`, reading the chain over
 * JSON-RPC) — against one replay of that world on a fresh anvil node. Any disagreement with a vector's
 * wantVerdict / wantClaim / wantClaimReportId / wantReports / wantCommissions, or between the two, fails.
 *
 * The CLI is not run: `traceledger verify` checks single bundles only, and has no batch-level rules (which
 * reports count on a batch). The bundles these vectors are built from go through it in bundles.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { RpcChainReader } from '../../server/chain/reader';
import { verifyBatch, type BatchVerification, type ClaimKind, type ReportBasis, type Verdict } from '../../server/verification';
import { openVerifierPage, type VerifierPage } from '../support/vector-page';
import { replayWorld, type ReplayedWorld, type World } from '../support/vector-world';

const DIR = path.join(__dirname, 'batches');
const WORLD = path.join(__dirname, 'bundles', 'world.json');

interface BatchVector {
  desc: string;
  batch: unknown;
  reports: unknown[];
  commissions: unknown[];
  wantVerdict: Verdict;
  wantClaim: ClaimKind;
  wantClaimReportId: string | null;
  wantReports: { id: string; basis: ReportBasis | null; counted: boolean }[];
  wantCommissions: { id: string; verdict: Verdict; counted: boolean }[];
}

/** What a vector states, in the shape both verifiers' answers are reduced to. */
interface Outcome {
  verdict: string;
  claim: string;
  claimReportId: string | null;
  reports: { id: string | null; basis: string | null; counted: boolean }[];
  commissions: { id: string | null; verdict: string; counted: boolean }[];
}

const vectors = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f.replace(/\.json$/, ''), v: JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) as BatchVector }));

const outcomeOf = (r: BatchVerification): Outcome => ({
  verdict: r.verdict,
  claim: r.claim.kind,
  claimReportId: r.claim.reportId,
  reports: r.reports.map((x) => ({ id: x.result.record?.id ?? null, basis: x.basis, counted: x.counted })),
  commissions: r.commissions.map((x) => ({ id: x.result.record?.id ?? null, verdict: x.result.verdict, counted: x.counted })),
});

describe('test/vectors/batches: every batch vector through the server and the browser verifyBatch', function () {
  this.timeout(300_000);
  let world: ReplayedWorld;
  let verifier: VerifierPage | undefined;
  let page: Page;

  before(async () => {
    expect(vectors.map((x) => x.name), 'batch vector files').to.include.members(['report-hijack-stranger', 'report-hijack-stranger-revoked', 'commissioned-later', 'commission-forged', 'spot-check']);
    world = await replayWorld(JSON.parse(fs.readFileSync(WORLD, 'utf8')) as World);
    verifier = await openVerifierPage();
    page = verifier.page;
  });

  after(async () => {
    await verifier?.close();
    await world?.stop();
  });

  it('When the page is opened on http:// under a public name, Then it is an insecure context exposing verifyBatch', async () => {
    const env = await page.evaluate(() => ({ secure: window.isSecureContext, verifyBatch: typeof window.traceledger?.verifyBatch }));
    expect(env).to.deep.equal({ secure: false, verifyBatch: 'function' });
  });

  for (const { name, v } of vectors) {
    it(`When ${name} is verified (${v.desc}), Then the server and the browser both say ${v.wantVerdict}, claim ${v.wantClaim}`, async () => {
      const want: Outcome = { verdict: v.wantVerdict, claim: v.wantClaim, claimReportId: v.wantClaimReportId, reports: v.wantReports, commissions: v.wantCommissions };
      const bundles = { batch: v.batch, reports: v.reports, commissions: v.commissions };
      // Both verifiers are configured with the trust root only: the chain id and the TraceLedger.
      const trustRoot = { chainId: world.deployment.chainId, traceLedger: world.deployment.traceLedger };

      const reader = await RpcChainReader.forTrustRoot(world.rpcUrl, trustRoot.traceLedger);
      let serverOut: Outcome;
      try {
        serverOut = outcomeOf(await verifyBatch(bundles, { chain: reader, trustRoot }));
      } finally {
        reader.destroy();
      }

      // The page's script, in Chromium, reading the chain itself (the reduction is repeated in the page: a
      // BatchVerification does not cross page.evaluate whole).
      const browserOut = await page.evaluate(
        async ({ bundles, rpc, trustRoot }) => {
          const r = await window.traceledger!.verifyBatch(bundles, { rpc, trustRoot });
          return {
            verdict: r.verdict,
            claim: r.claim.kind,
            claimReportId: r.claim.reportId,
            reports: r.reports.map((x) => ({ id: x.result.record?.id ?? null, basis: x.basis, counted: x.counted })),
            commissions: r.commissions.map((x) => ({ id: x.result.record?.id ?? null, verdict: x.result.verdict, counted: x.counted })),
          };
        },
        { bundles, rpc: world.rpcUrl, trustRoot },
      );

      expect({ server: serverOut, browser: browserOut }).to.deep.equal({ server: want, browser: want });
    });
  }
});
