// The command line of the foundation: init's output and failures, serve's flags, its listening
// line and the plain-HTTP warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { bin, initDataDir, startServer, tempDir as madeTempDir } from '../lib/arenite.mjs';

const GUID = /^[0-9A-Z]{20}$/;
const tempDir = () => madeTempDir('arenite-cli-');

test('init prints one JSON line with the workspace and user ids', () => {
  const dir = tempDir();
  const pw = path.join(dir, 'pw');
  writeFileSync(pw, 'a long enough password\n');
  const data = path.join(dir, 'data');
  const r = spawnSync(bin, ['init', '--data-dir', data, '--workspace', 'CLI Test',
    '--admin-email', 'Admin@CLI.test', '--admin-password-file', pw], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, r.stdout);
  const ids = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(ids).sort(), ['userId', 'workspaceId']);
  assert.match(ids.workspaceId, GUID);
  assert.match(ids.userId, GUID);
  assert.ok(existsSync(path.join(data, 'arenite.db')));
  assert.equal(statSync(data).mode & 0o777, 0o700);
});

test('init adds a second workspace to an existing data dir', () => {
  const first = initDataDir();
  const second = initDataDir({ dataDir: first.dataDir, workspace: 'Second', email: 'b@x.test' });
  assert.notEqual(first.workspaceId, second.workspaceId);
});

test('init with a missing password file exits 1 with a message', () => {
  const dir = tempDir();
  const r = spawnSync(bin, ['init', '--data-dir', path.join(dir, 'd'), '--workspace', 'W',
    '--admin-email', 'a@b.test', '--admin-password-file', path.join(dir, 'missing')],
  { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot read/);
  assert.equal(r.stdout, '');
});

test('init with a password too short exits 1 and names the rule', () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'pw'), 'short\n');
  const r = spawnSync(bin, ['init', '--data-dir', path.join(dir, 'd'), '--workspace', 'W',
    '--admin-email', 'a@b.test', '--admin-password-file', path.join(dir, 'pw')],
  { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /at least 8/);
});

test('init without a required flag exits 2', () => {
  const r = spawnSync(bin, ['init', '--data-dir', tempDir()], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /required/i);
});

test('--help exits 0 for every subcommand', () => {
  for (const args of [['--help'], ['init', '--help'], ['serve', '--help']]) {
    const r = spawnSync(bin, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, args.join(' '));
    assert.match(r.stdout, /--/);
  }
});

const badServe = [
  ['an unknown flag', ['--no-such-flag']],
  ['a listen address without a port', ['--listen', '127.0.0.1']],
  ['a listen address that is a name', ['--listen', 'localhost:8443']],
  ['a port out of range', ['--listen', '127.0.0.1:70000']],
  ['a certificate without its key', ['--tls-cert', '/nonexistent.pem']],
  ['--http with a certificate', ['--http', '--tls-cert', '/a.pem', '--tls-key', '/b.pem']],
  ['a network that is not a CIDR', ['--webhook-allow-network', '10.0.0.0/99']],
  ['an unknown log format', ['--log-format', 'xml']],
  ['a request limit of zero', ['--request-limit', '0']],
  ['a request limit that is not a number', ['--request-limit', 'many']],
];
for (const [name, args] of badServe) {
  test(`serve with ${name} exits 2 with a message`, () => {
    const { dataDir } = initDataDir();
    const r = spawnSync(bin, ['serve', '--data-dir', dataDir, ...args],
      { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 2, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.ok(r.stderr.trim().length > 0, 'no message on stderr');
    assert.doesNotMatch(r.stdout, /listening/);
  });
}

test('serve on a data dir that was never initialised exits 1', () => {
  const r = spawnSync(bin, ['serve', '--data-dir', path.join(tempDir(), 'none'),
    '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /arenite init/);
});

test('--listen 127.0.0.1:0 names the chosen port in the listening line', async () => {
  const server = await startServer();
  try {
    const event = server.lines.find((l) => l.event === 'listening');
    assert.deepEqual(Object.keys(event).sort(), ['event', 'url']);
    const u = new URL(event.url);
    assert.equal(u.protocol, 'https:');
    assert.equal(u.hostname, '127.0.0.1');
    assert.ok(Number(u.port) > 0, event.url);
    const res = await server.request('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.equal(statSync(path.join(server.dataDir, 'tls', 'key.pem')).mode & 0o777, 0o600);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('--http warns at start and serves plain HTTP', async () => {
  const server = await startServer({ args: ['--http'] });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.stderr, /warn.*plain HTTP/i);
    const res = await server.request('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.equal(res.headers['strict-transport-security'], undefined);
    const session = await server.login();
    assert.equal((await server.request('GET', '/v1/settings/users', { session })).status, 200);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
