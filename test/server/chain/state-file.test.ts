/**
 * server/chain/state-file.ts (real files): the state file written durably on a thread of its own, in one hand-over
 * from the event loop, with the same outcome as the steps run here, and the file system's error code kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { StateFileWriter, writeStateFile, writeStateFileSync } from '../../../server/chain/state-file';
import { tempDir } from '../../support/system';
import { rejection } from '../../support/assertions';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('server/chain/state-file', function () {
  this.timeout(60_000);

  it('When a state is written twice, Then the file holds the second and .prev the first, with no .tmp left, the file private to its owner', async () => {
    const file = path.join(tempDir(), 'anvil-state.json');
    await writeStateFile(file, Buffer.from('{"first":1}'));
    await writeStateFile(file, Buffer.from('{"second":2}'));
    expect(fs.readFileSync(file, 'utf8')).to.equal('{"second":2}');
    expect(fs.readFileSync(`${file}.prev`, 'utf8')).to.equal('{"first":1}');
    expect(fs.existsSync(`${file}.tmp`)).to.equal(false);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
  });

  it('When the thread and the calling thread write the same states, Then the files are byte for byte the same', async () => {
    const big = Buffer.from(JSON.stringify({ accounts: Array.from({ length: 5000 }, (_, i) => ({ i, code: 'ab'.repeat(40) })) }));
    const [a, b] = [path.join(tempDir(), 's.json'), path.join(tempDir(), 's.json')];
    for (const data of [Buffer.from('{}'), big]) {
      await writeStateFile(a, data);
      writeStateFileSync(b, data);
    }
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).to.equal(true);
    expect(fs.readFileSync(`${a}.prev`).equals(fs.readFileSync(`${b}.prev`))).to.equal(true);
  });

  it('When a write fails (the temporary path is a directory), Then it rejects with the file system code, the last good file intact, and the next write succeeds', async () => {
    const file = path.join(tempDir(), 'anvil-state.json');
    await writeStateFile(file, Buffer.from('{"good":1}'));
    fs.mkdirSync(`${file}.tmp`);
    const err = (await rejection(writeStateFile(file, Buffer.from('{"lost":1}')))) as NodeJS.ErrnoException;
    expect(err.code).to.equal('EISDIR');
    expect(fs.readFileSync(file, 'utf8')).to.equal('{"good":1}');
    fs.rmdirSync(`${file}.tmp`);
    await writeStateFile(file, Buffer.from('{"next":1}'));
    expect(fs.readFileSync(file, 'utf8')).to.equal('{"next":1}');
  });

  it('When a write is in flight, Then the event loop keeps turning (the steps run on the other thread)', async () => {
    const file = path.join(tempDir(), 'anvil-state.json');
    await writeStateFile(file, Buffer.from('{}')); // the thread started
    const data = Buffer.alloc(64 << 20, 0x20); // 64 MiB: writing and syncing it takes many turns' time
    let turns = 0;
    let done = false;
    const write = writeStateFile(file, data).then(() => (done = true));
    while (!done) {
      await turn();
      turns++;
    }
    await write;
    expect(turns, 'turns of the event loop while the write ran').to.be.above(3);
    expect(fs.statSync(file).size).to.equal(data.length);
  });

  it('When the writing thread cannot start at all, Then writes run on the calling thread and still land', async () => {
    // A task module that does not exist: the thread fails before it answers once.
    const writer = new StateFileWriter(path.join(tempDir(), 'no-such-module'), 'writeStateFileTask');
    const file = path.join(tempDir(), 'anvil-state.json');
    await writer.write(file, Buffer.from('{"first":1}'));
    expect(writer.inline).to.equal(true);
    await writer.write(file, Buffer.from('{"second":2}'));
    expect(fs.readFileSync(file, 'utf8')).to.equal('{"second":2}');
    expect(fs.readFileSync(`${file}.prev`, 'utf8')).to.equal('{"first":1}');
  });

  it('When the writing thread dies with a write in flight, Then that write fails (the caller saves again) and the next write starts another thread', async () => {
    // A stand-in task: it answers its first write, and exits its thread at its second.
    const writer = new StateFileWriter(require.resolve('../../support/stand-in-state-writer'), 'answerOnceThenExit');
    const file = path.join(tempDir(), 'anvil-state.json');
    await writer.write(file, Buffer.from('{}'));
    const err = await rejection(writer.write(file, Buffer.from('{}')));
    expect(String(err)).to.contain('exited (code 3)');
    await writer.write(file, Buffer.from('{}'));
    expect(writer.inline).to.equal(false);
  });
});
