import { expect } from 'chai';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import type { AppContext } from '../../../server/http/context';
import { createWebRouter } from '../../../server/web/router';

/** The web router needs nothing of the system to serve the auditor console: a logger is enough. */
const ctx = { sys: { logger: pino({ level: 'silent' }) }, publicBaseUrl: 'https://trace.example.cn', publicRpcUrl: undefined } as unknown as AppContext;

describe('server/web auditor console (/audit)', () => {
  const app = express().use(createWebRouter(ctx));

  it('When /audit is opened, Then the console is served in Chinese with its sections and a strict CSP', async () => {
    const res = await request(app).get('/audit').expect(200);
    expect(res.headers['content-type']).to.equal('text/html; charset=utf-8');
    expect(res.headers['content-language']).to.equal('zh-CN');
    expect(res.text).to.contain('<html lang="zh-CN">');
    expect(res.text).to.contain('政务数据共享审计台');
    for (const id of ['token-form', 'departments', 'alerts', 'department-card', 'verify', 'trail', 'report-csv', 'dataset-form', 'audit-i18n']) expect(res.text).to.contain(`id="${id}"`);
    expect(res.text).to.contain('?lang=en');
    expect(res.headers['content-security-policy']).to.contain("script-src 'self'").and.to.contain("connect-src 'self'");
  });

  it('When /audit?lang=en is opened, Then the console is in English', async () => {
    const res = await request(app).get('/audit?lang=en').expect(200);
    expect(res.text).to.contain('<html lang="en">');
    expect(res.text).to.contain('Data-sharing audit console');
    expect(res.text).to.contain('"lang":"en"');
  });

  it('When its script is fetched, Then it calls the trail, verify, alerts, audit-report and dataset-check routes, and is cached immutably', async () => {
    const page = await request(app).get('/audit').expect(200);
    const js = /<script src="([^"]+)" defer>/.exec(page.text)![1]!;
    expect(js).to.match(/^\/web\/audit\.[A-Za-z0-9]{10}\.js$/);
    const script = await request(app).get(js).expect(200);
    expect(script.headers['content-type']).to.match(/^text\/javascript/);
    expect(script.headers['cache-control']).to.contain('immutable');
    for (const route of ["'/departments'", "'/alerts'", "'/trail/verify'", "'/audit-report?'", "'/check'", "'application/octet-stream'"]) expect(script.text).to.contain(route);
  });
});
