/** The HTTP app over a real booted system (anvil + contracts + SQLite), with an admin token and helpers to set up callers. */
import { expect } from 'chai';
import type express from 'express';
import request from 'supertest';
import { usccCheckCharacter } from '../../../server/records';
import { createApp } from '../../../server/http/app';
import { createContext, type AppContext } from '../../../server/http/context';
import type { System } from '../../../server/system';
import { bootTestSystem, type TestSystemOptions } from '../../support/system';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';

export interface TestApp {
  sys: System;
  ctx: AppContext;
  app: express.Express;
}

/** Boots a system and the app over it. `env` adds configuration keys. */
export async function bootTestApp(opts: TestSystemOptions = {}): Promise<TestApp> {
  const sys = await bootTestSystem({ ...opts, env: { ADMIN_TOKEN, PUBLIC_BASE_URL: 'https://trace.example.cn', ...opts.env } });
  const ctx = createContext(sys);
  return { sys, ctx, app: createApp(ctx) };
}

export const admin = (token = ADMIN_TOKEN) => ({ Authorization: `Bearer ${token}` });
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Registers a producer through the API, assigns it `productKeys` (company prefixes or GTIN-14s) and issues it a token; returns its id and token. */
export async function producerWithToken(app: express.Express, name: string, uscc: string, productKeys: readonly string[] = []): Promise<{ id: string; token: string; tokenHash: string }> {
  const reg = await request(app).post('/api/v1/participants').set(admin()).send({ kind: 'producer', name, uscc });
  expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
  for (const key of productKeys) {
    const assigned = await request(app).post(`/api/v1/participants/${reg.body.id as string}/product-keys`).set(admin()).send(key.length === 14 ? { gtin: key } : { key });
    expect(assigned.status, JSON.stringify(assigned.body)).to.equal(201);
  }
  const tok = await request(app).post('/api/v1/tokens').set(admin()).send({ producerId: reg.body.id, label: 'test' });
  expect(tok.status, JSON.stringify(tok.body)).to.equal(201);
  return { id: reg.body.id as string, token: tok.body.token as string, tokenHash: tok.body.tokenHash as string };
}

/** Asserts the error envelope and its code. */
export function expectError(res: request.Response, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.body).to.have.nested.property('error.code', code);
  expect(res.body.error.message).to.be.a('string').and.not.equal('');
  expect(JSON.stringify(res.body)).not.to.match(/\n\s+at /); // never a stack trace
}

/** A valid unified social credit code from its first 17 characters (GB 32100-2015 check character added). */
export const uscc = (first17: string): string => first17 + usccCheckCharacter(first17);
