/** Log entries: canonical bytes, leaf hash, round trip, and a reader that rejects unknown versions. */
import { expect } from 'chai';
import { leafHash } from '../../../server/ledger/rfc6962';
import {
  RecordError,
  UnsupportedVersionError,
  createLogEntry,
  encodeLogEntry,
  logEntryLeafHash,
  logEntryTextAndLeafHash,
  parseLogEntry,
  type LogEntry,
} from '../../../server/records';
import { buildReport, expectRecordError, randomWallet, signAndLog } from './fixtures';

const utf8 = new TextEncoder();

describe('records/log-entry', () => {
  let entry: LogEntry;

  before(async () => {
    entry = (await signAndLog('SeleniumTestReport', buildReport(), randomWallet())).entry;
  });

  it('When an entry is encoded, Then the bytes are RFC 8785 JSON with sorted keys and v 1', () => {
    const text = new TextDecoder().decode(encodeLogEntry(entry));

    expect(text).to.equal(
      `{"id":"${entry.id}","issuedAt":"${entry.issuedAt}","recordRoot":"${entry.recordRoot}",` +
        `"signature":"${entry.signature}","signer":"${entry.signer}","type":"SeleniumTestReport","v":1}`,
    );
  });

  it('When an entry is encoded and parsed back from bytes or from an object, Then it is unchanged', () => {
    expect(parseLogEntry(encodeLogEntry(entry))).to.deep.equal(entry);
    expect(parseLogEntry(JSON.parse(JSON.stringify(entry)) as object)).to.deep.equal(entry);
  });

  it('When the leaf hash is computed, Then it is the ledger leafHash of the encoded bytes', () => {
    expect(Buffer.from(logEntryLeafHash(entry)).equals(Buffer.from(leafHash(encodeLogEntry(entry))))).to.equal(true);
  });

  it('When the text and leaf hash are made in one go (ingest), Then they are the encoded text and logEntryLeafHash; an invalid entry is refused alike', () => {
    const { text, leafHash: leaf } = logEntryTextAndLeafHash(entry);
    expect(text).to.equal(new TextDecoder().decode(encodeLogEntry(entry)));
    expect(Buffer.from(leaf).equals(Buffer.from(logEntryLeafHash(entry)))).to.equal(true);
    expectRecordError(() => logEntryTextAndLeafHash({ ...entry, signer: entry.signer.toUpperCase() }), 'invalid-log-entry');
  });

  it('When an entry is created from checksummed or uppercase hex, Then it is stored lowercase', () => {
    const created = createLogEntry({
      type: entry.type,
      id: entry.id,
      recordRoot: entry.recordRoot.toUpperCase().replace('0X', '0x'),
      signer: '0x' + entry.signer.slice(2).toUpperCase(),
      signature: entry.signature.toUpperCase().replace('0X', '0x'),
      issuedAt: entry.issuedAt,
    });
    expect(created).to.deep.equal(entry);
  });

  it('When an entry declares an unknown version, Then the reader rejects it with UnsupportedVersionError', () => {
    for (const v of [0, 2, 1.5, -1]) {
      const bytes = utf8.encode(JSON.stringify({ ...entry, v }));
      const error = expectRecordError(() => parseLogEntry(bytes), 'unsupported-version');
      expect(error).to.be.instanceOf(UnsupportedVersionError);
      expect((error as UnsupportedVersionError).version).to.equal(v);
      expectRecordError(() => parseLogEntry({ ...entry, v }), 'unsupported-version');
    }
  });

  it('When a future version also changes the other fields, Then the version is still what is reported', () => {
    const future = { v: 2, kind: 'Batch', payload: { anything: true } };
    expect(() => parseLogEntry(future)).to.throw(UnsupportedVersionError, 'log entry version 2 is not supported');
  });

  it('When "v" is missing or not a number, Then the entry is invalid (not a version problem)', () => {
    const { v: _v, ...unversioned } = entry;
    expectRecordError(() => parseLogEntry(unversioned), 'invalid-log-entry');
    expectRecordError(() => parseLogEntry({ ...entry, v: '1' }), 'invalid-log-entry');
  });

  it('When an entry has an unknown field or misses one, Then it is rejected naming it', () => {
    const extra = expectRecordError(() => parseLogEntry({ ...entry, note: 'x' }), 'invalid-log-entry');
    expect(extra.message).to.equal('invalid log entry: unknown field "note"');
    const { signer: _signer, ...unsigned } = entry;
    const missing = expectRecordError(() => parseLogEntry(unsigned), 'invalid-log-entry');
    expect(missing.issues).to.deep.equal([{ path: 'signer', message: 'is required' }]);
  });

  it('When a field has a non-canonical spelling (uppercase hex, v = 0/1 signature, unknown type), Then it is rejected', () => {
    expectRecordError(() => parseLogEntry({ ...entry, signer: entry.signer.toUpperCase().replace('0X', '0x') }), 'invalid-log-entry');
    expectRecordError(() => parseLogEntry({ ...entry, signature: `${entry.signature.slice(0, -2)}01` }), 'invalid-log-entry');
    expectRecordError(() => parseLogEntry({ ...entry, recordRoot: entry.recordRoot.slice(2) }), 'invalid-log-entry');
    expectRecordError(() => parseLogEntry({ ...entry, type: 'Invoice' }), 'invalid-log-entry');
    expectRecordError(() => parseLogEntry({ ...entry, issuedAt: '2025-10-06T16:00:00+08:00' }), 'invalid-log-entry');
  });

  it('When the bytes are valid JSON but not canonical, Then they are rejected (their leaf hash would differ)', () => {
    const pretty = utf8.encode(JSON.stringify(entry, null, 2));
    const error = expectRecordError(() => parseLogEntry(pretty), 'invalid-log-entry');
    expect(error.message).to.contain('canonical');
  });

  it('When the bytes hold a duplicate key, Then they are rejected', () => {
    const text = new TextDecoder().decode(encodeLogEntry(entry)).replace('"v":1}', '"v":1,"v":1}');
    expectRecordError(() => parseLogEntry(utf8.encode(text)), 'invalid-log-entry');
  });

  it('When the bytes are not UTF-8 or not JSON or not an object, Then they are rejected', () => {
    expectRecordError(() => parseLogEntry(new Uint8Array([0x7b, 0xff, 0x7d])), 'invalid-log-entry');
    expectRecordError(() => parseLogEntry(utf8.encode('{"v":1,')), 'invalid-log-entry');
    expectRecordError(() => parseLogEntry(utf8.encode('[1]')), 'invalid-log-entry');
  });

  it('When an invalid entry is encoded, Then encoding refuses it', () => {
    expect(() => encodeLogEntry({ ...entry, signer: 'nobody' })).to.throw(RecordError);
  });
});
