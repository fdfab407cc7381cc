// Sessions over HTTPS: login and logout, the 90-minute idle expiry and its sliding window, and
// the lockout of repeated failed sign-ins.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const users = (session) => server.request('GET', '/v1/settings/users', { session });

describe('login and logout', () => {
  test('login answers the session, the workspace and its request limit', async () => {
    const res = await server.request('POST', '/v1/login',
      { body: { email: server.email.toUpperCase(), password: server.password } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.arenaSessionId, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(res.json.workspaceId, server.workspaceId);
    assert.equal(res.json.workspaceName, 'Acme Test');
    assert.ok(res.json.workspaceRequestLimit > 0);
    assert.match(res.headers['x-arena-next-request-limit-reset'],
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.ok(res.headers['x-request-id']);
  });

  test('login with the right workspaceId works, with another one fails', async () => {
    const ok = await server.request('POST', '/v1/login', { body: { email: server.email,
      password: server.password, workspaceId: server.workspaceId } });
    assert.equal(ok.status, 200);
    const other = await server.request('POST', '/v1/login', { body: { email: server.email,
      password: server.password, workspaceId: 'ABCDEFGHIJKLMNOPQRST' } });
    assertErrorBody(assert, other, 400, 4001);
  });

  test('two logins give two sessions; logging out one leaves the other', async () => {
    const a = await server.login();
    const b = await server.login();
    assert.notEqual(a, b);
    assert.equal((await server.request('PUT', '/v1/logout', { session: a })).status, 200);
    assertErrorBody(assert, await users(a), 401);
    assert.equal((await users(b)).status, 200);
    assertErrorBody(assert, await server.request('PUT', '/v1/logout', { session: a }), 401);
  });
});

describe('idle expiry', () => {
  test('a session expires 90 minutes after its last use', async () => {
    const session = await server.login();
    assert.equal((await users(session)).status, 200);
    await server.advanceClock(89 * 60);
    assert.equal((await users(session)).status, 200, 'expired before 90 minutes');
    await server.advanceClock(90 * 60 + 1);
    const res = await users(session);
    assertErrorBody(assert, res, 401);
  });

  test('use within the window slides it', async () => {
    const session = await server.login();
    for (let i = 0; i < 4; ++i) {
      await server.advanceClock(60 * 60);
      assert.equal((await users(session)).status, 200, `expired after ${i + 1} hours of use`);
    }
    await server.advanceClock(91 * 60);
    assertErrorBody(assert, await users(session), 401);
  });

  test('a session unused since login expires after 90 minutes', async () => {
    const session = await server.login();
    await server.advanceClock(90 * 60 + 5);
    assertErrorBody(assert, await users(session), 401);
  });
});

describe('lockout', () => {
  // Fails sign-ins until the account has 10 failures (the lock threshold), passing each
  // slow-down the server asks for; returns the slow-down answers seen on the way.
  async function failUntilLocked(email) {
    const slowed = [];
    let failures = 0;
    for (let i = 0; failures < 10 && i < 40; ++i) {
      const res = await server.request('POST', '/v1/login',
        { body: { email, password: 'definitely wrong' } });
      if (res.status === 400) {
        assertErrorBody(assert, res, 400, 4001);
        ++failures;
      } else {
        assertErrorBody(assert, res, 429, 4083);
        const wait = Number(res.headers['retry-after']);
        assert.ok(wait >= 1 && wait <= 64, `Retry-After ${res.headers['retry-after']}`);
        slowed.push(res);
        await server.advanceClock(wait);
      }
    }
    assert.equal(failures, 10);
    return slowed;
  }

  async function assertLocked(email, password) {
    const res = await server.request('POST', '/v1/login', { body: { email, password } });
    assertErrorBody(assert, res, 429, 4083);
    const wait = Number(res.headers['retry-after']);
    assert.ok(wait > 60 && wait <= 15 * 60, `Retry-After ${res.headers['retry-after']}`);
    return res;
  }

  test('an existing account is slowed down, then locked, even for the right password',
    async () => {
      await server.advanceClock(16 * 60);
      const slowed = await failUntilLocked(server.email);
      assert.ok(slowed.length >= 1, 'no slow-down before the lock');
      await assertLocked(server.email, 'definitely wrong');
      await assertLocked(server.email, server.password);
      await server.advanceClock(15 * 60 + 1);
      const res = await server.request('POST', '/v1/login',
        { body: { email: server.email, password: server.password } });
      assert.equal(res.status, 200, res.text);
    });

  test('a non-existing account is slowed down and locked the same way', async () => {
    await server.advanceClock(16 * 60);
    const email = 'nobody-here@acme.test';
    const slowed = await failUntilLocked(email);
    assert.ok(slowed.length >= 1, 'no slow-down before the lock');
    const locked = await assertLocked(email, 'anything at all');
    assert.match(locked.json.errors[0].message, /too many failed sign-ins/);
  });

  test('a successful login resets the account count', async () => {
    await server.advanceClock(16 * 60);
    for (let i = 0; i < 4; ++i) {
      assertErrorBody(assert, await server.request('POST', '/v1/login',
        { body: { email: server.email, password: 'wrong again' } }), 400, 4001);
    }
    await server.login();
    for (let i = 0; i < 4; ++i) {
      assertErrorBody(assert, await server.request('POST', '/v1/login',
        { body: { email: server.email, password: 'wrong again' } }), 400, 4001);
    }
    await server.login();
  });
});
