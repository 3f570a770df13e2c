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
import { operationsOf, type ApiDocument } from '../../support/fuzz';
import { admin, bearer, bootTestApp, producerWithToken, uscc, type TestApp } from './helpers';

const NUL = 'contains U+0000 (a NUL character), which traceledger does not store; remove it';
const LONE = 'contains a lone UTF-16 surrogate (half of a character), which traceledger does not store; remove it';

for (const kind of ['SQLite', 'PostgreSQL'] as const) {
  describe(`server/http text no store can keep, on ${kind} (real anvil node)`, function () {
    this.timeout(120_000);
    let t: TestApp;
    let producer: { id: string; token: string; tokenHash: string };

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

    it('When any route of /openapi.json gets U+0000 (%00) in a path parameter or a query value, Then none answers 5xx: each answers 4xx with the error envelope, or ignores a value it does not read', async () => {
      const doc = (await request(t.app).get('/openapi.json')).body as ApiDocument;
      const asked: string[] = [];
      for (const op of operationsOf(doc)) {
        const targets: string[] = [];
        for (const name of op.pathParams) {
          targets.push(op.path.replace(/\{(\w+)\}/g, (_, p: string) => (p === name ? 'a%00b' : p === 'hash' ? producer.tokenHash : producer.id)));
        }
        const plain = op.path.replace(/\{(\w+)\}/g, (_, p: string) => (p === 'hash' ? producer.tokenHash : producer.id));
        for (const q of op.query) targets.push(`${plain}?${q.name}=a%00b`);
        for (const target of targets) {
          const method = op.method.toLowerCase() as 'get';
          const res = await request(t.app)[method](target).set(admin()).send(method === 'get' ? undefined : {});
          asked.push(`${op.method.toUpperCase()} ${target} → ${res.status}`);
          expect(res.status, `${op.method.toUpperCase()} ${target}: ${JSON.stringify(res.body)}`).to.be.below(500);
          if (res.status >= 400 && res.headers['content-type']?.includes('json')) expect(res.body.error?.code, `${op.method.toUpperCase()} ${target}`).to.be.a('string');
        }
      }
      expect(asked.length, 'routes with parameters were asked').to.be.above(20);
      expect(asked.filter((a) => / → 400$/.test(a)).length, 'most refuse it outright').to.be.above(asked.length / 2);
    });

    it('When an admin sends U+0000 in a participant name, a token label or the participant a token names, Then 400 invalid-input names the field, and nothing is registered', async () => {
      const nul = async (path: string, body: object, field: string) => {
        const res = await request(t.app).post(path).set(admin()).send(body);
        expect(res.status, JSON.stringify(res.body)).to.equal(400);
        expect(res.body.error).to.deep.include({ code: 'invalid-input', message: `${field}: must not contain U+0000 (a NUL character)` });
      };
      const code = uscc('91610926MA6YNUL00');
      await nul('/api/v1/participants', { kind: 'producer', name: '平利\u0000茶厂', uscc: code }, 'name');
      expect(JSON.stringify((await request(t.app).get('/api/v1/participants').set(admin())).body), 'not registered').to.not.contain(code);
      await nul('/api/v1/tokens', { producerId: producer.id, label: '出入\u0000库' }, 'label');
      await nul('/api/v1/tokens', { participantId: `${producer.id}\u0000`, role: 'producer', label: 'ok' }, 'participantId');
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
