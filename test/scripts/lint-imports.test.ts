import { expect } from 'chai';
import { folderCycles, folderGraph, folderOf } from '../../scripts/lint-imports';

const mod = (source: string, ...deps: string[]) => ({ source, dependencies: deps.map((resolved) => ({ resolved })) }) as never;

describe('scripts/lint-imports', () => {
  it('When a module is under server/, Then its folder is server/<folder>, or server/<file> at the top', () => {
    expect(folderOf('server/service/records.ts')).to.equal('server/service');
    expect(folderOf('server/http/routes/labels.ts')).to.equal('server/http');
    expect(folderOf('server/system.ts')).to.equal('server/system.ts');
    expect(folderOf('scripts/demo.ts')).to.equal(null);
    expect(folderOf('node_modules/ethers/lib.commonjs/index.js')).to.equal(null);
  });

  it('When modules import across folders, Then the folder graph has one edge per pair, counted, with an example', () => {
    const edges = folderGraph([
      mod('server/service/a.ts', 'server/store/types.ts', 'server/service/b.ts', 'node_modules/zod/index.js'),
      mod('server/service/b.ts', 'server/store/types.ts'),
      mod('scripts/demo.ts', 'server/service/a.ts'),
    ]);
    expect(edges).to.deep.equal([{ from: 'server/service', to: 'server/store', example: 'server/service/a.ts → server/store/types.ts', count: 2 }]);
  });

  it('When folders import in one direction only, Then there is no folder cycle', () => {
    expect(folderCycles([{ from: 'server/http', to: 'server/web' }, { from: 'server/web', to: 'server/service' }, { from: 'server/http', to: 'server/service' }])).to.deep.equal([]);
  });

  it('When folders import each other, even with no module cycle, Then the cycle is named, every folder of it on a printed cycle', () => {
    const cycles = folderCycles([
      { from: 'server/http', to: 'server/web' },
      { from: 'server/web', to: 'server/http' },
      { from: 'server/web', to: 'server/labels' },
      { from: 'server/labels', to: 'server/web' },
      { from: 'server/store', to: 'server/ledger' },
    ]);
    expect(cycles).to.deep.equal([
      ['server/http', 'server/web', 'server/http'],
      ['server/labels', 'server/web', 'server/labels'],
    ]);
  });
});
