// The OAuth 2.0 flows driven by real client libraries: oauth4webapi for discovery and every
// grant, jose for checking the access tokens against the JWKS. Hostile cases each assert the
// exact RFC 6749 error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { startServer, initDataDir, assertErrorBody } from '../lib/arenite.mjs';
import {
  fetchFor, discover, createApp, basic, postForm, pkcePair, Browser, authorize,
} from '../lib/oauth.mjs';

let server, other, session, as, app, client, auth, clockOffset = 0;
const redirectUri = 'https://client.example.test/callback';
const opts = () => ({ [oauth.customFetch]: fetchFor(server) });
const now = () => new Date(Date.now() + clockOffset * 1000);
const advance = async (s) => { await server.advanceClock(s); clockOffset += s; };

before(async () => {
  const main = initDataDir();
  // A second workspace in the same data dir, with its own admin, made before the server starts.
  other = initDataDir({ dataDir: main.dataDir, workspace: 'Other', email: 'admin@other.test' });
  server = await startServer({ dataDir: main.dataDir });
  Object.assign(server, { workspaceId: main.workspaceId, userId: main.userId, email: main.email,
    password: main.password });
  session = await server.login();
  as = await discover(server);
  app = await createApp(server, session, {
    name: 'ERP connector', description: 'Reads items for the ERP',
    scopes: ['items:read', 'items:write', 'settings:read'], redirectUris: [redirectUri,
      'http://127.0.0.1/loopback'],
  });
  client = { client_id: app.clientId };
  auth = oauth.ClientSecretBasic(app.clientSecret);
});
after(async () => { await server?.stop(); });

async function jwks() {
  const res = await server.request('GET', '/.well-known/jwks.json');
  assert.equal(res.status, 200);
  return jose.createLocalJWKSet(res.json);
}

async function clientCredentials(scope, a = auth, c = client) {
  const params = scope ? { scope } : {};
  const res = await oauth.clientCredentialsGrantRequest(as, c, a, params, opts());
  return oauth.processClientCredentialsResponse(as, c, res);
}

async function codeFlow(extra = {}) {
  const { verifier, challenge } = pkcePair();
  const state = oauth.generateRandomState();
  const browser = extra.browser ?? new Browser(server);
  const { redirect, res } = await authorize(server, browser, {
    response_type: 'code', client_id: app.clientId, redirect_uri: redirectUri,
    scope: extra.scope ?? 'items:read settings:read', state, code_challenge: challenge,
    code_challenge_method: 'S256',
  }, extra);
  assert.ok(redirect, `no redirect: ${res.status} ${res.text}`);
  return { redirect, verifier, state, browser };
}

async function exchange(redirect, state, verifier, redirect_uri = redirectUri) {
  const params = oauth.validateAuthResponse(as, client, redirect, state);
  const res = await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirect_uri,
    verifier, opts());
  return res;
}

async function oauthError(res) {
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.headers.pragma, 'no-cache');
  return res.json?.error;
}

test('metadata follows RFC 8414 with the issuer equal to the public URL', async () => {
  assert.equal(as.issuer, server.url);
  assert.equal(as.authorization_response_iss_parameter_supported, true);
  assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(as.response_types_supported, ['code']);
  assert.deepEqual([...as.grant_types_supported].sort(),
    ['authorization_code', 'client_credentials', 'refresh_token']);
  assert.deepEqual([...as.token_endpoint_auth_methods_supported].sort(),
    ['client_secret_basic', 'client_secret_post', 'none']);
  for (const k of ['token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint',
    'authorization_endpoint']) assert.ok(as[k].startsWith(server.url + '/'), k);
  assert.ok(as.scopes_supported.includes('settings:write'));
});

test('client credentials with Basic: an RFC 9068 JWT that jose verifies and the API accepts',
  async () => {
    const tokens = await clientCredentials();
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.expires_in, 3600);
    assert.equal(tokens.scope, 'items:read items:write settings:read');
    const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, await jwks(), {
      issuer: server.url, audience: server.url + '/v1', typ: 'at+jwt', algorithms: ['ES256'],
      currentDate: now(),
    });
    assert.ok(protectedHeader.kid);
    assert.equal(payload.client_id, app.clientId);
    assert.equal(payload.workspace_id, server.workspaceId);
    assert.equal(payload.sub, app.machineUser.guid);
    assert.equal(payload.exp - payload.iat, 3600);
    assert.ok(payload.jti);
    const users = await server.request('GET', '/v1/settings/users', { token: tokens.access_token });
    assert.equal(users.status, 200, users.text);
  });

// Tokens asked for in quick succession are signed with nonces made in batches
// (oauth/es256_batch.h); with serve --hedged-signatures, each the ordinary way. jose, an
// implementation of its own, must accept every one, and no two may share the signature's R.
test('tokens in quick succession, from nonce batches and hedged, all verify with distinct R',
  async () => {
    const hedged = await startServer({ args: ['--hedged-signatures'] });
    try {
      const hedgedSession = await hedged.login();
      const hedgedApp = await createApp(hedged, hedgedSession,
        { name: 'Hedged', scopes: ['items:read'] });
      const hedgedAs = await discover(hedged);
      // An app of its own, so that these tokens stay within the per-client rate limit.
      const quick = await createApp(server, session, { name: 'Quick', scopes: ['items:read'] });
      for (const [srv, meta, c, a] of [
        [server, as, { client_id: quick.clientId }, oauth.ClientSecretBasic(quick.clientSecret)],
        [hedged, hedgedAs, { client_id: hedgedApp.clientId },
          oauth.ClientSecretBasic(hedgedApp.clientSecret)],
      ]) {
        const res = await srv.request('GET', '/.well-known/jwks.json');
        const keys = jose.createLocalJWKSet(res.json);
        const rs = new Set();
        const tokens = await Promise.all(Array.from({ length: 36 }, async () => {
          const r = await oauth.clientCredentialsGrantRequest(meta, c, a, {},
            { [oauth.customFetch]: fetchFor(srv) });
          return oauth.processClientCredentialsResponse(meta, c, r);
        }));
        for (const t of tokens) {
          await jose.jwtVerify(t.access_token, keys, {
            issuer: srv.url, audience: srv.url + '/v1', typ: 'at+jwt', algorithms: ['ES256'],
            currentDate: srv === server ? now() : new Date(),
          });
          const signature = Buffer.from(t.access_token.split('.')[2], 'base64url');
          rs.add(signature.subarray(0, 32).toString('hex'));
        }
        assert.equal(rs.size, tokens.length);
      }
    } finally {
      await hedged.stop();
    }
  });

test('client_secret_post works and a narrower scope is granted as asked', async () => {
  const tokens = await clientCredentials('items:read', oauth.ClientSecretPost(app.clientSecret));
  assert.equal(tokens.scope, 'items:read');
});

test('Basic credentials are form-urlencoded before base64 (RFC 6749 2.3.1)', async () => {
  const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(res.status, 200, res.text);
});

test('a wrong secret is invalid_client, 401 with WWW-Authenticate, and counted', async () => {
  const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(app.clientId, app.clientSecret + 'x') });
  assert.equal(res.status, 401);
  assert.equal(await oauthError(res), 'invalid_client');
  assert.match(res.headers['www-authenticate'], /^Basic/);
  const post = await postForm(server, '/oauth/token', { grant_type: 'client_credentials',
    client_id: app.clientId, client_secret: 'nope' });
  assert.equal(post.status, 401);
  assert.equal(post.json.error, 'invalid_client');
  const metrics = await server.request('GET', '/metrics');
  assert.match(metrics.text, /arenite_oauth_client_auth_failures_total [1-9]/);
  assert.ok(!server.stderr.includes(app.clientSecret), 'the secret is never logged');
});

test('a scope outside the app is invalid_scope; unknown grant is unsupported_grant_type',
  async () => {
    const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials',
      scope: 'settings:write' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(res.status, 400);
    assert.equal(await oauthError(res), 'invalid_scope');
    const grant = await postForm(server, '/oauth/token', { grant_type: 'password' },
      { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(grant.json.error, 'unsupported_grant_type');
    const none = await postForm(server, '/oauth/token', {},
      { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(none.json.error, 'invalid_request');
  });

test('insufficient scope is 403 with Bearer error="insufficient_scope"', async () => {
  const tokens = await clientCredentials('items:read');
  const res = await server.request('GET', '/v1/settings/users', { token: tokens.access_token });
  assertErrorBody(assert, res, 403, 9002);
  assert.match(res.headers['www-authenticate'], /error="insufficient_scope"/);
  assert.match(res.headers['www-authenticate'], /scope="settings:read"/);
});

test('a token in the query string is refused with 400', async () => {
  const tokens = await clientCredentials();
  const res = await server.request('GET',
    `/v1/settings/users?access_token=${tokens.access_token}`);
  assertErrorBody(assert, res, 400, 9003);
});

test('a tampered or foreign token is 401 with Bearer error="invalid_token"', async () => {
  const tokens = await clientCredentials();
  const [h, p, s] = tokens.access_token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  claims.workspace_id = other.workspaceId;
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  const res = await server.request('GET', '/v1/settings/users', { token: forged });
  assertErrorBody(assert, res, 401, 4089);
  assert.match(res.headers['www-authenticate'], /error="invalid_token"/);
  // A key of our own making, with a kid the server does not know.
  const { privateKey } = await jose.generateKeyPair('ES256');
  const own = await new jose.SignJWT({ ...claims, workspace_id: server.workspaceId })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'mine' }).sign(privateKey);
  assertErrorBody(assert, await server.request('GET', '/v1/settings/users', { token: own }), 401);
  const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${p}.`;
  assertErrorBody(assert, await server.request('GET', '/v1/settings/users', { token: none }), 401);
});

test('a client cannot get a token for another audience (RFC 8707 invalid_target)', async () => {
  const tokens = await clientCredentials(undefined, auth, client);
  const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials',
    resource: 'https://receiver.example.test/hook' },
  { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(res.status, 400);
  assert.equal(res.json.error, 'invalid_target');
  assert.equal(res.headers['cache-control'], 'no-store');
  const api = await postForm(server, '/oauth/token', { grant_type: 'client_credentials',
    resource: `${server.url}/v1` },
  { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(api.status, 200);
  const { payload } = await jose.jwtVerify(api.json.access_token, await jwks(),
    { audience: `${server.url}/v1`, currentDate: now() });
  assert.equal(payload.aud, `${server.url}/v1`);
  assert.equal((await server.request('GET', '/v1/settings/users',
    { token: tokens.access_token })).status, 200);
});

test('one workspace\'s token never reads another workspace', async () => {
  const otherSession = await server.login(other.email, other.password);
  const otherApp = await createApp(server, otherSession, { name: 'Other app' });
  const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(otherApp.clientId, otherApp.clientSecret) });
  assert.equal(res.status, 200);
  const list = await server.request('GET', '/v1/settings/oauthapps',
    { token: res.json.access_token });
  // settings:read without settings:write: the machine user is an admin, the scope lets it read.
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.results.map((a) => a.guid), [otherApp.guid]);
  // Introspecting it with the first workspace's app says nothing.
  const intro = await oauth.introspectionRequest(as, client, auth, res.json.access_token, opts());
  assert.equal((await oauth.processIntrospectionResponse(as, client, intro)).active, false);
});

test('authorization code with PKCE through the sign-in and consent pages', async () => {
  const browser = new Browser(server);
  const first = await browser.get('/oauth/authorize?' + new URLSearchParams({
    response_type: 'code', client_id: app.clientId, redirect_uri: redirectUri,
    code_challenge: pkcePair().challenge, code_challenge_method: 'S256', state: 's1' }));
  assert.equal(first.status, 200);
  assert.match(first.headers['content-security-policy'], /default-src 'self'; frame-ancestors 'none'/);
  assert.match(first.text, /<label for="email">/);
  assert.match(first.text, /<label for="password">/);
  assert.ok(!/<script/i.test(first.text));

  const { redirect, verifier, state } = await codeFlow({ browser });
  assert.equal(redirect.origin + redirect.pathname, redirectUri);
  assert.equal(redirect.searchParams.get('iss'), server.url);
  assert.equal(redirect.searchParams.get('state'), state);
  const session = browser.cookies.get('arenite_session');
  assert.ok(session, 'the sign-in opened a session cookie');
  const res = await exchange(redirect, state, verifier);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
  assert.equal(tokens.scope, 'items:read settings:read');
  assert.ok(tokens.refresh_token);
  const { payload } = await jose.jwtVerify(tokens.access_token, await jwks(),
    { issuer: server.url, typ: 'at+jwt', currentDate: now() });
  assert.equal(payload.sub, server.userId, 'acts as the consenting user');
  assert.equal(payload.client_id, app.clientId);
  const users = await server.request('GET', '/v1/settings/users', { token: tokens.access_token });
  assert.equal(users.status, 200);

  // A second run in the same browser skips the sign-in.
  const again = await codeFlow({ browser });
  assert.ok(again.redirect.searchParams.get('code'));
});

test('the sign-in cookie is Secure, HttpOnly, SameSite=Lax, Path=/', async () => {
  const browser = new Browser(server);
  const q = new URLSearchParams({ response_type: 'code', client_id: app.clientId,
    redirect_uri: redirectUri, code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256' });
  const page = await browser.get('/oauth/authorize?' + q);
  const form = (await import('../lib/oauth.mjs')).parseForm(page.text);
  const res = await browser.post(form.action, { ...form.fields, email: server.email,
    password: server.password });
  assert.equal(res.status, 303);
  const cookie = [res.headers['set-cookie']].flat().find((c) => c.startsWith('arenite_session='));
  for (const attr of ['Secure', 'HttpOnly', 'SameSite=Lax', 'Path=/']) {
    assert.ok(cookie.split('; ').includes(attr), `${attr} in ${cookie}`);
  }
  // Without the CSRF value the sign-in form is refused.
  const forged = await new Browser(server).post(form.action, { ...form.fields,
    email: server.email, password: server.password });
  assert.equal(forged.status, 403);
});

test('consent without the CSRF token is refused; deny gives access_denied', async () => {
  const { redirect } = await codeFlow({ decision: 'deny' });
  assert.equal(redirect.searchParams.get('error'), 'access_denied');
  assert.equal(redirect.searchParams.get('iss'), server.url);
  assert.ok(!redirect.searchParams.get('code'));

  const { browser } = await codeFlow();
  const { challenge } = pkcePair();
  const res = await browser.post('/oauth/authorize/consent', { response_type: 'code',
    client_id: app.clientId, redirect_uri: redirectUri, code_challenge: challenge,
    code_challenge_method: 'S256', decision: 'allow', csrf: 'wrong' });
  assert.equal(res.status, 403);
  assert.ok(!res.headers.location);
});

test('wrong redirect URIs get an error page, never a redirect', async () => {
  const variants = [
    redirectUri + '/', redirectUri.replace('callback', 'Callback'),
    'HTTPS://client.example.test/callback', redirectUri + '?x=1',
    'https://attacker@client.example.test/callback', 'https://client.example.test:8443/callback',
    'http://client.example.test/callback', 'https://client.example.test/%63allback',
    'https://client.example.test/x/../callback', 'https://client.example.test/callback#f',
    'https://evil.example.test/callback',
  ];
  for (const uri of variants) {
    const res = await new Browser(server).get('/oauth/authorize?' + new URLSearchParams({
      response_type: 'code', client_id: app.clientId, redirect_uri: uri,
      code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
    assert.equal(res.status, 400, uri);
    assert.ok(!res.headers.location, uri);
    assert.match(res.headers['content-type'], /text\/html/);
  }
  const unknown = await new Browser(server).get('/oauth/authorize?client_id=nope&redirect_uri=' +
    encodeURIComponent(redirectUri));
  assert.equal(unknown.status, 400);
  assert.ok(!unknown.headers.location);
});

test('a loopback redirect URI matches on any port (RFC 8252)', async () => {
  const { challenge } = pkcePair();
  const res = await new Browser(server).get('/oauth/authorize?' + new URLSearchParams({
    response_type: 'code', client_id: app.clientId, redirect_uri: 'http://127.0.0.1:53111/loopback',
    code_challenge: challenge, code_challenge_method: 'S256' }));
  assert.equal(res.status, 200);
  const wrongPath = await new Browser(server).get('/oauth/authorize?' + new URLSearchParams({
    response_type: 'code', client_id: app.clientId, redirect_uri: 'http://127.0.0.1:53111/other',
    code_challenge: challenge, code_challenge_method: 'S256' }));
  assert.equal(wrongPath.status, 400);
});

test('PKCE is required: no challenge or plain redirects with invalid_request', async () => {
  for (const extra of [{}, { code_challenge: pkcePair().challenge, code_challenge_method: 'plain' },
    { code_challenge: pkcePair().challenge }]) {
    const res = await new Browser(server).get('/oauth/authorize?' + new URLSearchParams({
      response_type: 'code', client_id: app.clientId, redirect_uri: redirectUri, state: 'x',
      ...extra }));
    assert.equal(res.status, 303);
    const loc = new URL(res.headers.location);
    assert.equal(loc.searchParams.get('error'), 'invalid_request');
    assert.equal(loc.searchParams.get('state'), 'x');
    assert.equal(loc.searchParams.get('iss'), server.url);
  }
  const rt = await new Browser(server).get('/oauth/authorize?' + new URLSearchParams({
    response_type: 'token', client_id: app.clientId, redirect_uri: redirectUri }));
  assert.equal(new URL(rt.headers.location).searchParams.get('error'), 'unsupported_response_type');
  const scope = await new Browser(server).get('/oauth/authorize?' + new URLSearchParams({
    response_type: 'code', client_id: app.clientId, redirect_uri: redirectUri, scope: 'settings:write',
    code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
  assert.equal(new URL(scope.headers.location).searchParams.get('error'), 'invalid_scope');
});

test('a missing or wrong code_verifier is invalid_grant', async () => {
  const { redirect, state } = await codeFlow();
  const code = redirect.searchParams.get('code');
  const wrong = await postForm(server, '/oauth/token', { grant_type: 'authorization_code', code,
    redirect_uri: redirectUri, code_verifier: pkcePair().verifier },
  { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(wrong.status, 400);
  assert.equal(await oauthError(wrong), 'invalid_grant');
  const missing = await postForm(server, '/oauth/token', { grant_type: 'authorization_code', code,
    redirect_uri: redirectUri }, { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(missing.json.error, 'invalid_grant');
  assert.ok(state);
});

test('a redirect_uri at the token endpoint that differs is invalid_grant', async () => {
  const { redirect, state, verifier } = await codeFlow();
  const res = await exchange(redirect, state, verifier, redirectUri + '/');
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'invalid_grant');
});

test('code reuse fails with invalid_grant and kills the tokens it issued', async () => {
  const { redirect, state, verifier } = await codeFlow();
  const tokens = await oauth.processAuthorizationCodeResponse(as, client,
    await exchange(redirect, state, verifier));
  assert.equal((await server.request('GET', '/v1/settings/users',
    { token: tokens.access_token })).status, 200);
  const second = await exchange(redirect, state, verifier);
  assert.equal(second.status, 400);
  assert.equal((await second.json()).error, 'invalid_grant');
  assertErrorBody(assert, await server.request('GET', '/v1/settings/users',
    { token: tokens.access_token }), 401);
  const refresh = await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token,
    opts());
  assert.equal((await refresh.json()).error, 'invalid_grant');
});

test('refresh rotates; a replayed refresh token kills the whole family', async () => {
  const { redirect, state, verifier } = await codeFlow();
  const t1 = await oauth.processAuthorizationCodeResponse(as, client,
    await exchange(redirect, state, verifier));
  const t2 = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, auth, t1.refresh_token, opts()));
  assert.notEqual(t2.refresh_token, t1.refresh_token);
  assert.equal(t2.scope, 'items:read settings:read');
  assert.equal((await server.request('GET', '/v1/settings/users',
    { token: t2.access_token })).status, 200);
  // Replaying the rotated token: invalid_grant, and the newer tokens die with it.
  const replay = await oauth.refreshTokenGrantRequest(as, client, auth, t1.refresh_token, opts());
  assert.equal((await replay.json()).error, 'invalid_grant');
  assertErrorBody(assert, await server.request('GET', '/v1/settings/users',
    { token: t2.access_token }), 401);
  const after = await oauth.refreshTokenGrantRequest(as, client, auth, t2.refresh_token, opts());
  assert.equal((await after.json()).error, 'invalid_grant');
});

test('two refreshes racing: exactly one wins', async () => {
  const { redirect, state, verifier } = await codeFlow();
  const t1 = await oauth.processAuthorizationCodeResponse(as, client,
    await exchange(redirect, state, verifier));
  const form = { grant_type: 'refresh_token', refresh_token: t1.refresh_token };
  const h = { authorization: basic(app.clientId, app.clientSecret) };
  const results = await Promise.all(Array.from({ length: 6 },
    () => postForm(server, '/oauth/token', form, h)));
  const ok = results.filter((r) => r.status === 200);
  assert.equal(ok.length, 1, results.map((r) => r.status).join(','));
  for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.json.error, 'invalid_grant');
});

test('introspection and revocation of an access token (RFC 7662, RFC 7009)', async () => {
  const tokens = await clientCredentials();
  const intro = await oauth.processIntrospectionResponse(as, client,
    await oauth.introspectionRequest(as, client, auth, tokens.access_token, opts()));
  assert.equal(intro.active, true);
  assert.equal(intro.client_id, app.clientId);
  assert.equal(intro.scope, 'items:read items:write settings:read');
  assert.equal(intro.iss, server.url);
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, auth, tokens.access_token, opts()));
  assertErrorBody(assert, await server.request('GET', '/v1/settings/users',
    { token: tokens.access_token }), 401);
  const after = await oauth.processIntrospectionResponse(as, client,
    await oauth.introspectionRequest(as, client, auth, tokens.access_token, opts()));
  assert.equal(after.active, false);
  // Unknown tokens revoke fine; introspection needs client authentication.
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, auth, 'not-a-token', opts()));
  const anon = await postForm(server, '/oauth/introspect', { token: tokens.access_token });
  assert.equal(anon.status, 401);
  assert.equal(anon.json.error, 'invalid_client');
});

test('revoking a refresh token kills its family', async () => {
  const { redirect, state, verifier } = await codeFlow();
  const t1 = await oauth.processAuthorizationCodeResponse(as, client,
    await exchange(redirect, state, verifier));
  const rtIntro = await oauth.processIntrospectionResponse(as, client,
    await oauth.introspectionRequest(as, client, auth, t1.refresh_token, opts()));
  assert.equal(rtIntro.active, true);
  // RFC 7662's token_type is the access token's type (RFC 6749 section 5.1): a refresh token has
  // none.
  assert.equal(rtIntro.token_type, undefined);
  assert.equal(rtIntro.client_id, app.clientId);
  // Another client of the workspace may introspect the access token (a resource server does),
  // but the refresh token is its own client's business.
  const peer = await createApp(server, session, { name: 'Peer', grantTypes: ['client_credentials'] });
  const peerAuth = { authorization: basic(peer.clientId, peer.clientSecret) };
  assert.equal((await postForm(server, '/oauth/introspect', { token: t1.access_token }, peerAuth))
    .json.active, true);
  assert.deepEqual((await postForm(server, '/oauth/introspect', { token: t1.refresh_token }, peerAuth))
    .json, { active: false });
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, client, auth, t1.refresh_token, opts()));
  assertErrorBody(assert, await server.request('GET', '/v1/settings/users',
    { token: t1.access_token }), 401);
  const refresh = await oauth.refreshTokenGrantRequest(as, client, auth, t1.refresh_token, opts());
  assert.equal((await refresh.json()).error, 'invalid_grant');
});

test('a public client uses none with PKCE and gets no client_credentials', async () => {
  const pub = await createApp(server, session, { name: 'CLI', public: true,
    redirectUris: ['http://127.0.0.1/cb'], scopes: ['items:read'] });
  assert.equal(pub.clientSecret, undefined);
  assert.deepEqual(pub.grantTypes, ['authorization_code', 'refresh_token']);
  const pc = { client_id: pub.clientId, token_endpoint_auth_method: 'none' };
  const { verifier, challenge } = pkcePair();
  const { redirect } = await authorize(server, new Browser(server), {
    response_type: 'code', client_id: pub.clientId, redirect_uri: 'http://127.0.0.1:40001/cb',
    code_challenge: challenge, code_challenge_method: 'S256', state: 'st' });
  const params = oauth.validateAuthResponse(as, pc, redirect, 'st');
  const tokens = await oauth.processAuthorizationCodeResponse(as, pc,
    await oauth.authorizationCodeGrantRequest(as, pc, oauth.None(), params,
      'http://127.0.0.1:40001/cb', verifier, opts()));
  assert.equal(tokens.scope, 'items:read');
  const cc = await postForm(server, '/oauth/token', { grant_type: 'client_credentials',
    client_id: pub.clientId });
  assert.equal(cc.json.error, 'unauthorized_client');
});

test('a rotated secret works during its grace period and stops after it', async () => {
  const a = await createApp(server, session, { name: 'Rotating' });
  const rotated = await server.request('POST', `/v1/settings/oauthapps/${a.guid}/secrets`,
    { session, body: { graceSeconds: 600 } });
  assert.equal(rotated.status, 201, rotated.text);
  assert.ok(rotated.json.clientSecret && rotated.json.clientSecret !== a.clientSecret);
  assert.ok(rotated.json.previousSecretExpiresDateTime);
  const tok = (secret) => postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(a.clientId, secret) });
  assert.equal((await tok(a.clientSecret)).status, 200);
  assert.equal((await tok(rotated.json.clientSecret)).status, 200);
  await advance(601);
  const old = await tok(a.clientSecret);
  assert.equal(old.status, 401);
  assert.equal(old.json.error, 'invalid_client');
  assert.equal((await tok(rotated.json.clientSecret)).status, 200);
  session = await server.login();
});

test('an expired code is invalid_grant and an expired token is invalid_token', async () => {
  const { redirect, state, verifier } = await codeFlow();
  const tokens = await clientCredentials();
  await advance(61);
  const res = await exchange(redirect, state, verifier);
  assert.equal((await res.json()).error, 'invalid_grant');
  await advance(3600);
  const api = await server.request('GET', '/v1/settings/users', { token: tokens.access_token });
  assertErrorBody(assert, api, 401);
  assert.match(api.headers['www-authenticate'], /invalid_token/);
  session = await server.login();
});

test('deleting an app revokes every token it holds at once', async () => {
  const a = await createApp(server, session, { name: 'Short-lived' });
  const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(a.clientId, a.clientSecret) });
  const token = res.json.access_token;
  assert.equal((await server.request('GET', '/v1/settings/users', { token })).status, 200);
  const del = await server.request('DELETE', `/v1/settings/oauthapps/${a.guid}`, { session });
  assert.equal(del.status, 204);
  assertErrorBody(assert, await server.request('GET', '/v1/settings/users', { token }), 401);
  const again = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(a.clientId, a.clientSecret) });
  assert.equal(again.json.error, 'invalid_client');
});
