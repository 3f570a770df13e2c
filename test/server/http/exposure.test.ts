/** server/http/exposure (real anvil, real SQLite): /metrics behind a token, no-store on authenticated answers, HSTS only over HTTPS. */
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../../server/http/app';
import { HSTS } from '../../../server/http/exposure';
import { FIXTURE_PRODUCT_KEYS } from '../../support/system';
import { USCC } from '../records/fixtures';
import { ADMIN_TOKEN, admin, bearer, bootTestApp, expectError, producerWithToken, type TestApp } from './helpers';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

describe('server/http least exposure (real anvil node)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let producer: { id: string; token: string };

  before(async () => {
    t = await bootTestApp({ env: { METRICS_TOKEN } });
    producer = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
  });
  after(async () => {
    await t?.sys.stop();
  });

  it('When /metrics is asked without a token, with a wrong one or a producer token, Then 401; with METRICS_TOKEN or the admin token, the metrics', async () => {
    expectError(await request(t.app).get('/metrics'), 401, 'unauthorized');
    expectError(await request(t.app).get('/metrics').set(bearer('not-the-metrics-token-000000')), 401, 'unauthorized');
    expectError(await request(t.app).get('/metrics').set(bearer(producer.token)), 401, 'unauthorized');
    for (const token of [METRICS_TOKEN, ADMIN_TOKEN]) {
      const res = await request(t.app).get('/metrics').set(bearer(token));
      expect(res.status).to.equal(200);
      expect(res.text).to.contain('traceledger_http_requests_total');
      expect(res.headers['cache-control']).to.equal('no-store');
    }
  });

  it('When a request carries a token, Then the answer says Cache-Control: no-store, also where the route sets its own caching; without one, the route’s own', async () => {
    const list = await request(t.app).get('/api/v1/batches').set(bearer(producer.token));
    expect(list.status).to.equal(200);
    expect(list.headers['cache-control']).to.equal('no-store');
    const refused = await request(t.app).get('/api/v1/alerts').set(bearer(producer.token));
    expect(refused.status).to.equal(403);
    expect(refused.headers['cache-control']).to.equal('no-store');
    const created = await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send({});
    expect(created.headers['cache-control']).to.equal('no-store');

    const chain = await request(t.app).get('/api/v1/chain').set(admin());
    expect(chain.headers['cache-control']).to.equal('no-store');
    const anonymous = await request(t.app).get('/api/v1/chain');
    expect(anonymous.headers['cache-control'] ?? '').to.not.contain('no-store');
  });

  it('When a request comes over plain HTTP, Then no Strict-Transport-Security; over HTTPS (behind a trusted proxy), it is sent', async () => {
    const plain = await request(t.app).get('/healthz');
    expect(plain.headers).to.not.have.property('strict-transport-security');
    const forged = await request(t.app).get('/healthz').set('X-Forwarded-Proto', 'https');
    expect(forged.headers, 'an untrusted X-Forwarded-Proto is ignored').to.not.have.property('strict-transport-security');

    const behindProxy = createApp(t.ctx);
    behindProxy.set('trust proxy', 'loopback');
    const secure = await request(behindProxy).get('/healthz').set('X-Forwarded-Proto', 'https');
    expect(secure.headers['strict-transport-security']).to.equal(HSTS);
  });
});
