/** The in-repo RFC 6962 vectors are the files PROVENANCE.md lists, byte for byte: a silently edited vector fails here. */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

const DIR = path.join(__dirname, 'rfc6962');
const PROVENANCE = 'PROVENANCE.md';

/** `name → sha256` from the ```sha256 block of PROVENANCE.md (`sha256sum` output: hash, two spaces, name). */
function listedChecksums(): Map<string, string> {
  const text = readFileSync(path.join(DIR, PROVENANCE), 'utf8');
  const block = /^```sha256\n([\s\S]*?)^```$/m.exec(text);
  if (!block) throw new Error(`${PROVENANCE} has no \`\`\`sha256 block`);
  const listed = new Map<string, string>();
  for (const line of block[1]!.split('\n').filter((l) => l.trim() !== '')) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (!m) throw new Error(`${PROVENANCE}: not a sha256sum line: ${line}`);
    listed.set(m[2]!, m[1]!);
  }
  return listed;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(path.join(DIR, file))).digest('hex');
}

describe('test/vectors/rfc6962 provenance', () => {
  const listed = listedChecksums();

  it('When the folder is listed, Then PROVENANCE.md names exactly its files (none added, none missing)', () => {
    const present = readdirSync(DIR).filter((f) => f !== PROVENANCE).sort();
    expect(present).to.deep.equal([...listed.keys()].sort());
    expect(present).to.include('upstream-tdm-inclusion-probes.json');
  });

  for (const [file, want] of listed) {
    it(`When ${file} is hashed, Then its sha256 equals the one recorded in PROVENANCE.md`, () => {
      expect(sha256(file)).to.equal(want);
    });
  }
});
