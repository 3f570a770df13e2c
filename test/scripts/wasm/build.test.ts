/* The committed WebAssembly module is what its reviewed source compiles to (the build is deterministic). */
import fs from 'node:fs';
import { expect } from 'chai';
import { HASHES_WASM_BASE64 } from '../../../server/crypto/hashes-wasm';
import { TARGET, compile, moduleText } from '../../../scripts/wasm/build';

describe('scripts/wasm/build: the WebAssembly hashes module', function () {
  this.timeout(120_000);

  it('When scripts/wasm/hashes.as.ts is compiled again, Then it gives the committed bytes and server/crypto/hashes-wasm.ts as committed', () => {
    const wasm = compile();
    expect(wasm.toString('base64')).to.equal(HASHES_WASM_BASE64, 'run npm run build:wasm and commit server/crypto/hashes-wasm.ts');
    expect(fs.readFileSync(TARGET, 'utf8')).to.equal(moduleText(wasm));
  });
});
