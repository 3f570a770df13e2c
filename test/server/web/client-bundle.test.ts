/* The consumer page's script is built from the TypeScript verification core for the browser, and stays small. */
import zlib from 'node:zlib';
import { expect } from 'chai';
import { buildSync } from 'esbuild';
import { CLIENT_TARGET, clientBundle } from '../../../server/web/client-bundle';

describe('server/web/client-bundle', () => {
  it('When the page script is built, Then it is one browser bundle of the shared verifier, under 45 KB gzipped', () => {
    const { js, metafile } = clientBundle();
    const inputs = Object.keys(metafile.inputs);
    for (const core of ['server/verification/verify.ts', 'server/verification/batch.ts', 'server/records/eip712.ts', 'server/ledger/rfc6962.ts', 'server/crypto/primitives.ts']) {
      expect(inputs, core).to.include(core);
    }
    expect(inputs.filter((i) => /node_modules\/(zod|ethers|secp256k1|keccak|merkletreejs)\//.test(i)), 'server-only packages').to.deep.equal([]);
    const gz = zlib.gzipSync(js).length;
    console.log(`      verify.js ${js.length} B, ${gz} B gzipped`);
    expect(gz).to.be.below(45 * 1024);
  });

  it('When code for the page imports a Node built-in, Then the browser build fails (the core must stay isomorphic)', () => {
    expect(() =>
      buildSync({ stdin: { contents: "import { hash } from 'node:crypto'; console.log(hash);", resolveDir: __dirname }, bundle: true, platform: 'browser', target: CLIENT_TARGET, write: false, logLevel: 'silent' }),
    ).to.throw(/node:crypto/);
  });
});
