/** server/service/health.ts: the threads part of /healthz (the rest is exercised through the app, test/server/http/app.test.ts). */
import { expect } from 'chai';
import { checkThreads } from '../../../server/service/health';

const running = { threads: 1, onMainThread: false, stopped: 0, refused: 0 };

describe('server/service/health: threads', () => {
  it('Given threads that run and an embedded chain saving on its thread, Then no warning', () => {
    expect(checkThreads(running, { chainStateSaves: false, walCheckpoints: false })).to.deep.equal({
      signatures: running,
      chainStateSaves: { onMainThread: false },
      walCheckpoints: { onMainThread: false },
    });
  });

  it('Given checks on the main thread by configuration (INGEST_THREADS=0), no embedded chain and PostgreSQL, Then no warning, no chainStateSaves, no walCheckpoints', () => {
    const configured = { threads: 0, onMainThread: true, stopped: 0, refused: 0 };
    expect(checkThreads(configured, {})).to.deep.equal({ signatures: configured });
  });

  it('Given chain state saves on the main thread (the writing thread could not start), Then the warning says each save holds up requests and stays durable', () => {
    const t = checkThreads(running, { chainStateSaves: true, walCheckpoints: false });
    expect(t.chainStateSaves).to.deep.equal({ onMainThread: true });
    expect(t.warning).to.contain('the chain state is saved on the main thread').and.contain('saves stay durable');
  });

  it('Given every fallback, Then the warning names each', () => {
    const t = checkThreads({ threads: 2, onMainThread: true, stopped: 0, refused: 0, lastFailure: { at: '2026-11-30T08:00:00.000Z', error: 'boom' } }, { chainStateSaves: true, walCheckpoints: true });
    expect(t.walCheckpoints).to.deep.equal({ onMainThread: true });
    expect(t.warning).to.match(/^signatures are checked on the main thread: the signature threads could not start \(boom\).*; the chain state is saved on the main thread.*; the database's WAL is checkpointed on the main thread/);
  });
});
