/* scripts/embedded-postgres.ts: PostgreSQL runs as the system user `postgres` when the tests run as root, so its binaries must be within that user's reach wherever the project was cloned. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { postgresBinDir, reachableBinDir, runAs } from '../../scripts/embedded-postgres';

describe('scripts/embedded-postgres: binaries within reach of the user PostgreSQL runs as', function () {
  this.timeout(60_000);

  it('When the project sits in a folder only root may enter (a clone in mktemp -d), Then the binaries run from a root-owned copy the postgres user can reach', function () {
    const owner = runAs();
    if (!owner) this.skip(); // not root: PostgreSQL runs as this user, who can reach what it installed
    // The package, seen through a folder of mode 0700 (as a clone made by `mktemp -d` sees its node_modules).
    const hidden = fs.mkdtempSync(path.join(os.tmpdir(), 'traceledger-private-'));
    try {
      fs.chmodSync(hidden, 0o700);
      const pkg = path.dirname(path.dirname(postgresBinDir()));
      fs.symlinkSync(pkg, path.join(hidden, 'pkg'));
      const bin = path.join(hidden, 'pkg', 'native', 'bin');
      const asPostgres = (dir: string) => spawnSync(path.join(dir, 'initdb'), ['--version'], { ...owner, encoding: 'utf8' });
      expect(asPostgres(bin).error?.message ?? '').to.contain('EACCES');

      const reachable = reachableBinDir(bin, owner);
      expect(reachable.startsWith(os.tmpdir())).to.equal(true);
      const copy = fs.statSync(path.dirname(reachable));
      expect(copy.uid).to.equal(0);
      expect(copy.mode & 0o022).to.equal(0);
      const version = asPostgres(reachable);
      expect(version.status, version.stderr).to.equal(0);
      expect(version.stdout).to.match(/initdb \(PostgreSQL\) \d+/);
      // A second call finds the copy.
      expect(reachableBinDir(bin, owner)).to.equal(reachable);
    } finally {
      fs.rmSync(hidden, { recursive: true, force: true });
    }
  });

  it('When PostgreSQL runs as this user (not root), Then the binaries run where they are', () => {
    const bin = postgresBinDir();
    expect(reachableBinDir(bin, undefined)).to.equal(bin);
  });
});
