/** POST /api/v1/revocations/signed: a lab revokes its own report with a signed revocation the operator relays (real anvil node). */
import { expect } from 'chai';
import type { Wallet } from 'ethers';
import request from 'supertest';
import { Registries } from '../../../server/chain/registry';
import { revocationDomain, signRevocation } from '../../../server/chain/revocation-signature';
import { AppError } from '../../../server/errors';
import { namespacedId, revocationReasonNumber, type RevocationReason } from '../../../server/records';
import { revokeRecordSigned } from '../../../server/service/revocations';
import { batchInputNow, randomWallet, reportInput, USCC } from '../records/fixtures';
import { signedReport } from '../../support/records';
import { FIXTURE_PRODUCT_KEYS, REGISTERED_SINCE } from '../../support/system';
import { admin, bearer, bootTestApp, expectError, producerWithToken, type TestApp } from './helpers';

const now = () => Math.floor(Date.now() / 1000);
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const YEAR = 365 * 24 * 3600;

describe('server/http signed revocations: a lab revokes its own report (real anvil node)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let lab: Wallet;
  let labId: string;
  /** Another registered, accredited lab: it did not sign the reports. */
  let otherLab: Wallet;
  let otherLabId: string;
  const batchId = namespacedId(USCC.producer, `BATCH-SR-${Date.now()}`);
  // The first lab gets the CMA number the report fixture names: a report's lab must be its signer's.
  let cma = 202727050123;

  async function labWithKey(key: Wallet, name: string): Promise<string> {
    const res = await request(t.app)
      .post('/api/v1/participants')
      .set(admin())
      .send({ kind: 'lab', name, cmaNumber: String(cma++), accreditedFrom: iso(now() - REGISTERED_SINCE), accreditedUntil: iso(now() + 3 * YEAR), keys: [{ address: key.address, validFrom: iso(now() - REGISTERED_SINCE), validTo: iso(now() + YEAR) }] });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.id as string;
  }

  /** A new report by `lab`, submitted; its id and leaf hash. */
  async function submittedReport(): Promise<{ id: string; leafHash: string }> {
    const sub = await signedReport(t.sys, lab, { batchId });
    const res = await request(t.app).post('/api/v1/reports').send({ record: sub.record, salts: sub.salts, signature: sub.signature });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const rec = await request(t.app).get(`/api/v1/records/${sub.record.id}`);
    return { id: sub.record.id, leafHash: rec.body.leafHash as string };
  }

  /** The body the lab console sends: `key` signs the revocation of `leafHash` for `reason` until `deadline`. */
  async function signedBody(key: Wallet, recordId: string, leafHash: string, reason: RevocationReason, deadline = now() + 600, registry = t.sys.deployment.revocationRegistry) {
    const domain = revocationDomain(t.sys.deployment.chainId, registry);
    const signature = await signRevocation(key, domain, { leafHash, reasonCode: revocationReasonNumber(reason), deadline });
    return { recordId, reason, deadline, signature };
  }

  /** Whether the chain holds a revocation of `leafHash` by the party `revokerId`. */
  const revokedOnChain = async (leafHash: string, revokerId: string): Promise<boolean> => (await t.sys.registries.revocations.revocationBy(leafHash, revokerId))[0];

  before(async () => {
    t = await bootTestApp();
    lab = randomWallet();
    labId = await labWithKey(lab, '安康市富硒产品质量检验检测中心');
    otherLab = randomWallet();
    otherLabId = await labWithKey(otherLab, '另一家检测机构');
    const producer = await producerWithToken(t.app, '紫阳县富硒茶业有限公司', USCC.producer, FIXTURE_PRODUCT_KEYS);
    const res = await request(t.app).post('/api/v1/batches').set(bearer(producer.token)).send(batchInputNow({ id: batchId, commissionedLabs: [reportInput().lab.cmaNumber] }));
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
  });
  after(async () => t?.sys.stop());

  it('When the lab that signed a report sends its signed revocation without any token, Then it answers 201, the chain records it for that lab, and every view shows the report revoked', async () => {
    const report = await submittedReport();

    const res = await request(t.app).post('/api/v1/revocations/signed').send(await signedBody(lab, report.id, report.leafHash, 'sample-mismatch'));

    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.headers.location).to.equal(`/api/v1/revocations/${report.id}`);
    expect(res.body).to.include({ recordId: report.id, leafHash: report.leafHash, by: 'issuer', reason: 'sample-mismatch', reasonCode: 2, participantId: labId, revokedBy: lab.address });
    expect(res.body.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(await revokedOnChain(report.leafHash, labId)).to.equal(true);
    const rev = t.sys.registries.revocations;
    expect((await rev.queryFilter(rev.filters.RecordRevoked(report.leafHash), t.sys.deployment.deployedBlock)).map((e) => e.args.revokerId)).to.deep.equal([labId]);
    expect((await request(t.app).get(`/api/v1/revocations/${report.id}`)).body).to.deep.equal(res.body);
    expect((await request(t.app).get(`/api/v1/records/${report.id}`)).body.revocation).to.include({ reason: 'sample-mismatch' });
  });

  it('When the same signed revocation is sent again (a replay), Then it answers 409 conflict and the first revocation stays', async () => {
    const report = await submittedReport();
    const body = await signedBody(lab, report.id, report.leafHash, 'issued-in-error');
    expect((await request(t.app).post('/api/v1/revocations/signed').send(body)).status).to.equal(201);

    expectError(await request(t.app).post('/api/v1/revocations/signed').send(body), 409, 'conflict');
    expect((await request(t.app).get(`/api/v1/revocations/${report.id}`)).body).to.include({ reason: 'issued-in-error', by: 'issuer' });
  });

  it("When another lab's key signs a revocation of this lab's report (an attacker), Then it answers 403 not-report-issuer and nothing reaches the chain", async () => {
    const report = await submittedReport();

    expectError(await request(t.app).post('/api/v1/revocations/signed').send(await signedBody(otherLab, report.id, report.leafHash, 'fraud-suspected')), 403, 'not-report-issuer');

    // No revocation of this leaf by anybody (the anchoring worker's own transactions go on meanwhile).
    const rev = t.sys.registries.revocations;
    expect(await rev.queryFilter(rev.filters.RecordRevoked(report.leafHash), t.sys.deployment.deployedBlock)).to.deep.equal([]);
    expect(await revokedOnChain(report.leafHash, otherLabId)).to.equal(false);
    expect(await revokedOnChain(report.leafHash, labId)).to.equal(false);
    expectError(await request(t.app).get(`/api/v1/revocations/${report.id}`), 404, 'not-found');
  });

  it('When an unregistered key signs, or the relayer changes the reason after signing, Then it answers 403 unknown-signer and nothing is revoked', async () => {
    const report = await submittedReport();

    expectError(await request(t.app).post('/api/v1/revocations/signed').send(await signedBody(randomWallet(), report.id, report.leafHash, 'other')), 403, 'unknown-signer');
    const tampered = { ...(await signedBody(lab, report.id, report.leafHash, 'sample-mismatch')), reason: 'fraud-suspected' };
    expectError(await request(t.app).post('/api/v1/revocations/signed').send(tampered), 403, 'unknown-signer');
    expect(await revokedOnChain(report.leafHash, labId)).to.equal(false);
  });

  it('When the deadline has passed, Then it answers 400 bad-signature', async () => {
    const report = await submittedReport();
    expectError(await request(t.app).post('/api/v1/revocations/signed').send(await signedBody(lab, report.id, report.leafHash, 'other', now() - 1)), 400, 'bad-signature');
  });

  it('When the record is a batch, unknown, or the body is malformed, Then it answers 400 invalid-input or 404 not-found', async () => {
    const batch = await request(t.app).get(`/api/v1/records/${batchId}`);
    expect(batch.status, JSON.stringify(batch.body)).to.equal(200);
    expectError(await request(t.app).post('/api/v1/revocations/signed').send(await signedBody(lab, batchId, batch.body.leafHash as string, 'other')), 400, 'invalid-input');
    expectError(await request(t.app).post('/api/v1/revocations/signed').send(await signedBody(lab, 'NO-SUCH-RECORD', `0x${'00'.repeat(32)}`, 'other')), 404, 'not-found');
    const report = await submittedReport();
    const body = await signedBody(lab, report.id, report.leafHash, 'other');
    expectError(await request(t.app).post('/api/v1/revocations/signed').send({ ...body, signature: body.signature.slice(0, 130) }), 400, 'invalid-input');
    expectError(await request(t.app).post('/api/v1/revocations/signed').send({ ...body, reason: 'because' }), 400, 'invalid-input');
    expectError(await request(t.app).post('/api/v1/revocations/signed').send({ ...body, deadline: -1 }), 400, 'invalid-input');
  });

  it('When the deployed RevocationRegistry predates signed revocations, Then the service refuses with not-supported (501), never a 500', async () => {
    const report = await submittedReport();
    // A deployment whose "RevocationRegistry" is a contract without revokeWithSignature: the TraceLedger.
    const old = { ...t.sys.deployment, revocationRegistry: t.sys.deployment.traceLedger };
    const sys = { store: t.sys.store, mirror: t.sys.mirror, deployment: old, registries: new Registries(old, t.sys.operator) };
    const body = await signedBody(lab, report.id, report.leafHash, 'other', now() + 600, old.revocationRegistry);

    const err = await revokeRecordSigned(sys, body).then(
      () => expect.fail('revoked on a contract without revokeWithSignature'),
      (e: unknown) => e,
    );

    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal('not-supported');
    expect((err as AppError).message).to.match(/redeploy/);
  });
});
