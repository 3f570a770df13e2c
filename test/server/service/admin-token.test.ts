import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ensureAdminToken } from '../../../server/service/admin-token';
import { tempDir } from '../../support/system';

describe('server/service/admin-token', () => {
  const fileIn = (dir: string) => path.join(dir, 'admin-token');

  it('When ADMIN_TOKEN is set, Then it is the token and no file is written', () => {
    const dir = tempDir();
    const token = 'x'.repeat(40);
    expect(ensureAdminToken({ ADMIN_TOKEN: token, adminTokenPath: fileIn(dir) })).to.deep.equal({ token, source: 'env', path: null });
    expect(fs.existsSync(fileIn(dir))).to.equal(false);
  });

  it('When neither ADMIN_TOKEN nor the file exists, Then a token is generated into the file, readable by its owner only', () => {
    const dir = tempDir();
    const first = ensureAdminToken({ ADMIN_TOKEN: undefined, adminTokenPath: fileIn(dir) });
    expect(first.source).to.equal('generated');
    expect(first.path).to.equal(fileIn(dir));
    expect(fs.readFileSync(fileIn(dir), 'utf8')).to.equal(`${first.token}\n`);
    expect(fs.statSync(fileIn(dir)).mode & 0o777).to.equal(0o600);
  });

  it('When the file exists from an earlier start, Then the same token is used again', () => {
    const dir = tempDir();
    const first = ensureAdminToken({ ADMIN_TOKEN: undefined, adminTokenPath: fileIn(dir) });
    const second = ensureAdminToken({ ADMIN_TOKEN: undefined, adminTokenPath: fileIn(dir) });
    expect(second).to.deep.equal({ token: first.token, source: 'file', path: fileIn(dir) });
  });

  it('When the file holds something too short to be a token, Then it throws naming the file', () => {
    const dir = tempDir();
    fs.writeFileSync(fileIn(dir), 'short\n');
    expect(() => ensureAdminToken({ ADMIN_TOKEN: undefined, adminTokenPath: fileIn(dir) })).to.throw(fileIn(dir));
  });
});
