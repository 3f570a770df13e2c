import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256File, sha256Stream } from '../../../server/trails/dataset';
import { tempDir } from '../../support/system';

const MiB = 1 << 20;

describe('server/trails/dataset', function () {
  this.timeout(60_000);

  it('When a stream yields buffers and strings, Then sha256Stream is the SHA-256 of all its bytes', async () => {
    const parts = [Buffer.from('producerUscc,origin\n'), '91610924MA6YAB3K2L,紫阳\n', Buffer.alloc(0)];
    const whole = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
    const digest = await sha256Stream(Readable.from(parts));
    expect(digest).to.deep.equal({ sha256: `0x${createHash('sha256').update(whole).digest('hex')}`, bytes: whole.length });
    expect((await sha256Stream(Readable.from([]))).sha256).to.equal('0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('When a 2 GiB dataset is checked, Then it is hashed streaming in bounded memory (RSS grows by less than 100 MB)', async () => {
    const dir = tempDir('traceledger-2gib-');
    const file = path.join(dir, 'delivery.bin');
    const pattern = randomBytes(MiB);
    const chunks = 2048; // 2 GiB
    try {
      // Arrange: the file, written from a stream of one repeated 1 MiB pattern; and its hash computed apart, in memory.
      await pipeline(
        Readable.from((function* () {
          for (let i = 0; i < chunks; i++) yield pattern;
        })()),
        fs.createWriteStream(file),
      );
      expect(fs.statSync(file).size).to.equal(chunks * MiB);
      const reference = createHash('sha256');
      for (let i = 0; i < chunks; i++) reference.update(pattern);
      const expected = `0x${reference.digest('hex')}`;

      // Act, sampling the resident set size while hashing.
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
      let digest;
      try {
        digest = await sha256File(file);
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, process.memoryUsage().rss);

      // Assert.
      expect(digest).to.deep.equal({ sha256: expected, bytes: chunks * MiB });
      expect(peak - before, `RSS grew by ${((peak - before) / MiB).toFixed(1)} MiB`).to.be.below(100 * 1e6);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
