import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('health, readiness and metrics answer without a session', async () => {
  const health = await server.request('GET', '/healthz');
  assert.equal(health.status, 200);
  assert.ok(health.headers['x-request-id']);
  assert.equal((await server.request('GET', '/readyz')).status, 200);
  const metrics = await server.request('GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.text, /arenite_http_requests_total\{/);
  assert.match(metrics.text, /arenite_http_open_connections/);
});

test('login opens a session that reads users and logout ends it', async () => {
  const res = await server.request('POST', '/v1/login',
    { body: { email: server.email, password: server.password } });
  assert.equal(res.status, 200);
  assert.equal(res.json.workspaceId, server.workspaceId);
  assert.equal(res.json.workspaceName, 'Acme Test');
  assert.ok(Number.isInteger(res.json.workspaceRequestLimit));
  assert.ok(res.headers['x-arena-requests-remaining']);
  const session = res.json.arenaSessionId;
  const users = await server.request('GET', '/v1/settings/users', { session });
  assert.equal(users.status, 200);
  assert.equal(users.json.count, 1);
  assert.equal(users.json.results[0].email, server.email);
  assert.equal((await server.request('PUT', '/v1/logout', { session })).status, 200);
  assertErrorBody(assert, await server.request('GET', '/v1/settings/users', { session }), 401);
});

test('a wrong password and an unknown email fail alike', async () => {
  const wrong = await server.request('POST', '/v1/login',
    { body: { email: server.email, password: 'not the password' } });
  const unknown = await server.request('POST', '/v1/login',
    { body: { email: 'nobody@acme.test', password: 'not the password' } });
  assertErrorBody(assert, wrong, 400, 4001);
  assertErrorBody(assert, unknown, 400, 4001);
  assert.equal(wrong.json.errors[0].message, unknown.json.errors[0].message);
});
