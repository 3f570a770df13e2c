/**
 * Least exposure of the data directory: it holds the database with every private field, the operator's key and
 * the admin token, so only its owner may enter it (0700) and read its files (0600).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Creates `dir` with mode 0700 (or narrows an existing one to it) and narrows its files to 0600. */
export function secureDataDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  narrow(dir, 0o700);
  secureDataFiles(dir);
}

/** Narrows every regular file directly in `dir` that others may read or write (the database and its -wal/-shm included) to 0600. */
export function secureDataFiles(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) narrow(path.join(dir, entry.name), 0o600);
  }
}

function narrow(file: string, mode: number): void {
  try {
    const st = fs.statSync(file);
    if ((st.mode & 0o777 & ~mode) !== 0) fs.chmodSync(file, st.mode & mode);
  } catch (e) {
    // A file removed meanwhile (a temporary state file), or one we do not own: nothing to narrow.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM') throw e;
  }
}
