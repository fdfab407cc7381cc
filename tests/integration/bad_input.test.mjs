// Hostile and malformed input against the HTTP layer and every foundation endpoint: each case
// gets a 4xx with the error body wherever an HTTP answer is possible (never a 5xx), and the
// server keeps serving the next request.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';
import { connect, exchange } from '../lib/raw.mjs';

let server;
let session;

before(async () => {
  server = await startServer({ args: ['--max-body-bytes', '4096', '--header-timeout', '2'] });
  session = await server.login();
});
after(async () => { await server?.stop(); });

// The server still answers /healthz on a new connection.
async function assertAlive() {
  const { response } = await exchange(server,
    'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  assert.ok(response, 'no answer to /healthz');
  assert.equal(response.status, 200);
  assert.equal(response.json?.status, 'ok');
}

// A raw exchange must produce a 4xx with the error body and a request id.
function assertRawError(result, status, code) {
  assert.ok(result.response, `no HTTP answer; got ${JSON.stringify(result.raw.slice(0, 200))}`);
  assertErrorBody(assert, result.response, status, code);
  assert.ok(result.response.headers['x-request-id'], 'X-Request-Id missing');
}

const request = (line, headers = {}, body = '') => {
  const h = { Host: 'localhost', Connection: 'close', ...headers };
  return `${line}\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n` +
    body;
};

describe('the HTTP layer', () => {
  const cases = [
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400],
    ['a request line without a version', 'GET /healthz\r\n\r\n', 400],
    ['HTTP/0.9', request('GET /healthz HTTP/0.9'), 400],
    ['HTTP/2.0 as text', request('GET /healthz HTTP/2.0'), 400],
    ['HTTP/1.2', request('GET /healthz HTTP/1.2'), 400],
    ['an absolute-form target', request('GET https://localhost/healthz HTTP/1.1'), 400],
    ['an asterisk target', request('OPTIONS * HTTP/1.1'), 400],
    ['a space inside the target', request('GET /heal thz HTTP/1.1'), 400],
    ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost localhost\r\n\r\n', 400],
    ['a control character in a header value',
      'GET /healthz HTTP/1.1\r\nHost: local\x01host\r\n\r\n', 400],
    ['two different Content-Lengths',
      'POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400],
    ['a negative Content-Length', request('POST /v1/login HTTP/1.1', { 'Content-Length': '-1' }),
      400],
    ['a broken chunk size',
      request('POST /v1/login HTTP/1.1', { 'Transfer-Encoding': 'chunked',
        'Content-Type': 'application/json' }, 'zz\r\n{}\r\n0\r\n\r\n'), 400],
    ['Content-Length and Transfer-Encoding together (request smuggling)',
      request('POST /v1/login HTTP/1.1', { 'Content-Length': '4', 'Transfer-Encoding': 'chunked',
        'Content-Type': 'application/json' }, '0\r\n\r\n'), 400],
    ['Transfer-Encoding chunked twice',
      'POST /v1/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['a space before the colon of a header name',
      'GET /healthz HTTP/1.1\r\nHost : localhost\r\n\r\n', 400],
    ['bare LF line endings', 'GET /healthz HTTP/1.1\nHost: x\n\n', 400],
    ['a Content-Length beyond 64 bits',
      request('POST /v1/login HTTP/1.1', { 'Content-Length': '99999999999999999999999' }), 400],
    ['a Content-Length in hex', request('POST /v1/login HTTP/1.1', { 'Content-Length': '0x10' }),
      400],
    ['an empty method', request(' /healthz HTTP/1.1'), 400],
    ['a broken percent escape in the path', request('GET /v1/settings/users/%ZZ HTTP/1.1'), 400],
    ['a truncated percent escape in the path', request('GET /healthz% HTTP/1.1'), 400],
    ['a broken percent escape in the query',
      request('GET /v1/settings/users?limit=%G1 HTTP/1.1'), 400],
    ['a truncated percent escape in the query', request('GET /healthz?a=%4 HTTP/1.1'), 400],
  ];
  for (const [name, bytes, status] of cases) {
    test(`${name} gets ${status} and the server stays up`, async () => {
      const result = await exchange(server, bytes);
      assertRawError(result, status);
      await assertAlive();
    });
  }

  test('an unknown method gets 405 with Allow, or 400, never 5xx', async () => {
    const result = await exchange(server, request('BREW /healthz HTTP/1.1'));
    assert.ok(result.response, result.raw);
    assert.ok([400, 405].includes(result.response.status), result.raw);
    assertErrorBody(assert, result.response, result.response.status);
    if (result.response.status === 405) assert.equal(result.response.headers.allow, 'GET');
    await assertAlive();
  });

  test('a method not allowed on a path gets 405 naming the allowed ones', async () => {
    const result = await exchange(server, request('DELETE /v1/login HTTP/1.1'));
    assertRawError(result, 405, 405);
    assert.equal(result.response.headers.allow, 'POST');
  });

  test('HEAD on a GET resource answers its headers without a body', async () => {
    const result = await exchange(server, request('HEAD /healthz HTTP/1.1'));
    assert.equal(result.response?.status, 200, result.raw);
    assert.equal(result.response.text, '');
  });

  test('replies are framed by Content-Length, except 204, and by Connection as the version asks',
    async () => {
      // A body over 16 KiB (written after its head) and the same resource's HEAD.
      const get = await exchange(server, request('GET /openapi.yaml HTTP/1.1'));
      assert.equal(get.response?.status, 200, get.raw.slice(0, 300));
      const length = Number(get.response.headers['content-length']);
      assert.ok(length > 16 * 1024, `content-length ${length}`);
      assert.equal(get.raw.length - (get.raw.indexOf('\r\n\r\n') + 4), length);
      assert.equal(get.response.headers.connection, 'close');
      assert.ok(get.closed, 'the server closes after Connection: close');
      const head = await exchange(server, request('HEAD /openapi.yaml HTTP/1.1'));
      assert.equal(head.response?.headers['content-length'], String(length));
      assert.ok(head.raw.endsWith('\r\n\r\n'), 'a HEAD answer has no body');

      const own = await server.login();
      const doomed = await server.request('POST', '/v1/items',
        { session: own, body: { name: 'Framed by nothing' } });
      assert.equal(doomed.status, 201, doomed.text);
      const out = await exchange(server, request(`DELETE /v1/items/${doomed.json.guid} HTTP/1.1`,
        { arena_session_id: own, 'Content-Length': '0' }));
      assert.equal(out.response?.status, 204, out.raw.slice(0, 300));
      assert.equal(out.response.headers['content-length'], undefined);
      assert.ok(out.raw.endsWith('\r\n\r\n'), 'a 204 has no body');

      // HTTP/1.0 asking to keep the connection is told so, and the connection stays open.
      const old = await exchange(server, 'GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
        { waitMs: 1000 });
      assert.match(old.raw, /^HTTP\/1\.0 200 OK\r\n/);
      assert.equal(old.response.headers.connection, 'keep-alive');
      assert.equal(old.closed, false);
      const plain = await exchange(server, 'GET /healthz HTTP/1.0\r\n\r\n');
      assert.equal(plain.response?.headers.connection, undefined);
      assert.ok(plain.closed, 'HTTP/1.0 without keep-alive is closed after the answer');
    });

  test('an unknown path gets 404 with the error body', async () => {
    assertRawError(await exchange(server, request('GET /v1/nothing/here HTTP/1.1')), 404, 404);
  });

  test('headers larger than the limit get 431', async () => {
    const result = await exchange(server,
      request('GET /healthz HTTP/1.1', { 'X-Big': 'a'.repeat(20 * 1024) }));
    assertRawError(result, 431, 9009);
    await assertAlive();
  });

  test('a request line longer than the header limit gets 431', async () => {
    const result = await exchange(server, request(`GET /${'a'.repeat(20 * 1024)} HTTP/1.1`));
    assertRawError(result, 431, 9009);
    await assertAlive();
  });

  test('many small headers past the limit get 431', async () => {
    const headers = {};
    for (let i = 0; i < 2000; ++i) headers[`X-H${i}`] = 'v';
    assertRawError(await exchange(server, request('GET /healthz HTTP/1.1', headers)), 431, 9009);
    await assertAlive();
  });

  test('a declared body larger than --max-body-bytes gets 413 before it is sent', async () => {
    const result = await exchange(server, request('POST /v1/login HTTP/1.1',
      { 'Content-Type': 'application/json', 'Content-Length': '100000' }));
    assertRawError(result, 413, 9008);
    await assertAlive();
  });

  test('a body past --max-body-bytes sent with its header in one write gets 413, not 431', async () => {
    // The header and 20 KiB of the body arrive together, so the server's first read is full: the
    // body's bytes must not count against the header limit.
    const result = await exchange(server, request('POST /v1/login HTTP/1.1',
      { 'Content-Type': 'application/json', 'Content-Length': '100000' }, 'x'.repeat(20 * 1024)));
    assertRawError(result, 413, 9008);
    await assertAlive();
  });

  test('a chunk-size line that never ends gets 400 without waiting for the body timeout', async () => {
    const head = request('POST /v1/login HTTP/1.1',
      { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const started = Date.now();
    const result = await exchange(server, [head, `1;${'a'.repeat(100 * 1024)}`], { waitMs: 20000 });
    assertRawError(result, 400, 400);
    assert.ok(Date.now() - started < 15000, 'the server waited for the body timeout');
    await assertAlive();
  });

  test('a chunked body growing past --max-body-bytes gets 413', async () => {
    const chunk = 'x'.repeat(1000);
    const head = request('POST /v1/login HTTP/1.1',
      { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const chunks = [head];
    for (let i = 0; i < 6; ++i) chunks.push(`${(1000).toString(16)}\r\n${chunk}\r\n`);
    const result = await exchange(server, chunks, { pauseMs: 20 });
    assertRawError(result, 413, 9008);
    await assertAlive();
  });

  test('a body shorter than its Content-Length is dropped when the client hangs up', async () => {
    const socket = await connect(server);
    socket.write(request('POST /v1/login HTTP/1.1',
      { 'Content-Type': 'application/json', 'Content-Length': '50' }, '{"email":'));
    socket.end();
    await new Promise((resolve) => socket.on('close', resolve));
    await assertAlive();
  });

  test('a slow-loris client is dropped after the header timeout', async () => {
    const socket = await connect(server);
    let closed = false;
    socket.on('error', () => {});
    const done = new Promise((resolve) => socket.on('close', () => { closed = true; resolve(); }));
    socket.write('GET /healthz HTTP/1.1\r\n');
    // One header byte every 300 ms: each arrives well within any idle timeout, but the headers
    // as a whole never end; the server must hang up (--header-timeout 2).
    for (let i = 0; i < 40 && !closed; ++i) {
      socket.write(i % 2 ? 'a' : 'X');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 1000))]);
    socket.destroy();
    assert.ok(closed, 'the server kept a slow-loris connection open for 12 s');
    await assertAlive();
  });

  test('a connection that never sends anything is dropped', async () => {
    const socket = await connect(server);
    socket.on('error', () => {});
    let closed = false;
    const done = new Promise((resolve) => socket.on('close', () => { closed = true; resolve(); }));
    // The idle timeout is the default 60 s; the header timeout (2 s) applies only once a request
    // has begun, so this only checks that the server still answers others meanwhile.
    await assertAlive();
    socket.destroy();
    await done;
    assert.ok(closed);
  });

  test('pipelined requests in one packet are answered in order', async () => {
    const result = await exchange(server, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' +
      'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n' + request('GET /readyz HTTP/1.1'));
    assert.deepEqual(result.raw.match(/HTTP\/1\.1 \d+/g), ['HTTP/1.1 200', 'HTTP/1.1 404',
      'HTTP/1.1 200'], result.raw);
  });

  test('Expect: 100-continue with a body over the limit gets 413 without sending it', async () => {
    const result = await exchange(server, request('POST /v1/login HTTP/1.1',
      { 'Content-Length': '100000', Expect: '100-continue', 'Content-Type': 'application/json' }));
    assertRawError(result, 413, 9008);
    assert.doesNotMatch(result.raw, /100 Continue/);
  });

  test('HTTP/1.0 is answered and the connection closed', async () => {
    const result = await exchange(server, 'GET /healthz HTTP/1.0\r\n\r\n');
    assert.equal(result.response?.status, 200, result.raw);
    assert.ok(result.closed);
  });

  test('a keep-alive connection serves several requests in a row', async () => {
    const one = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const result = await exchange(server, [one, one, request('GET /healthz HTTP/1.1')],
      { pauseMs: 50 });
    assert.equal((result.raw.match(/HTTP\/1\.1 200 OK/g) || []).length, 3, result.raw);
  });
});

describe('authentication', () => {
  test('no session gets 401 with the error body', async () => {
    assertErrorBody(assert, await server.request('GET', '/v1/settings/users'), 401, 401);
  });

  test('a forged session gets 401', async () => {
    const res = await server.request('GET', '/v1/settings/users',
      { session: 'A'.repeat(43) });
    assertErrorBody(assert, res, 401);
    assert.ok(res.headers['x-request-id']);
  });

  test('a session id of 10 KB gets 401', async () => {
    assertErrorBody(assert, await server.request('GET', '/v1/settings/users',
      { session: 'x'.repeat(10 * 1024) }), 401);
  });

  test('an empty session header gets 401', async () => {
    assertErrorBody(assert, await server.request('GET', '/v1/settings/users',
      { headers: { arena_session_id: '' } }), 401);
  });

  test('a session id with bytes outside ASCII gets 401', async () => {
    const result = await exchange(server, request('GET /v1/settings/users HTTP/1.1',
      { arena_session_id: '\xff\xfe\x80' }));
    assertRawError(result, 401);
  });

  test('an Authorization header that is not Bearer gets 401', async () => {
    assertErrorBody(assert, await server.request('GET', '/v1/settings/users',
      { headers: { authorization: 'Basic YTpi' } }), 401);
  });

  test('a Bearer token that is not valid gets 401 with WWW-Authenticate', async () => {
    const res = await server.request('GET', '/v1/settings/users', { token: 'not.a.jwt' });
    assertErrorBody(assert, res, 401);
    assert.match(res.headers['www-authenticate'], /^Bearer/);
  });

  test('a session cookie without a CSRF token cannot write', async () => {
    const res = await server.request('POST', '/v1/settings/users', {
      headers: { cookie: `arenite_session=${session}` },
      body: { email: 'csrf@acme.test', password: 'long enough password' },
    });
    assertErrorBody(assert, res, 403, 9004);
  });

  test('a session cookie can read', async () => {
    const res = await server.request('GET', '/v1/settings/users',
      { headers: { cookie: `other=1; arenite_session=${session}` } });
    assert.equal(res.status, 200);
  });

  test('an access token in the query string is refused', async () => {
    assertErrorBody(assert, await server.request('GET', '/v1/settings/users?access_token=abc',
      { session }), 400, 9003);
  });
});

describe('POST /v1/login', () => {
  const login = (opts) => server.request('POST', '/v1/login', opts);
  const bodies = [
    ['invalid JSON', '{"email":', 400],
    ['a JSON array', '[1,2]', 400],
    ['a JSON string', '"text"', 400],
    ['an empty body', '', 400],
    ['JSON nested 1500 deep', '{"a":' + '['.repeat(1500) + ']'.repeat(1500) + '}', 400],
    ['invalid UTF-8', '{"email":"\xff\xfe","password":"x"}', 400],
    ['a number too large', '{"email":"a@b.c","password":"x","n":1e999}', 400],
  ];
  for (const [name, raw, status] of bodies) {
    test(`${name} gets ${status}`, async () => {
      const res = await login({ raw: Buffer.from(raw, 'latin1'),
        headers: { 'content-type': 'application/json' } });
      assertErrorBody(assert, res, status);
    });
  }

  test('no Content-Type gets 415', async () => {
    assertErrorBody(assert, await login({ raw: '{"email":"a@b.c","password":"12345678"}' }),
      415, 9010);
  });

  test('a form Content-Type gets 415', async () => {
    assertErrorBody(assert, await login({ raw: 'email=a&password=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 9010);
  });

  test('application/json with a charset is accepted', async () => {
    const res = await login({ body: { email: server.email, password: server.password },
      headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(res.status, 200);
  });

  const wrongTypes = [
    ['email as a number', { email: 5, password: 'whatever1' }, 3003],
    ['password as an object', { email: 'a@b.test', password: {} }, 3003],
    ['email missing', { password: 'whatever1' }, 3001],
    ['password missing', { email: 'a@b.test' }, 3001],
    ['workspaceId as an array', { email: 'a@b.test', password: 'x', workspaceId: [] }, 3003],
    ['an email of 2000 characters', { email: 'a'.repeat(2000), password: 'x' }, 3003],
  ];
  for (const [name, body] of wrongTypes) {
    test(`${name} gets 400`, async () => {
      assertErrorBody(assert, await login({ body }), 400);
    });
  }

  test('a password of 3000 bytes gets 4xx and takes no hash', async () => {
    const res = await login({ body: { email: server.email, password: 'p'.repeat(3000) } });
    assert.ok(res.status >= 400 && res.status < 500, res.text);
    assertErrorBody(assert, res, res.status);
  });

  test('a workspaceId that is not a guid fails like a wrong password', async () => {
    assertErrorBody(assert, await login({ body: { email: server.email, password: server.password,
      workspaceId: '../../etc' } }), 400, 4001);
  });

  test('GET /v1/login gets 405', async () => {
    const res = await server.request('GET', '/v1/login');
    assertErrorBody(assert, res, 405, 405);
    assert.equal(res.headers.allow, 'POST');
  });
});

describe('/v1/settings/users', () => {
  const paging = ['limit=0', 'limit=401', 'limit=-1', 'limit=abc', 'offset=-1', 'offset=1e3',
    'limit=99999999999999999999', 'limit=', 'limit=%00'];
  for (const q of paging) {
    test(`?${q} gets 400/3041`, async () => {
      assertErrorBody(assert, await server.request('GET', `/v1/settings/users?${q}`, { session }),
        400, 3041);
    });
  }

  const guids = ['abc', 'abcdefghijklmnopqrst', '%00%00', '..%2F..%2Fetc', 'A'.repeat(200),
    '%FF%FE%FD', encodeURIComponent('ABCDEFGHIJKLMNOPQRS\u00e9')];
  for (const guid of guids) {
    test(`GET and PUT of user ${guid.slice(0, 30)} get 400/3011`, async () => {
      assertErrorBody(assert, await server.request('GET', `/v1/settings/users/${guid}`,
        { session }), 400, 3011);
      assertErrorBody(assert, await server.request('PUT', `/v1/settings/users/${guid}`,
        { session, body: { fullName: 'x' } }), 400, 3011);
    });
  }

  test('a well-formed guid of nobody gets 404', async () => {
    assertErrorBody(assert, await server.request('GET', '/v1/settings/users/ABCDEFGHIJKLMNOPQRST',
      { session }), 404, 3012);
    assertErrorBody(assert, await server.request('PUT', '/v1/settings/users/ABCDEFGHIJKLMNOPQRST',
      { session, body: { fullName: 'x' } }), 404, 3012);
  });

  const creates = [
    ['no Content-Type', { raw: '{"email":"n@acme.test","password":"long enough"}' }, 415],
    ['invalid JSON', { raw: '{', headers: { 'content-type': 'application/json' } }, 400],
    ['a bad email', { body: { email: 'not-an-email', password: 'long enough' } }, 400],
    ['an email with a space', { body: { email: 'a b@acme.test', password: 'long enough' } }, 400],
    ['a short password', { body: { email: 'short@acme.test', password: 'short' } }, 400],
    ['an unknown role', { body: { email: 'r@acme.test', password: 'long enough', role: 'ROOT' } },
      400],
    ['a role as a number', { body: { email: 'r@acme.test', password: 'long enough', role: 2 } },
      400],
    ['an unknown field', { body: { email: 'u@acme.test', password: 'long enough', admin: true } },
      400],
    ['a fullName of 300 characters',
      { body: { email: 'f@acme.test', password: 'long enough', fullName: 'f'.repeat(300) } }, 400],
    ['a body over --max-body-bytes',
      { body: { email: 'b@acme.test', password: 'long enough', fullName: 'f'.repeat(5000) } },
      413],
  ];
  for (const [name, opts, status] of creates) {
    test(`POST with ${name} gets ${status}`, async () => {
      assertErrorBody(assert, await server.request('POST', '/v1/settings/users',
        { session, ...opts }), status);
    });
  }

  const updates = [
    ['active as a string', { active: 'no' }],
    ['role null and fullName a number', { fullName: 7 }],
    ['an empty fullName', { fullName: '' }],
    ['a short password', { password: 'x' }],
    ['an unknown field', { superuser: true }],
  ];
  for (const [name, body] of updates) {
    test(`PUT with ${name} gets 400`, async () => {
      assertErrorBody(assert, await server.request('PUT',
        `/v1/settings/users/${server.userId}`, { session, body }), 400);
    });
  }

  test('after all of it the admin is unchanged and the server serves', async () => {
    const res = await server.request('GET', `/v1/settings/users/${server.userId}`, { session });
    assert.equal(res.status, 200);
    assert.equal(res.json.role, 'ADMIN');
    assert.equal(res.json.active, true);
    await assertAlive();
  });
});

describe('the other endpoints', () => {
  test('PUT /v1/logout without a session gets 401', async () => {
    assertErrorBody(assert, await server.request('PUT', '/v1/logout'), 401);
  });

  test('POST /healthz, /readyz and /metrics get 405', async () => {
    for (const p of ['/healthz', '/readyz', '/metrics', '/openapi.yaml']) {
      const res = await server.request('POST', p, { body: {} });
      assertErrorBody(assert, res, 405, 405);
      assert.equal(res.headers.allow, 'GET');
    }
  });

  test('the test clock refuses bad input', async () => {
    for (const [raw, status] of [['{"advanceSeconds":"x"}', 400], ['{"advanceSeconds":-5}', 400],
      ['{"advanceSeconds":1e30}', 400], ['nope', 400]]) {
      assertErrorBody(assert, await server.request('POST', '/_test/clock',
        { raw, headers: { 'content-type': 'application/json' } }), status);
    }
  });

  test('a query string on /healthz is ignored, a broken one is refused', async () => {
    assert.equal((await server.request('GET', '/healthz?x=1&&y')).status, 200);
    assertErrorBody(assert, await server.request('GET', '/healthz?x=%'), 400);
  });

  test('the server is still up and healthy at the end', async () => {
    await assertAlive();
    assert.equal((await server.request('GET', '/readyz')).status, 200);
  });
});

describe('--max-connections', () => {
  let small;
  before(async () => { small = await startServer({ args: ['--max-connections', '5'] }); });
  after(async () => { await small?.stop(); });

  test('the 6th concurrent connection is closed; the server serves once others close',
    async () => {
      const sockets = [];
      for (let i = 0; i < 5; ++i) {
        const s = await connect(small);
        s.on('error', () => {});
        sockets.push(s);
      }
      // The five finished their TLS handshakes, so the server holds them; a sixth is closed.
      const sixth = await exchange(small,
        'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
        .catch((e) => ({ error: e }));
      assert.ok(!sixth.response, 'a sixth connection was served while five were open');
      for (const s of sockets) s.destroy();
      // The server notices the closed connections; retry for up to 5 s.
      let answered = null;
      for (let i = 0; i < 50 && !answered; ++i) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        try {
          const r = await exchange(small,
            'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
          if (r.response?.status === 200) answered = r.response;
        } catch { /* still full */ }
      }
      assert.ok(answered, 'the server did not serve after the connections closed');
    });
});
