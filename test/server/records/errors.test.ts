/** RecordError: one error class, a closed set of codes, and a version error readers can catch by type or code. */
import { expect } from 'chai';
import { RECORD_ERROR_CODES, RecordError, UnsupportedVersionError, isRecordError } from '../../../server/records';

describe('records/errors', () => {
  it('When a RecordError is made, Then it carries its code, field, issues and cause', () => {
    const cause = new Error('root-mismatch');
    const error = new RecordError('bad-disclosure', 'field "result" does not verify', { field: 'result', cause });

    expect(error).to.be.instanceOf(Error);
    expect(error.name).to.equal('RecordError');
    expect(error.code).to.equal('bad-disclosure');
    expect(error.field).to.equal('result');
    expect(error.issues).to.deep.equal([]);
    expect(error.cause).to.equal(cause);
    expect(isRecordError(error)).to.equal(true);
    expect(isRecordError(error, 'bad-disclosure')).to.equal(true);
    expect(isRecordError(error, 'bad-signature')).to.equal(false);
    expect(isRecordError(cause)).to.equal(false);
  });

  it('When an unknown version is met, Then the error is both an UnsupportedVersionError and code unsupported-version', () => {
    const error = new UnsupportedVersionError(7);

    expect(error).to.be.instanceOf(RecordError);
    expect(error.name).to.equal('UnsupportedVersionError');
    expect(error.code).to.equal('unsupported-version');
    expect(error.version).to.equal(7);
    expect(error.message).to.equal('log entry version 7 is not supported (this reader knows v1)');
  });

  it('When the codes are listed, Then each appears once', () => {
    expect(new Set(RECORD_ERROR_CODES).size).to.equal(RECORD_ERROR_CODES.length);
    expect(RECORD_ERROR_CODES).to.include.members(['invalid-record', 'unsupported-version', 'bad-disclosure', 'bad-signature']);
  });
});
