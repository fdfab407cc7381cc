// Users and roles over HTTPS: administrators manage users; editors and viewers are refused;
// deactivation and role changes end sessions at once; the last administrator stays; two
// workspaces in one data dir never see each other's users.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, initDataDir, assertErrorBody } from '../lib/arenite.mjs';

const PASSWORD = 'another long password';

describe('roles', () => {
  let server;
  let admin;
  before(async () => {
    server = await startServer();
    admin = await server.login();
  });
  after(async () => { await server?.stop(); });

  const create = (body) => server.request('POST', '/v1/settings/users', { session: admin, body });

  test('an administrator creates EDITOR and VIEWER users who can sign in', async () => {
    for (const role of ['EDITOR', 'VIEWER']) {
      const res = await create({ email: `${role.toLowerCase()}@acme.test`, fullName: role,
        role, password: PASSWORD });
      assert.equal(res.status, 201, res.text);
      assert.match(res.json.guid, /^[0-9A-Z]{20}$/);
      assert.equal(res.json.role, role);
      assert.equal(res.json.active, true);
      assert.equal(res.json.password, undefined);
      assert.equal(res.json.passwordHash, undefined);
      const got = await server.request('GET', `/v1/settings/users/${res.json.guid}`,
        { session: admin });
      assert.deepEqual(got.json, res.json);
    }
    const list = await server.request('GET', '/v1/settings/users', { session: admin });
    assert.equal(list.json.count, 3);
    assert.deepEqual(list.json.results.map((u) => u.role).sort(), ['ADMIN', 'EDITOR', 'VIEWER']);
  });

  test('a user without a role is a VIEWER', async () => {
    const res = await create({ email: 'plain@acme.test', password: PASSWORD });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.role, 'VIEWER');
    assert.equal(res.json.fullName, 'plain@acme.test');
  });

  test('editors and viewers get 403 on the user settings', async () => {
    for (const email of ['editor@acme.test', 'viewer@acme.test']) {
      const session = await server.login(email, PASSWORD);
      assertErrorBody(assert, await server.request('GET', '/v1/settings/users', { session }),
        403, 3085);
      assertErrorBody(assert, await server.request('POST', '/v1/settings/users',
        { session, body: { email: 'x@acme.test', password: PASSWORD } }), 403, 3085);
      assertErrorBody(assert, await server.request('GET', `/v1/settings/users/${server.userId}`,
        { session }), 403, 3085);
      assertErrorBody(assert, await server.request('PUT', `/v1/settings/users/${server.userId}`,
        { session, body: { role: 'VIEWER' } }), 403, 3085);
    }
  });

  test('a duplicate email in the workspace gets 409/3025, whatever its case', async () => {
    assertErrorBody(assert, await create({ email: 'EDITOR@acme.test', password: PASSWORD }),
      409, 3025);
  });

  test('a deactivated user\'s session stops at once and it cannot sign in', async () => {
    const made = await create({ email: 'leaver@acme.test', role: 'EDITOR', password: PASSWORD });
    const session = await server.login('leaver@acme.test', PASSWORD);
    // Authenticated but not allowed: 403 (also puts the session in the server's cache).
    assertErrorBody(assert, await server.request('GET', '/v1/settings/users', { session }), 403);
    const off = await server.request('PUT', `/v1/settings/users/${made.json.guid}`,
      { session: admin, body: { active: false } });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.json.active, false);
    assertErrorBody(assert, await server.request('GET', '/v1/settings/users', { session }), 401);
    assertErrorBody(assert, await server.request('PUT', '/v1/logout', { session }), 401);
    const login = await server.request('POST', '/v1/login',
      { body: { email: 'leaver@acme.test', password: PASSWORD } });
    assertErrorBody(assert, login, 400, 4001);
    // Reactivated, it signs in again.
    await server.request('PUT', `/v1/settings/users/${made.json.guid}`,
      { session: admin, body: { active: true } });
    await server.login('leaver@acme.test', PASSWORD);
  });

  test('a role change ends the user\'s sessions; the new role applies at the next login',
    async () => {
      const made = await create({ email: 'riser@acme.test', role: 'VIEWER', password: PASSWORD });
      const before = await server.login('riser@acme.test', PASSWORD);
      assertErrorBody(assert, await server.request('GET', '/v1/settings/users',
        { session: before }), 403);
      const up = await server.request('PUT', `/v1/settings/users/${made.json.guid}`,
        { session: admin, body: { role: 'ADMIN' } });
      assert.equal(up.json.role, 'ADMIN');
      assertErrorBody(assert, await server.request('GET', '/v1/settings/users',
        { session: before }), 401);
      const after = await server.login('riser@acme.test', PASSWORD);
      assert.equal((await server.request('GET', '/v1/settings/users', { session: after })).status,
        200);
      // Demoted again so the last-administrator test below has one admin.
      await server.request('PUT', `/v1/settings/users/${made.json.guid}`,
        { session: admin, body: { role: 'VIEWER' } });
    });

  test('a password change ends the user\'s sessions and the new password works', async () => {
    const made = await create({ email: 'changer@acme.test', password: PASSWORD });
    const session = await server.login('changer@acme.test', PASSWORD);
    await server.request('PUT', '/v1/logout', { session: await server.login() }); // unrelated
    const res = await server.request('PUT', `/v1/settings/users/${made.json.guid}`,
      { session: admin, body: { password: 'a brand new password' } });
    assert.equal(res.status, 200, res.text);
    assertErrorBody(assert, await server.request('PUT', '/v1/logout', { session }), 401);
    await server.login('changer@acme.test', 'a brand new password');
  });

  test('the last active administrator can be neither demoted nor deactivated', async () => {
    for (const body of [{ role: 'EDITOR' }, { active: false }]) {
      assertErrorBody(assert, await server.request('PUT', `/v1/settings/users/${server.userId}`,
        { session: admin, body }), 409);
    }
    const me = await server.request('GET', `/v1/settings/users/${server.userId}`,
      { session: admin });
    assert.equal(me.json.role, 'ADMIN');
    assert.equal(me.json.active, true);
    // With a second administrator, the first may step down.
    const second = await create({ email: 'second@acme.test', role: 'ADMIN', password: PASSWORD });
    assert.equal(second.status, 201);
    const down = await server.request('PUT', `/v1/settings/users/${server.userId}`,
      { session: admin, body: { role: 'EDITOR' } });
    assert.equal(down.status, 200, down.text);
    assertErrorBody(assert, await server.request('GET', '/v1/settings/users', { session: admin }),
      401);
  });

  test('paging the user list', async () => {
    const session = await server.login('second@acme.test', PASSWORD);
    const all = await server.request('GET', '/v1/settings/users?limit=400', { session });
    assert.equal(all.status, 200);
    const page = await server.request('GET', '/v1/settings/users?offset=1&limit=2', { session });
    assert.equal(page.json.count, 2);
    assert.deepEqual(page.json.results, all.json.results.slice(1, 3));
  });
});

describe('two workspaces in one data dir', () => {
  let server;
  let a;
  let b;
  let shared;
  before(async () => {
    a = initDataDir({ workspace: 'Alpha', email: 'admin@alpha.test' });
    b = initDataDir({ dataDir: a.dataDir, workspace: 'Beta', email: 'admin@beta.test' });
    shared = initDataDir({ dataDir: a.dataDir, workspace: 'Gamma', email: 'admin@alpha.test',
      password: 'the gamma password' });
    server = await startServer({ dataDir: a.dataDir });
  });
  after(async () => { await server?.stop(); });

  test('each administrator sees only its own users', async () => {
    const sa = await server.login(a.email, a.password, { workspaceId: a.workspaceId });
    const sb = await server.login(b.email, b.password);
    const la = await server.request('GET', '/v1/settings/users', { session: sa });
    const lb = await server.request('GET', '/v1/settings/users', { session: sb });
    assert.deepEqual(la.json.results.map((u) => u.email), ['admin@alpha.test']);
    assert.deepEqual(lb.json.results.map((u) => u.email), ['admin@beta.test']);
  });

  test('one administrator cannot read or change the other\'s user by guid', async () => {
    const sa = await server.login(a.email, a.password, { workspaceId: a.workspaceId });
    assertErrorBody(assert, await server.request('GET', `/v1/settings/users/${b.userId}`,
      { session: sa }), 404);
    assertErrorBody(assert, await server.request('PUT', `/v1/settings/users/${b.userId}`,
      { session: sa, body: { fullName: 'taken over', active: false } }), 404);
    const sb = await server.login(b.email, b.password);
    const mine = await server.request('GET', `/v1/settings/users/${b.userId}`, { session: sb });
    assert.equal(mine.status, 200);
    assert.equal(mine.json.active, true);
    assert.notEqual(mine.json.fullName, 'taken over');
  });

  test('users created in one workspace stay there; the same email may exist in both',
    async () => {
      const sa = await server.login(a.email, a.password, { workspaceId: a.workspaceId });
      const sb = await server.login(b.email, b.password);
      for (const session of [sa, sb]) {
        const res = await server.request('POST', '/v1/settings/users',
          { session, body: { email: 'both@x.test', password: PASSWORD } });
        assert.equal(res.status, 201, res.text);
      }
      const lb = await server.request('GET', '/v1/settings/users', { session: sb });
      assert.equal(lb.json.count, 2);
    });

  test('an email in several workspaces must name the workspace at login', async () => {
    // The same email has different passwords in Alpha and Gamma: each password picks its own.
    const alpha = await server.request('POST', '/v1/login',
      { body: { email: a.email, password: a.password } });
    assert.equal(alpha.status, 200, alpha.text);
    assert.equal(alpha.json.workspaceId, a.workspaceId);
    // both@x.test has the same password in Alpha and Beta: ambiguous without workspaceId.
    const both = await server.request('POST', '/v1/login',
      { body: { email: 'both@x.test', password: PASSWORD } });
    assertErrorBody(assert, both, 400, 4001);
    assert.match(both.json.errors[0].message, /workspaceId/);
    const inBeta = await server.request('POST', '/v1/login',
      { body: { email: 'both@x.test', password: PASSWORD, workspaceId: b.workspaceId } });
    assert.equal(inBeta.status, 200, inBeta.text);
    assert.equal(inBeta.json.workspaceName, 'Beta');
    const gamma = await server.request('POST', '/v1/login', { body: { email: a.email,
      password: 'the gamma password', workspaceId: shared.workspaceId } });
    assert.equal(gamma.json.workspaceName, 'Gamma');
    const wrongPair = await server.request('POST', '/v1/login', { body: { email: a.email,
      password: 'the gamma password', workspaceId: a.workspaceId } });
    assertErrorBody(assert, wrongPair, 400, 4001);
  });
});
