/** server/config: the environment read once, with defaults. */
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../../server/config';

describe('server/config', () => {
  it('When DATA_DIR is unset or set to the empty string, Then the default data/ is used, never the current directory', () => {
    for (const env of [{}, { DATA_DIR: '' }]) {
      const c = loadConfig(env);
      expect(c.DATA_DIR).to.equal(path.resolve('data'));
      expect(c.dbPath.startsWith(path.resolve('data') + path.sep)).to.equal(true);
    }
  });

  it('When a numeric key is set to the empty string, Then its default applies instead of an error', () => {
    expect(loadConfig({ PORT: '' }).PORT).to.equal(loadConfig({}).PORT);
  });

  it('When DATA_DIR is set, Then it is used, resolved', () => {
    expect(loadConfig({ DATA_DIR: 'elsewhere' }).DATA_DIR).to.equal(path.resolve('elsewhere'));
  });
});
