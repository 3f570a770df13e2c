/*
 * The lab and department consoles' scripts sign with the records code itself (schemas, the salted field tree, EIP-712)
 * and ethers' keystore, bundled for the browser: no copy of the record encoding, no native module, no Node built-in
 * except node:crypto, which resolves to the browser shim. And the shim's SHA-256 and salts behave as node:crypto's.
 */
import { createHash as nodeCreateHash } from 'node:crypto';
import zlib from 'node:zlib';
import { expect } from 'chai';
import { CONSOLE_ENTRIES, consoleBundle, type ConsoleName } from '../../../server/web/console-bundles';
import { createHash, randomBytes } from '../../../server/web/client/shims/node-crypto';

describe('server/web/console-bundles', () => {
  for (const name of Object.keys(CONSOLE_ENTRIES) as ConsoleName[]) {
    it(`When the ${name} console's script is built, Then it bundles the records code and the keystore module, and nothing native`, () => {
      const { js, metafile } = consoleBundle(name);
      const inputs = Object.keys(metafile.inputs);
      for (const core of ['server/records/field-tree.ts', 'server/records/eip712.ts', 'server/records/schemas.ts', 'server/chain/keystore.ts', 'server/web/client/shims/node-crypto.ts']) {
        expect(inputs, core).to.include(core);
      }
      expect(inputs.filter((i) => /server\/crypto\/native\.ts|node_modules\/(secp256k1|keccak|better-sqlite3)\//.test(i)), 'native code').to.deep.equal([]);
      const gz = zlib.gzipSync(js).length;
      console.log(`      ${name}.js ${js.length} B, ${gz} B gzipped`);
      expect(gz).to.be.below(300 * 1024);
    });
  }

  it("When the shim hashes and draws salts, Then its SHA-256 equals node:crypto's and its salts are 16 fresh bytes", () => {
    const data = Buffer.from('富硒茶 traceledger');
    expect(createHash('sha256').update(data.subarray(0, 5)).update(data.subarray(5)).digest().toString('hex')).to.equal(nodeCreateHash('sha256').update(data).digest('hex'));
    const a = randomBytes(16).toString('hex');
    expect(a).to.match(/^[0-9a-f]{32}$/);
    expect(randomBytes(16).toString('hex')).not.to.equal(a);
    expect(() => createHash('md5')).to.throw(/not available/);
  });
});
