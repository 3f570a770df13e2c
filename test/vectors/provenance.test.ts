/** The in-repo vector files are exactly the ones their folder's notes list, byte for byte: a silently edited vector fails here. */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

/** Each folder of vectors, and the note in it that lists the sha256 of every other file. */
const FOLDERS = [
  { dir: 'rfc6962', note: 'PROVENANCE.md', sample: 'upstream-tdm-inclusion-probes.json' },
  { dir: 'golden', note: 'README.md', sample: 'proof-bundle-v1.json' },
] as const;

/** `name → sha256` from the ```sha256 block of `note` (`sha256sum` output: hash, two spaces, name). */
function listedChecksums(dir: string, note: string): Map<string, string> {
  const text = readFileSync(path.join(dir, note), 'utf8');
  const block = /^```sha256\n([\s\S]*?)^```$/m.exec(text);
  if (!block) throw new Error(`${note} has no \`\`\`sha256 block`);
  const listed = new Map<string, string>();
  for (const line of block[1]!.split('\n').filter((l) => l.trim() !== '')) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (!m) throw new Error(`${note}: not a sha256sum line: ${line}`);
    listed.set(m[2]!, m[1]!);
  }
  return listed;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

for (const { dir: name, note, sample } of FOLDERS) {
  describe(`test/vectors/${name}: checksums in ${note}`, () => {
    const dir = path.join(__dirname, name);
    const listed = listedChecksums(dir, note);

    it(`When the folder is listed, Then ${note} names exactly its other files (none added, none missing)`, () => {
      const present = readdirSync(dir).filter((f) => f !== note).sort();
      expect(present).to.deep.equal([...listed.keys()].sort());
      expect(present).to.include(sample);
    });

    for (const [file, want] of listed) {
      it(`When ${file} is hashed, Then its sha256 equals the one recorded in ${note}`, () => {
        expect(sha256(path.join(dir, file))).to.equal(want);
      });
    }
  });
}
