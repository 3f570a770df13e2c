/**
 * Durable commits without holding the event loop. With synchronous=FULL, SQLite fsyncs its WAL inside COMMIT, on the
 * calling thread: in the ingest's group commit that is ~10 ms of a blocked event loop per group, during which no request
 * is read and no signature check is handed out. Instead a record transaction commits with synchronous=NORMAL (its frames
 * are written to the WAL, not yet synced) and its caller is answered only after an fdatasync of the WAL file, run on
 * libuv's thread pool. That is what FULL does in WAL mode (sync the WAL after the commit frame, before returning), so an
 * acknowledged record is as durable as before; checkpoints keep NORMAL's own syncs (the WAL before the database is
 * written, the database after). Commits made while a sync runs share the next one.
 *
 * A failed fdatasync cannot simply be retried (on Linux the failed pages may already count as clean): the WAL is then
 * checkpointed into the database file on the spot (SQLite reads the frames, which are intact in memory, writes them to
 * the database and syncs it); if that fails too, the store refuses every later durable commit until it is reopened, so
 * nothing is acknowledged on top of frames that may not reach the disk.
 */
import fs from 'node:fs';

/** What a {@link WalSync} needs of the store: the database file and a way to checkpoint its WAL synchronously. */
export interface WalOwner {
  /** Absolute path of the database file (its WAL is `${file}-wal`). */
  readonly file: string;
  /** Runs `PRAGMA wal_checkpoint(TRUNCATE)` (or equivalent), throwing when it fails or cannot complete. */
  checkpointNow(): void;
}

const fdatasync = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));

export class WalSync {
  private fd: number | undefined;
  private ino = -1;
  /** Commits made so far (each waits for a sync that started after it). */
  private commits = 0;
  /** The sync under way, and how many commits it covers. */
  private running: { covers: number; done: Promise<void> } | null = null;
  /** Set when a failed sync could not be repaired: durable commits are refused from then on. */
  private broken: Error | null = null;

  constructor(private readonly owner: WalOwner) {}

  /**
   * True when a commit may skip SQLite's own fsync and call {@link afterCommit}: the WAL file is open here and is the
   * one SQLite writes (same inode). False (commit with synchronous=FULL instead) when it cannot be opened. Throws the
   * earlier unrepaired sync failure, if any.
   */
  ready(): boolean {
    if (this.broken) throw this.broken;
    const wal = `${this.owner.file}-wal`;
    try {
      const st = fs.statSync(wal);
      if (this.fd !== undefined && st.ino === this.ino) return true;
      this.closeFd();
      this.fd = fs.openSync(wal, 'r');
      this.ino = fs.fstatSync(this.fd).ino;
      // Opened between the stat and the open: the file could have been replaced in between; check again.
      return this.ino === st.ino;
    } catch {
      this.closeFd();
      return false;
    }
  }

  /** Resolves once every commit made before this call is on disk. Call it right after a commit that {@link ready} allowed. */
  afterCommit(): Promise<void> {
    const mine = ++this.commits;
    return this.waitFor(mine);
  }

  private async waitFor(commit: number): Promise<void> {
    for (;;) {
      const running = this.running;
      if (running && running.covers >= commit) return running.done;
      if (running) {
        await running.done.catch(() => undefined);
        continue;
      }
      const covers = this.commits;
      const done = this.syncOnce().finally(() => {
        if (this.running?.done === done) this.running = null;
      });
      this.running = { covers, done };
      return done;
    }
  }

  private async syncOnce(): Promise<void> {
    if (this.broken) throw this.broken;
    const fd = this.fd;
    try {
      if (fd === undefined) throw Object.assign(new Error('the WAL file is not open'), { code: 'EIO' });
      await fdatasync(fd);
    } catch (e) {
      // The frames are intact in memory: write them into the database file and sync that instead.
      try {
        this.owner.checkpointNow();
      } catch (again) {
        this.broken = Object.assign(new Error(`the database could not be synced to disk (${(e as Error).message}; then ${(again as Error).message}); reopen it`), {
          code: (again as { code?: unknown }).code ?? (e as { code?: unknown }).code ?? 'EIO',
          cause: again,
        });
        throw this.broken;
      }
    }
  }

  /** Waits for the sync under way, if any, and closes the file. */
  async close(): Promise<void> {
    await this.running?.done.catch(() => undefined);
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.fd = undefined;
    this.ino = -1;
  }
}
