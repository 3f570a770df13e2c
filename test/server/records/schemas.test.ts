/** Record schemas: every fixture is accepted; each rule rejects with a message naming the field. */
import { expect } from 'chai';
import {
  GENESIS_PREV_HASH,
  RECORD_SCHEMAS,
  RECORD_TYPES,
  REVOCATION_REASONS,
  VISIBILITY,
  fieldNamesOf,
  parseRecord,
  parseShareRecord,
  publicFieldNames,
  revocationReasonNumber,
  revocationReasonOf,
  type RecordType,
} from '../../../server/records';
import {
  RECORD_BUILDERS,
  USCC,
  batchInput,
  buildShareReply,
  buildShareRequest,
  expectRecordError,
  reportInput,
} from './fixtures';

/** Parses `input` as `type`, expects `invalid-record`, and returns "path: message" of every issue. */
function rejectionOf(type: RecordType, input: unknown): string[] {
  const error = expectRecordError(() => parseRecord(type, input), 'invalid-record');
  expect(error.message).to.match(new RegExp(`^invalid ${type}: `));
  return error.issues.map((i) => `${i.path}: ${i.message}`);
}

function without<T extends object, K extends keyof T>(o: T, key: K): Omit<T, K> {
  const copy: Partial<T> = { ...o };
  delete copy[key];
  return copy as Omit<T, K>;
}

describe('records/schemas', () => {
  describe('acceptance', () => {
    for (const type of RECORD_TYPES) {
      it(`When a valid ${type} is parsed twice, Then it is accepted and parsing is idempotent`, () => {
        const once = RECORD_BUILDERS[type]();
        expect(parseRecord(type, once)).to.deep.equal(once);
      });
    }

    it('When a GTIN-8, -12, -13 or -14 is given, Then the batch stores its GTIN-14', () => {
      expect(parseRecord('Batch', batchInput({ gtin: '96385074' })).gtin).to.equal('00000096385074');
      expect(parseRecord('Batch', batchInput({ gtin: '036000291452' })).gtin).to.equal('00036000291452');
      expect(parseRecord('Batch', batchInput({ gtin: '6901234567892' })).gtin).to.equal('06901234567892');
      expect(parseRecord('Batch', batchInput({ gtin: '10614141000415' })).gtin).to.equal('10614141000415');
    });

    it('When a batch has no GTIN and no certificate, Then it is accepted without those fields', () => {
      const input = without(without(without(batchInput(), 'gtin'), 'certificate'), 'certificateIssuer');
      const batch = parseRecord('Batch', input);
      expect(batch).to.not.have.property('gtin');
      expect(batch).to.not.have.property('certificate');
    });

    it('When an optional member is present but undefined, Then the parsed record omits it (plain JSON)', () => {
      const report = parseRecord('SeleniumTestReport', reportInput({ lab: { ...reportInput().lab, cnasNumber: undefined } }));
      expect(Object.keys(report.lab)).to.not.include('cnasNumber');
    });

    it('When a share step is parsed by its step, Then the matching record type is returned', () => {
      expect(parseShareRecord(buildShareRequest()).type).to.equal('ShareRequest');
      expect(parseShareRecord(buildShareReply()).type).to.equal('ShareReply');
      expectRecordError(() => parseShareRecord({ ...buildShareRequest(), step: 'forward' }), 'invalid-record');
    });
  });

  describe('rejection', () => {
    it('When the GTIN check digit is wrong, Then the batch is rejected naming gtin and the expected digit', () => {
      expect(rejectionOf('Batch', batchInput({ gtin: '6901234567891' }))).to.deep.equal([
        'gtin: GTIN has check digit 1, but the GS1 check digit of 690123456789 is 2',
      ]);
    });

    it('When the producer USCC has a wrong check character, Then the batch is rejected naming producer.uscc', () => {
      const issues = rejectionOf('Batch', batchInput({ producer: { uscc: '91610924MA6YAB3K2X', name: '某公司' } }));
      expect(issues).to.deep.equal(['producer.uscc: unified social credit code has check character X, but GB 32100-2015 gives L']);
    });

    it('When the lot is outside the GS1 82-character set, Then the batch is rejected naming lot', () => {
      expect(rejectionOf('Batch', batchInput({ lot: '批次 01' }))[0]).to.match(/^lot: lot must be 1–20 characters of the GS1/);
    });

    it('When a town code is not inside the county, Then the batch is rejected naming origin.townCode', () => {
      expect(rejectionOf('Batch', batchInput({ origin: { countyCode: '610924', townCode: '610925100' } }))).to.deep.equal([
        'origin.townCode: town code must start with the county code',
      ]);
    });

    it('When a product category is not a key, Then the batch is rejected', () => {
      expect(rejectionOf('Batch', batchInput({ productCategory: 'Tea Leaves' }))[0]).to.match(/^productCategory: /);
    });

    it('When a certificate comes without its issuer, Then the batch is rejected', () => {
      expect(rejectionOf('Batch', without(batchInput(), 'certificateIssuer'))).to.deep.equal([
        'certificateIssuer: certificate and certificateIssuer go together: give both or neither',
      ]);
    });

    it('When the CMA number is not 12 digits, Then the report is rejected naming lab.cmaNumber', () => {
      for (const cmaNumber of ['20272705012', '2027270501234', '20272705012A']) {
        expect(rejectionOf('SeleniumTestReport', reportInput({ lab: { ...reportInput().lab, cmaNumber } }))).to.deep.equal([
          'lab.cmaNumber: CMA number must be 12 digits',
        ]);
      }
    });

    it('When the CNAS number is malformed, Then the report is rejected naming lab.cnasNumber', () => {
      const issues = rejectionOf('SeleniumTestReport', reportInput({ lab: { ...reportInput().lab, cnasNumber: 'CNAS-L1234' } }));
      expect(issues).to.deep.equal(['lab.cnasNumber: CNAS number must look like "CNAS L1234"']);
    });

    it('When a report has an unknown top-level field, Then it is rejected naming the field', () => {
      expect(rejectionOf('SeleniumTestReport', { ...reportInput(), price: 120 })).to.deep.equal([': unknown field "price"']);
    });

    it('When a nested object has an unknown key, Then it is rejected at that path', () => {
      expect(rejectionOf('SeleniumTestReport', reportInput({ sample: { id: 'S1', name: '茶', state: '固体', colour: 'green' } as never }))).to.deep.equal([
        'sample: unknown field "colour"',
      ]);
    });

    it('When a required field is missing, Then the report is rejected saying it is required', () => {
      expect(rejectionOf('SeleniumTestReport', without(reportInput(), 'reportNumber'))).to.deep.equal(['reportNumber: is required']);
    });

    it('When the analyte is not Se, Then the report is rejected', () => {
      expect(rejectionOf('SeleniumTestReport', { ...reportInput(), analyte: 'Zn' })).to.deep.equal(['analyte: analyte must be "Se"']);
    });

    it('When the result is negative, not finite or a string, Then the report is rejected naming result', () => {
      for (const result of [-0.1, Number.POSITIVE_INFINITY, '0.35']) {
        expect(rejectionOf('SeleniumTestReport', { ...reportInput(), result })[0]).to.match(/^result: /);
      }
    });

    it('When dates run backwards (tested before received, issued after CMA expiry), Then the report is rejected naming the later date', () => {
      expect(rejectionOf('SeleniumTestReport', reportInput({ receivedDate: '2025-09-25' }))).to.deep.equal([
        'testDates.from: testDates.from 2025-09-24 is before receivedDate 2025-09-25',
      ]);
      expect(rejectionOf('SeleniumTestReport', reportInput({ lab: { ...reportInput().lab, cmaValidUntil: '2025-10-01' } }))).to.deep.equal([
        'lab.cmaValidUntil: lab.cmaValidUntil 2025-10-01 is before issueDate 2025-10-06',
      ]);
    });

    it('When LOD exceeds LOQ, Then the report is rejected naming loq', () => {
      expect(rejectionOf('SeleniumTestReport', reportInput({ lod: 0.01, loq: 0.006 }))).to.deep.equal(['loq: loq 0.006 is below lod 0.01']);
    });

    it('When a date or instant is malformed, Then it is rejected: Feb 30, a local time, fractional seconds, before 1970', () => {
      expect(rejectionOf('SeleniumTestReport', reportInput({ issueDate: '2025-02-30' }))[0]).to.match(/^issueDate: must be a calendar date/);
      for (const issuedAt of ['2025-10-06T08:00:00+08:00', '2025-10-06T08:00:00.5Z', '2025-10-06 08:00:00Z', '1969-12-31T23:59:59Z']) {
        expect(rejectionOf('SeleniumTestReport', reportInput({ issuedAt }))[0], issuedAt).to.match(/^issuedAt: /);
      }
    });

    it('When a hash is uppercase or lacks 0x, Then it is rejected (one spelling per value)', () => {
      for (const reportPdfSha256 of [`0x${'AB'.repeat(32)}`, 'ab'.repeat(32), `0x${'ab'.repeat(31)}`]) {
        expect(rejectionOf('SeleniumTestReport', reportInput({ reportPdfSha256 }))).to.deep.equal([
          'reportPdfSha256: must be 0x followed by 64 lowercase hex digits',
        ]);
      }
    });

    it('When text has leading or trailing whitespace, Then it is rejected', () => {
      expect(rejectionOf('SeleniumTestReport', reportInput({ conclusion: ' 合格' }))).to.deep.equal(['conclusion: must not start or end with whitespace']);
    });

    it('When several rules fail, Then every failure is listed', () => {
      const issues = rejectionOf('SeleniumTestReport', { ...without(reportInput(), 'batchId'), lod: -1, extra: 1 });
      expect(issues).to.have.length.of.at.least(3);
    });

    it('When a department USCC is invalid, Then the share request is rejected naming the department', () => {
      const input = { ...buildShareRequest(), providingDepartment: { name: '农业农村局', uscc: '11610900MB0G23456X' } };
      expect(rejectionOf('ShareRequest', input)[0]).to.match(/^providingDepartment\.uscc: unified social credit code has check character X/);
    });

    it('When seq 1 has a non-zero prevHash, or seq 2 a zero one, Then the share record is rejected naming prevHash', () => {
      expect(rejectionOf('ShareRequest', { ...buildShareRequest(), prevHash: `0x${'11'.repeat(32)}` })).to.deep.equal([
        'prevHash: prevHash of seq 1 must be 32 zero bytes',
      ]);
      expect(rejectionOf('ShareRequest', { ...buildShareRequest(), seq: 2, prevHash: GENESIS_PREV_HASH })).to.deep.equal([
        "prevHash: prevHash of seq 2 must be the previous record's leaf hash, not zero",
      ]);
    });

    it('When seq is 0 or fractional, Then the share record is rejected naming seq', () => {
      expect(rejectionOf('ShareRequest', { ...buildShareRequest(), seq: 0 })[0]).to.equal('seq: seq must be ≥ 1');
      expect(rejectionOf('ShareRequest', { ...buildShareRequest(), seq: 1.5 })[0]).to.equal('seq: seq must be an integer');
    });

    it('When a share method or class is unknown, Then the request is rejected', () => {
      expect(rejectionOf('ShareRequest', { ...buildShareRequest(), method: 'email' })[0]).to.match(/^method: /);
      expect(rejectionOf('ShareRequest', { ...buildShareRequest(), shareClass: 'secret' })[0]).to.match(/^shareClass: /);
    });

    it('When a validity period ends before it starts, Then the request is rejected naming validity.to', () => {
      const validity = { from: '2026-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' };
      expect(rejectionOf('ShareRequest', { ...buildShareRequest(), validity })).to.deep.equal(['validity.to: "from" must not be after "to"']);
    });

    it('When requested fields repeat, Then the request is rejected', () => {
      expect(rejectionOf('ShareRequest', { ...buildShareRequest(), fieldsRequested: ['a', 'a'] })).to.deep.equal([
        'fieldsRequested: must not repeat an entry',
      ]);
    });

    it('When a refusal has no reason or approves fields, Then the reply is rejected', () => {
      const refusal = { ...buildShareReply(), reply: { time: '2025-10-10T02:00:00Z', decision: 'refuse' } };
      expect(rejectionOf('ShareReply', refusal)).to.deep.equal([
        'reply.refusalReason: a refusal must state its reason',
        'fieldsApproved: a refusal approves no fields',
      ]);
    });

    it('When a refusal states its reason and approves nothing, Then the reply is accepted', () => {
      const refusal = {
        ...without(without(buildShareReply(), 'method'), 'validity'),
        reply: { time: '2025-10-10T02:00:00Z', decision: 'refuse', refusalReason: '该目录项为不予共享' },
        fieldsApproved: [],
      };
      expect(parseRecord('ShareReply', refusal).reply.decision).to.equal('refuse');
    });

    it('When an approval lacks fields, method or validity, Then the reply is rejected naming each', () => {
      const approval = { ...without(without(buildShareReply(), 'method'), 'validity'), fieldsApproved: [] };
      expect(rejectionOf('ShareReply', approval)).to.deep.equal([
        'fieldsApproved: an approval must list the approved fields',
        'method: an approval must state the method',
        'validity: an approval must state the validity period',
      ]);
    });

    it('When a revocation reason is unknown, Then it is rejected; known reasons map to on-chain codes', () => {
      const input = { ...RECORD_BUILDERS.Revocation(), reasonCode: 'bored' };
      expect(rejectionOf('Revocation', input)[0]).to.match(/^reasonCode: /);
      expect(revocationReasonNumber('sample-mismatch')).to.equal(2);
      expect(revocationReasonOf(2)).to.equal('sample-mismatch');
      expect(revocationReasonOf(REVOCATION_REASONS.length)).to.equal(undefined);
    });

    it('When the input is not an object, Then it is rejected', () => {
      for (const input of [null, 'report', 42, []]) expectRecordError(() => parseRecord('SeleniumTestReport', input), 'invalid-record');
    });
  });

  describe('visibility', () => {
    for (const type of RECORD_TYPES) {
      it(`When the ${type} visibility table is read, Then it marks exactly the schema's top-level fields`, () => {
        const shape = Object.keys((RECORD_SCHEMAS[type] as unknown as { shape: object }).shape).sort();
        expect(fieldNamesOf(type)).to.deep.equal(shape);
        for (const v of Object.values(VISIBILITY[type])) expect(v).to.be.oneOf(['public', 'private']);
      });
    }

    it('When personal data fields are looked up, Then they are private; results, standards, lab and origin are public', () => {
      const privateOf = (type: RecordType) => fieldNamesOf(type).filter((n) => !publicFieldNames(type).includes(n));
      expect(privateOf('SeleniumTestReport')).to.deep.equal(['client', 'sampling', 'signatories']);
      expect(privateOf('Batch')).to.deep.equal(['certificateIssuer']);
      expect(privateOf('ShareRequest')).to.deep.equal(['requestingOfficer']);
      expect(privateOf('ShareReply')).to.deep.equal(['providingOfficer']);
      expect(privateOf('ShareDelivery')).to.deep.equal(['providingOfficer']);
      expect(privateOf('ShareReceipt')).to.deep.equal(['requestingOfficer']);
      expect(privateOf('Revocation')).to.deep.equal([]);
      expect(privateOf('LabCommission')).to.deep.equal([]);
      expect(publicFieldNames('SeleniumTestReport')).to.include.members(['result', 'unit', 'lab', 'methodStandard', 'specificationStandard', 'conclusion']);
      expect(publicFieldNames('Batch')).to.include.members(['origin', 'productCategory', 'producer', 'gtin', 'lot', 'commissionedLabs']);
    });

    it('When publicFieldNames is called, Then the names come sorted (field-tree order)', () => {
      for (const type of RECORD_TYPES) {
        const names = publicFieldNames(type);
        expect(names).to.deep.equal([...names].sort());
      }
    });

    it('When the fixtures are inspected, Then they use the synthetic USCCs', () => {
      expect(RECORD_BUILDERS.Batch().producer.uscc).to.equal(USCC.producer);
    });
  });
});
