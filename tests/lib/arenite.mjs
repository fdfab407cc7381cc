// Test harness: starts the real `arenite` binary on a free loopback port with a fresh data
// directory, and talks HTTPS to it with the certificate it generated, as a client would.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import https from 'node:https';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const bin = process.env.ARENITE_BIN || path.join(repoRoot, 'build', 'bin', 'arenite');

export const ADMIN_PASSWORD = 'correct horse battery staple';

// The data dirs made here, removed when the test process exits (a test may still read one
// after stopping its server, or start another server on it).
const madeDirs = new Set();
process.on('exit', () => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});
// A new temporary directory named PREFIX-xxxxxx, removed when the test process exits.
export function tempDir(prefix = 'arenite-test-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  madeDirs.add(dir);
  return dir;
}
const newDataDir = () => tempDir('arenite-test-');

// Runs `arenite init` in a new temporary data dir; returns its ids.
export function initDataDir({ dataDir, workspace = 'Acme Test', email = 'admin@acme.test',
                              password = ADMIN_PASSWORD } = {}) {
  dataDir ??= newDataDir();
  const pwFile = path.join(dataDir, `.pw-${Math.random().toString(36).slice(2)}`);
  writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  const out = execFileSync(bin, ['init', '--data-dir', dataDir, '--workspace', workspace,
    '--admin-email', email, '--admin-password-file', pwFile], { encoding: 'utf8' });
  rmSync(pwFile);
  const ids = JSON.parse(out.trim().split('\n').pop());
  return { dataDir, email, password, ...ids };
}

// Starts `arenite serve`; resolves once it prints its listening line.
export async function startServer({ dataDir, args = [], init = true, testClock = true } = {}) {
  let ws = null;
  if (init && !dataDir) ws = initDataDir();
  dataDir ??= ws?.dataDir ?? newDataDir();
  const fullArgs = ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...args];
  if (testClock) fullArgs.push('--unsafe-test-clock');
  const proc = spawn(bin, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const lines = [];
  const url = await new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`arenite did not start:\n${stderr}`)), 20000);
    proc.stdout.on('data', (d) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const event = JSON.parse(line);
          lines.push(event);
          if (event.event === 'listening') {
            clearTimeout(timer);
            resolve(event.url);
          }
        } catch { /* not JSON */ }
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`arenite exited with ${code}:\n${stderr}`));
    });
  });
  const tls = url.startsWith('https:');
  const ca = tls ? readFileSync(path.join(dataDir, 'tls', 'cert.pem')) : undefined;
  const agent = tls ? new https.Agent({ ca, keepAlive: true }) : new http.Agent({ keepAlive: true });
  const server = {
    url, dataDir, proc, ca, agent, lines,
    workspaceId: ws?.workspaceId, userId: ws?.userId, email: ws?.email, password: ws?.password,
    get stderr() { return stderr; },
    request: (method, p, opts = {}) => request(server, method, p, opts),
    async login(email = server.email, password = server.password, extra = {}) {
      const res = await server.request('POST', '/v1/login', { body: { email, password, ...extra } });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
      return res.json.arenaSessionId;
    },
    async advanceClock(seconds) {
      const res = await server.request('POST', '/_test/clock', { body: { advanceSeconds: seconds } });
      if (res.status !== 200) throw new Error(`clock: ${res.status} ${res.text}`);
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode;
      const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
      proc.kill(signal);
      const code = await exited;
      agent.destroy();
      return code;
    },
  };
  return server;
}

// One HTTP request. `session` sets arena_session_id, `token` a Bearer token; a `body` object is
// sent as JSON unless `raw` is given; `agent` replaces the server's (another source address,
// say). Resolves with {status, headers, text, json}.
export function request(server, method, p,
  { body, raw, headers = {}, session, token, agent } = {}) {
  const u = new URL(p, server.url);
  const h = { ...headers };
  let payload = raw;
  if (body !== undefined && raw === undefined) {
    payload = JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  if (session) h['arena_session_id'] = session;
  if (token) h['authorization'] = `Bearer ${token}`;
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(u, { method, headers: h, agent: agent ?? server.agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json, body: buf });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

// Asserts the error body of docs/ERRORS.md.
export function assertErrorBody(assert, res, status, code) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.equal(res.json?.status, status, `error body status: ${res.text}`);
  assert.ok(Array.isArray(res.json?.errors) && res.json.errors.length > 0, res.text);
  assert.equal(typeof res.json.errors[0].message, 'string');
  if (code !== undefined) assert.equal(res.json.errors[0].code, code, res.text);
}
