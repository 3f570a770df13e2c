/*
 * Text no store can keep, through the API, on SQLite and on PostgreSQL: a producer's batch or a lab's report holding
 * U+0000 (which PostgreSQL's JSON refuses) or a lone UTF-16 surrogate is refused with 400 invalid-record naming the
 * field; before, a batch answered 500 (a lone surrogate on both stores, U+0000 on PostgreSQL), and on PostgreSQL the
 * group commit it shared failed with it, refusing the other submitters' records too.
 */
import { expect } from 'chai';
import request from 'supertest';
import { freshDatabase } from '../../support/postgres';
import { signedReport, storeReportBatch, FIXTURE_LAB_CMA } from '../../support/records';
import { FIXTURE_PRODUCT_KEYS, registerLab } from '../../support/system';
import { batchInputNow, reportInput, USCC } from '../records/fixtures';
import { bearer, bootTestApp, producerWithToken, type TestApp } from './helpers';

const NUL = 'contains U+0000 (a NUL character), which traceledger does not store; remove it';
const LONE = 'contains a lone UTF-16 surrogate (half of a character), which traceledger does not store; remove it';

for (const kind of ['SQLite', 'PostgreSQL'] as const) {
  describe(`server/http text no store can keep, on ${kind} (real anvil node)`, function () {
    this.timeout(120_000);
    let t: TestApp;
    let producer: { id: string; token: string };

    before(async () => {
      t = await bootTestApp(kind === 'PostgreSQL' ? { env: { DATABASE_URL: await freshDatabase() } } : {});
      producer = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
    });
    after(async () => t?.sys.stop());

    it('When a producer sends batches at once and one holds U+0000 and one a lone surrogate, Then those two are refused (400, the field named) and the others are accepted', async () => {
      const stamp = Date.now();
      const batches = Array.from({ length: 6 }, (_, i) => batchInputNow({ id: `TEXT-${stamp}-${i}` }));
      batches[2] = { ...batches[2]!, origin: { ...batches[2]!.origin, name: '陕西省安康市\u0000紫阳县' } };
      batches[4] = { ...batches[4]!, certificate: { ...batches[4]!.certificate!, productName: '紫阳富硒\ud800绿茶' } };
      const answers = await Promise.all(batches.map((b) => request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(b)));
      expect(answers.map((r) => r.status), JSON.stringify(answers.map((r) => r.body))).to.deep.equal([201, 201, 400, 201, 400, 201]);
      expect(answers[2]!.body.error).to.include({ code: 'invalid-record' });
      expect(answers[2]!.body.error.details.issues).to.deep.equal([{ path: 'origin.name', message: NUL }]);
      expect(answers[4]!.body.error.details.issues).to.deep.equal([{ path: 'certificate.productName', message: LONE }]);
      for (const i of [0, 1, 3, 5]) expect((await request(t.app).get(answers[i]!.headers.location!)).status).to.equal(200);
    });

    it('When a lab sends a bulk of reports and one holds U+0000, Then that one is refused (400, the field named) and the others are accepted', async () => {
      const lab = await registerLab(t.sys);
      await storeReportBatch(t.sys, { labs: [FIXTURE_LAB_CMA], producerId: producer.id });
      const subs = await Promise.all([
        signedReport(t.sys, lab.key),
        signedReport(t.sys, lab.key, { conclusion: '硒含量符合\u0000要求' } as never),
        signedReport(t.sys, lab.key),
      ]);
      const res = await request(t.app)
        .post('/api/v1/reports/bulk')
        .send({ reports: subs.map((s) => ({ record: s.record, salts: s.salts, signature: s.signature })) });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.results.map((r: { status: number }) => r.status)).to.deep.equal([201, 400, 201]);
      expect(res.body.results[1].error.details.issues).to.deep.equal([{ path: 'conclusion', message: NUL }]);
      expect(reportInput().conclusion, 'the fixture has the field').to.be.a('string');
    });
  });
}
