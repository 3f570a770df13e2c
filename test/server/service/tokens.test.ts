/*
 * server/service/tokens: API tokens carry a role. Producer, lab and department tokens act for one active participant
 * of that kind; registrar, regulator and auditor tokens for none; the registrar issues only participants' tokens; a
 * token of one role never passes for another's; producer tokens issued before roles existed stay producer tokens.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { AppError } from '../../../server/errors';
import { authenticateProducerToken, authenticateToken, hashToken, issueApiToken, listApiTokens, revokeApiToken } from '../../../server/service/tokens';
import { MIGRATIONS } from '../../../server/store/migrations';
import { openSqliteStore } from '../../../server/store/sqlite';
import type { Participant, ParticipantKind, Store } from '../../../server/store/types';
import { tempDir } from '../../support/system';

const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const participant = (n: number, kind: ParticipantKind, active = true): Participant => ({ id: id(n), kind, name: `${kind} ${n}`, code: `CODE${n}`, validFrom: null, validTo: null, data: {}, active });

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a refusal');
}

describe('server/service/tokens: role tokens', () => {
  let store: Store;
  beforeEach(async () => {
    store = openSqliteStore(':memory:');
    for (const p of [participant(1, 'producer'), participant(2, 'lab'), participant(3, 'department'), participant(4, 'producer', false)]) await store.upsertParticipant(p);
  });
  afterEach(async () => store.close());

  it('When the operator issues a token of each role, Then each authenticates as its role (and participant), and its prefix names the role', async () => {
    const cases = [
      { role: 'producer', participantId: id(1), prefix: 'tlp_' },
      { role: 'lab', participantId: id(2), prefix: 'tll_' },
      { role: 'department', participantId: id(3), prefix: 'tld_' },
      { role: 'registrar', prefix: 'tlr_' },
      { role: 'regulator', prefix: 'tlg_' },
      { role: 'auditor', prefix: 'tla_' },
    ] as const;
    for (const c of cases) {
      const issued = await issueApiToken(store, { role: c.role, participantId: 'participantId' in c ? c.participantId : undefined, label: c.role });
      expect(issued.token.startsWith(c.prefix)).to.equal(true);
      expect(issued.tokenHash).to.equal(hashToken(issued.token));
      const auth = await authenticateToken(store, issued.token);
      expect(auth.role).to.equal(c.role);
      if ('participantId' in c) expect(auth).to.include({ participantId: c.participantId });
      else expect(auth).to.not.have.property('participantId');
    }
    // Listed by issue time, then by hash: tokens issued within one millisecond come in either order.
    expect((await listApiTokens(store)).map((t) => t.role)).to.have.members(cases.map((c) => c.role));
  });

  it('Given a lab token (an attacker holding one valid token), When it is used where a producer token is needed, Then it is forbidden, not taken for a producer', async () => {
    const lab = await issueApiToken(store, { role: 'lab', participantId: id(2), label: '' });
    expect((await refusal(authenticateProducerToken(store, lab.token))).code).to.equal('forbidden');
    const producer = await issueApiToken(store, { participantId: id(1), label: '' });
    expect(await authenticateProducerToken(store, producer.token)).to.deep.equal({ producerId: id(1), tokenHash: producer.tokenHash });
  });

  it('When a token is asked for the wrong kind of participant, an unknown or revoked one, or a participant for a role without one, Then it is refused', async () => {
    expect((await refusal(issueApiToken(store, { role: 'lab', participantId: id(1), label: '' }))).code).to.equal('not-found');
    expect((await refusal(issueApiToken(store, { role: 'department', participantId: id(99), label: '' }))).code).to.equal('not-found');
    expect((await refusal(issueApiToken(store, { role: 'producer', participantId: id(4), label: '' }))).code).to.equal('participant-revoked');
    expect((await refusal(issueApiToken(store, { role: 'producer', label: '' }))).code).to.equal('invalid-input');
    expect((await refusal(issueApiToken(store, { role: 'auditor', participantId: id(3), label: '' }))).code).to.equal('invalid-input');
  });

  it('When the registrar issues or revokes tokens, Then participants\' tokens are its to give, the registrar, regulator and auditor tokens only the operator\'s', async () => {
    const producer = await issueApiToken(store, { participantId: id(1), label: '' }, 'registrar');
    expect(producer.role).to.equal('producer');
    for (const role of ['registrar', 'regulator', 'auditor'] as const) expect((await refusal(issueApiToken(store, { role, label: '' }, 'registrar'))).code).to.equal('forbidden');
    const auditor = await issueApiToken(store, { role: 'auditor', label: '' });
    expect((await refusal(revokeApiToken(store, auditor.tokenHash, 'registrar'))).code).to.equal('forbidden');
    expect((await revokeApiToken(store, producer.tokenHash, 'registrar')).revokedAt).to.be.a('string');
    expect((await refusal(authenticateToken(store, producer.token))).code).to.equal('unauthorized');
    expect((await authenticateToken(store, auditor.token)).role).to.equal('auditor');
  });

  it('Given a database from before roles with a producer token, When it opens, Then the token is a producer token for the same producer', async () => {
    const file = path.join(tempDir('traceledger-tokens-'), 'old.db');
    const old = new Database(file);
    for (const [v, sql] of MIGRATIONS.slice(0, 5).entries()) {
      old.exec(sql);
      old.pragma(`user_version = ${v + 1}`);
    }
    old.prepare("INSERT INTO participants (id, kind, name, code, valid_from, valid_to, data, active) VALUES (?, 'producer', 'p', 'C1', NULL, NULL, '{}', 1)").run(id(1));
    old.prepare("INSERT INTO api_tokens (token_hash, producer_id, label, created_at, revoked_at) VALUES (?, ?, 'ERP', 1, NULL)").run(hashToken('tlp_old'), id(1));
    old.close();
    const reopened = openSqliteStore(file);
    try {
      expect(await authenticateProducerToken(reopened, 'tlp_old')).to.deep.equal({ producerId: id(1), tokenHash: hashToken('tlp_old') });
      expect((await listApiTokens(reopened))[0]).to.include({ role: 'producer', participantId: id(1), producerId: id(1), label: 'ERP' });
    } finally {
      await reopened.close();
    }
  });
});
