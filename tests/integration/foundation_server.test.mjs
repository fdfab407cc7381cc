// The server around the API: the request quota and its headers, request ids, and the SIGTERM
// drain that finishes in-flight requests and refuses new connections.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';
import { connect, parseResponse } from '../lib/raw.mjs';

describe('request quota (--request-limit 5)', () => {
  let server;
  before(async () => { server = await startServer({ args: ['--request-limit', '5'] }); });
  after(async () => { await server?.stop(); });

  test('X-Arena-Requests-Remaining counts down and the 6th request gets 429', async () => {
    const login = await server.request('POST', '/v1/login',
      { body: { email: server.email, password: server.password } });
    assert.equal(login.status, 200);
    assert.equal(login.json.workspaceRequestLimit, 5);
    assert.equal(login.headers['x-arena-requests-remaining'], '4');
    const session = login.json.arenaSessionId;
    const reset = login.headers['x-arena-next-request-limit-reset'];
    for (const left of ['3', '2', '1', '0']) {
      const res = await server.request('GET', '/v1/settings/users', { session });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-arena-requests-remaining'], left);
      assert.equal(res.headers['x-arena-next-request-limit-reset'], reset);
    }
    const sixth = await server.request('GET', '/v1/settings/users', { session });
    assertErrorBody(assert, sixth, 429, 4084);
    const wait = Number(sixth.headers['retry-after']);
    assert.ok(wait > 0 && wait <= 86400, `Retry-After ${sixth.headers['retry-after']}`);
    assert.equal(sixth.headers['x-arena-requests-remaining'], '0');
    // A new login is also over the limit.
    const again = await server.request('POST', '/v1/login',
      { body: { email: server.email, password: server.password } });
    assertErrorBody(assert, again, 429, 4084);
    assert.ok(Number(again.headers['retry-after']) > 0);
    // Health checks are not API requests and never count.
    assert.equal((await server.request('GET', '/healthz')).status, 200);
  });

  test('the quota comes back when the 24-hour window ends', async () => {
    const session = (await server.request('POST', '/v1/login',
      { body: { email: server.email, password: server.password } })).json?.arenaSessionId;
    await server.advanceClock(24 * 3600 + 1);
    const login = await server.request('POST', '/v1/login',
      { body: { email: server.email, password: server.password } });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.headers['x-arena-requests-remaining'], '4');
    const res = await server.request('GET', '/v1/settings/users',
      { session: login.json.arenaSessionId });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-arena-requests-remaining'], '3');
    assert.equal(session, undefined, 'a login over the limit opened a session');
  });
});

describe('request ids', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  test('every answer carries a distinct X-Request-Id', async () => {
    const session = await server.login();
    const answers = await Promise.all([
      server.request('GET', '/healthz'),
      server.request('GET', '/readyz'),
      server.request('GET', '/metrics'),
      server.request('GET', '/openapi.yaml'),
      server.request('GET', '/nope'),
      server.request('POST', '/healthz'),
      server.request('GET', '/v1/settings/users'),
      server.request('GET', '/v1/settings/users', { session }),
      server.request('POST', '/v1/login', { body: { email: 'x@y.z', password: 'wrongwrong' } }),
      server.request('POST', '/v1/login', { raw: 'nope' }),
    ]);
    const ids = answers.map((r) => r.headers['x-request-id']);
    for (const id of ids) assert.match(id ?? '', /^[0-9a-f]{16}$/);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('JSON nested 200000 deep, within the default body limit, gets 400', async () => {
    const raw = '{"a":' + '['.repeat(200000) + ']'.repeat(200000) + '}';
    const res = await server.request('POST', '/v1/login',
      { raw, headers: { 'content-type': 'application/json' } });
    assertErrorBody(assert, res, 400);
    assert.equal((await server.request('GET', '/healthz')).status, 200);
  });

  test('the metrics count requests by route and status', async () => {
    await server.request('GET', '/healthz');
    const metrics = await server.request('GET', '/metrics');
    assert.match(metrics.text,
      /arenite_http_requests_total\{[^}]*route="\/healthz"[^}]*status="200"[^}]*\} \d+/);
  });
});

describe('SIGTERM', () => {
  test('an in-flight request completes, new connections are refused, the exit status is 0',
    async () => {
      const server = await startServer();
      // A login takes a while (Argon2id); send it on its own connection, then SIGTERM.
      const socket = await connect(server);
      let raw = '';
      const closed = new Promise((resolve) => socket.on('close', resolve));
      socket.on('data', (d) => { raw += d; });
      socket.on('error', () => {});
      const body = JSON.stringify({ email: server.email, password: server.password });
      socket.write(`POST /v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json` +
        `\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      await new Promise((resolve) => setTimeout(resolve, 15));
      const exited = new Promise((resolve) => server.proc.on('exit', (code) => resolve(code)));
      server.proc.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 10));
      // A new connection now is not served.
      let served = false;
      try {
        const late = await connect(server);
        late.on('error', () => {});
        late.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        served = await new Promise((resolve) => {
          late.on('data', () => resolve(true));
          late.on('close', () => resolve(false));
        });
      } catch { /* refused: as it should be */ }
      assert.equal(served, false, 'a connection opened after SIGTERM was served');
      await closed;
      const response = parseResponse(raw);
      assert.equal(response?.status, 200, raw);
      assert.match(response.json.arenaSessionId, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(response.headers.connection, 'close');
      assert.equal(await exited, 0);
    });

  test('an idle keep-alive connection does not hold up the exit', async () => {
    const server = await startServer();
    assert.equal((await server.request('GET', '/healthz')).status, 200);
    const idle = await connect(server);
    idle.on('error', () => {});
    assert.equal(await server.stop(), 0);
    idle.destroy();
  });
});
