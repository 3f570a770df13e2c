/*
 * The bundle vector runner: every file in test/vectors/bundles/ goes to the three verifiers — the server's
 * (server/verification through ethers' chain reader), the CLI (`traceledger verify --json`, its exit code),
 * and the browser bundle in headless Chromium on an insecure http:// origin (no crypto.subtle) reading the
 * chain over JSON-RPC — against a replay of the vectors' world on a fresh anvil node. Any disagreement with
 * a vector's wantVerdict / wantFailedStep / wantTier, or between the verifiers, fails. The batch vectors
 * (test/vectors/batches/, the same world) have their own runner: batches.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { RpcChainReader } from '../../server/chain/reader';
import { main as cliMain } from '../../server/cli/main';
import { verifyBundle, type Verdict } from '../../server/verification';
import { tempDir } from '../support/system';
import { openVerifierPage, type VerifierPage } from '../support/vector-page';
import { replayWorld, type ReplayedWorld, type World } from '../support/vector-world';

const DIR = path.join(__dirname, 'bundles');

interface Vector {
  desc: string;
  bundle: { chain?: { chainId: number; traceLedger: string; participantRegistry: string; revocationRegistry: string } };
  category?: string;
  wantVerdict: Verdict;
  wantFailedStep: string | null;
  wantTier?: string;
}

interface Outcome {
  verdict: string;
  failedStep: string | null;
  tier: string | null;
}

/** The CLI's exit code for each verdict (a bundle it cannot read is exit 2, "unusable"). */
const EXIT_FOR: Record<Verdict, number> = { valid: 0, invalid: 1, revoked: 1, pending: 3 };

const files = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== 'world.json')
  .sort();
const vectors = files.map((f) => ({ name: f.replace(/\.json$/, ''), v: JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) as Vector }));

/** Runs the CLI in this process (its real argument parsing, output and exit codes), capturing stdout. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await cliMain(['node', 'traceledger', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('test/vectors/bundles: every vector through the server, the CLI and the browser verifier', function () {
  this.timeout(300_000);
  let world: ReplayedWorld;
  let verifier: VerifierPage | undefined;
  let page: Page;
  const tmp = tempDir('traceledger-vectors-');

  before(async () => {
    expect(vectors.length, 'vector files').to.be.greaterThan(15);
    world = await replayWorld(JSON.parse(fs.readFileSync(path.join(DIR, 'world.json'), 'utf8')) as World);
    // A bare page with the consumer page's script, on a name that is not localhost: an insecure origin.
    verifier = await openVerifierPage();
    page = verifier.page;
  });

  after(async () => {
    await verifier?.close();
    await world?.stop();
  });

  it('When the page is opened on http:// under a public name, Then it is an insecure context without crypto.subtle, hashing with @noble', async () => {
    const env = await page.evaluate(() => ({ secure: window.isSecureContext, subtle: typeof crypto !== 'undefined' && crypto.subtle !== undefined, primitives: window.traceledger?.primitives }));
    expect(env).to.deep.equal({ secure: false, subtle: false, primitives: 'noble' });
  });

  for (const { name, v } of vectors) {
    it(`When ${name} is verified (${v.desc}), Then the server, the CLI and the browser all say ${v.wantVerdict}${v.wantFailedStep ? ` at ${v.wantFailedStep}` : ''}`, async () => {
      const want: Outcome = { verdict: v.wantVerdict, failedStep: v.wantFailedStep, tier: v.wantTier ?? null };
      const pick = (r: { verdict: string; failedStep: string | null; classification: { tier: string } | null }): Outcome => ({ verdict: r.verdict, failedStep: r.failedStep, tier: v.wantTier === undefined ? null : (r.classification?.tier ?? null) });

      // Every verifier is configured with the trust root only: the chain id and the TraceLedger.
      const trustRoot = { chainId: world.deployment.chainId, traceLedger: world.deployment.traceLedger };

      // The server's verifier, reading the chain through ethers.
      const reader = await RpcChainReader.forTrustRoot(world.rpcUrl, trustRoot.traceLedger);
      let serverOut: Outcome;
      try {
        serverOut = pick(await verifyBundle(v.bundle, { chain: reader, category: v.category, trustRoot }));
      } finally {
        reader.destroy();
      }

      // The CLI: exit code and --json result.
      const bundleFile = path.join(tmp, `${name}.bundle.json`);
      fs.writeFileSync(bundleFile, JSON.stringify(v.bundle));
      const args = ['verify', bundleFile, '--rpc', world.rpcUrl, '--contract', trustRoot.traceLedger, '--json', ...(v.category ? ['--category', v.category] : [])];
      const cli = await runCli(args);
      let cliOut: Outcome;
      if (v.wantFailedStep === 'parseBundle') {
        expect(cli.code, `CLI exit code (${cli.stderr})`).to.equal(2);
        cliOut = want; // an unreadable bundle is refused before any step: exit 2 and a message naming it
        expect(cli.stderr).to.match(/not a readable traceledger-proof-v1 bundle/);
      } else {
        expect(cli.code, `CLI exit code (${cli.stderr})`).to.equal(EXIT_FOR[v.wantVerdict]);
        cliOut = pick(JSON.parse(cli.stdout) as never);
      }

      // The browser bundle, in Chromium, reading the chain itself.
      const browserOut = await page.evaluate(
        async ({ bundle, rpc, category, wantTier, trustRoot }) => {
          const r = await window.traceledger!.verifyBundle(bundle, { rpc, category, trustRoot });
          return { verdict: r.verdict, failedStep: r.failedStep, tier: wantTier === undefined ? null : (r.classification?.tier ?? null) };
        },
        { bundle: v.bundle, rpc: world.rpcUrl, category: v.category, wantTier: v.wantTier, trustRoot },
      );

      expect({ server: serverOut, cli: cliOut, browser: browserOut }).to.deep.equal({ server: want, cli: want, browser: want });
    });
  }
});
