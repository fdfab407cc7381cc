// A webhook receiver for integration tests, playing the integrator's endpoint: it verifies each
// delivery with the `standardwebhooks` npm package and, when given an issuer, the Bearer JWT
// with `jose` against the issuer's JWKS; it records every delivery (id, headers, body,
// verdicts, the answer given) and answers as the test scripts it: a queue of statuses, delays
// and Retry-After headers, being down (the listener closed, then reopened on the same port),
// and `waitFor(predicate, timeoutMs)`. Plain HTTP, or HTTPS with a self-signed certificate made
// by openssl at start (its file is `caFile`, for `serve --webhook-ca-file`).
//
//   const r = await startReceiver({ secret: hook.signingSecret });
//   r.script(500, { status: 429, retryAfter: 7 }, { status: 200, delayMs: 3000 });
//   await r.waitFor((ds) => ds.filter((d) => d.accepted).length >= 3, 10000);
//
// Each record in `deliveries`: n (arrival order), receivedAt, id (webhook-id), headers, raw (a
// Buffer), body (text), json (when the body is JSON), verdicts {signature: valid | invalid |
// missing | unchecked, signatureError, signedWith: [bool per secret], token: valid | invalid |
// missing | unchecked, tokenError, claims, tokenHeader, ok}, answer, accepted (answered 2xx),
// duplicate (its webhook-id had already been accepted), aborted (the sender hung up first).
import http from 'node:http';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import * as jose from 'jose';

// A self-signed P-256 certificate for localhost and 127.0.0.1, valid for a day.
function selfSigned(dir) {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

// Runs `fn` with Date.now() moved by `offsetMs`: standardwebhooks checks the timestamp against
// Date.now() and has no option for another clock, and a server under `--unsafe-test-clock`
// signs with its own moved time. Synchronous, so nothing else runs meanwhile.
function withClockOffset(offsetMs, fn) {
  if (!offsetMs) return fn();
  const realNow = Date.now;
  Date.now = () => realNow() + offsetMs;
  try { return fn(); } finally { Date.now = realNow; }
}

function normalizeAnswer(a) {
  if (typeof a === 'number') return { status: a };
  return { status: 204, ...a };
}

// Options:
//   secret      whsec_… (or an array: each is tried, and `signedWith` says which verified)
//   https       serve HTTPS with a fresh self-signed certificate
//   issuer      check `Authorization: Bearer` JWTs issued by this OAuth server (RFC 8414
//               metadata, then its jwks_uri); issuerCa is the PEM it chains to
//   audience    the `aud` to require (default: this receiver's URL, as arenite sets it)
//   requireToken  answer 401 to deliveries without a token (default: true when issuer is set)
//   rejectInvalid answer 401, without using a scripted answer, when a check fails (default true)
//   path        the path to listen on (default /hooks); others get 404
export async function startReceiver({
  secret, https: useHttps = false, issuer, issuerCa, audience, requireToken,
  rejectInvalid = true, path: hookPath = '/hooks', host = '127.0.0.1', port = 0,
} = {}) {
  const secrets = secret === undefined ? [] : [secret].flat();
  const dir = mkdtempSync(path.join(tmpdir(), 'arenite-receiver-'));
  const tls = useHttps ? selfSigned(dir) : null;
  const issuerAgent = issuer?.startsWith('https:')
    ? new https.Agent({ ca: issuerCa, keepAlive: false }) : undefined;
  let jwks = null;
  const sockets = new Set();
  const waiters = new Set();
  let server = null;

  const receiver = {
    // The secrets deliveries are verified with; a test may add one once its webhook exists.
    secrets,
    deliveries: [],
    queue: [],
    defaultAnswer: { status: 204 },
    clockOffsetSeconds: 0,
    caFile: tls?.certFile,
    ca: tls?.cert,
    url: null,
    port: null,
    get isUp() { return server !== null; },
    get accepted() { return receiver.deliveries.filter((d) => d.accepted); },
    // Ids of deliveries answered 2xx, each once.
    acceptedIds() { return [...new Set(receiver.accepted.map((d) => d.id))]; },
    // Queues answers, used one per verified delivery: a status, or {status, delayMs,
    // retryAfter, headers, body}.
    script(...answers) { receiver.queue.push(...answers.map(normalizeAnswer)); },
    clear() { receiver.deliveries.length = 0; receiver.queue.length = 0; },
    // Resolves with predicate(deliveries) once it is truthy; rejects after timeoutMs.
    waitFor(predicate, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const first = predicate(receiver.deliveries);
        if (first) { resolve(first); return; }
        const waiter = {
          check() {
            const value = predicate(receiver.deliveries);
            if (value) { clearTimeout(waiter.timer); waiters.delete(waiter); resolve(value); }
          },
          timer: setTimeout(() => {
            waiters.delete(waiter);
            const seen = receiver.deliveries.map((d) => [d.id, d.answer?.status,
              d.verdicts?.signatureError, d.verdicts?.tokenError].filter(Boolean).join(' ')).join(', ');
            reject(new Error(`waitFor timed out after ${timeoutMs} ms; deliveries: [${seen}]`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    // Closes the listener and every open connection: connections are refused until up().
    async down() {
      if (!server) return;
      const s = server;
      server = null;
      const closed = new Promise((resolve) => s.close(resolve));
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    },
    // Listens again, on the same port.
    async up() { if (!server) await listen(receiver.port); },
    async stop() {
      await receiver.down();
      for (const w of waiters) clearTimeout(w.timer);
      waiters.clear();
      issuerAgent?.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  async function keySet() {
    if (jwks) return jwks;
    const metadataUrl = new URL('/.well-known/oauth-authorization-server', issuer);
    const metadata = await new Promise((resolve, reject) => {
      const get = metadataUrl.protocol === 'https:' ? https.get : http.get;
      get(metadataUrl, { agent: issuerAgent }, (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => {
          try { resolve(JSON.parse(text)); } catch (e) { reject(e); }
        });
      }).on('error', reject);
    });
    jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri), { agent: issuerAgent });
    return jwks;
  }

  function checkSignature(record) {
    const headers = {
      'webhook-id': record.headers['webhook-id'] ?? '',
      'webhook-timestamp': record.headers['webhook-timestamp'] ?? '',
      'webhook-signature': record.headers['webhook-signature'] ?? '',
    };
    if (!headers['webhook-id'] || !headers['webhook-signature']) {
      return { signature: 'missing', signatureError: 'no webhook-id or webhook-signature header' };
    }
    const signedWith = [];
    let error = null;
    for (const s of secrets) {
      try {
        withClockOffset(receiver.clockOffsetSeconds * 1000,
          () => new Webhook(s).verify(record.raw, headers));
        signedWith.push(true);
      } catch (e) {
        signedWith.push(false);
        error = e.message;
      }
    }
    const valid = signedWith.some(Boolean);
    return { signature: valid ? 'valid' : 'invalid', signatureError: valid ? null : error,
      signedWith };
  }

  async function checkToken(record) {
    const auth = record.headers.authorization;
    const needed = requireToken ?? Boolean(issuer);
    if (!auth) return { token: needed ? 'missing' : 'unchecked' };
    const m = /^Bearer ([^ ]+)$/i.exec(auth);
    if (!m) return { token: 'invalid', tokenError: 'not a Bearer token' };
    if (!issuer) return { token: 'unchecked' };
    try {
      const { payload, protectedHeader } = await jose.jwtVerify(m[1], await keySet(), {
        issuer, audience: audience ?? receiver.url, typ: 'at+jwt',
        currentDate: new Date(Date.now() + receiver.clockOffsetSeconds * 1000),
      });
      return { token: 'valid', claims: payload, tokenHeader: protectedHeader };
    } catch (e) {
      return { token: 'invalid', tokenError: `${e.code ?? e.name}: ${e.message}` };
    }
  }

  async function handle(req, res) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://receiver');
    if (req.method !== 'POST' || url.pathname !== hookPath) {
      res.writeHead(404).end();
      return;
    }
    const record = {
      n: receiver.deliveries.length + 1,
      receivedAt: Date.now(),
      id: req.headers['webhook-id'] ?? null,
      path: url.pathname,
      headers: { ...req.headers },
      raw,
      body: raw.toString('utf8'),
      json: null,
      duplicate: false,
      verdicts: null,
      accepted: false,
      answer: null,
      aborted: false,
    };
    if (/json/.test(req.headers['content-type'] ?? '')) {
      try { record.json = JSON.parse(record.body); } catch { /* recorded as it came */ }
    }
    record.duplicate = record.id !== null &&
      receiver.deliveries.some((d) => d.id === record.id && d.accepted);
    receiver.deliveries.push(record);

    const signature = secrets.length ? checkSignature(record) : { signature: 'unchecked' };
    const token = await checkToken(record);
    const ok = !['invalid', 'missing'].includes(signature.signature) &&
      !['invalid', 'missing'].includes(token.token);
    record.verdicts = { ...signature, ...token, ok };

    const answer = !ok && rejectInvalid
      ? { status: 401, body: `rejected: signature ${signature.signature}, token ${token.token}` }
      : (receiver.queue.shift() ?? normalizeAnswer(receiver.defaultAnswer));
    record.answer = answer;
    if (answer.delayMs) {
      res.on('close', () => { if (!res.writableFinished) record.aborted = true; });
      await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (record.aborted || res.destroyed) { record.aborted = true; notify(); return; }
    }
    const headers = { ...(answer.headers ?? {}) };
    if (answer.retryAfter !== undefined) headers['retry-after'] = String(answer.retryAfter);
    if (answer.body !== undefined) headers['content-type'] ??= 'text/plain';
    res.writeHead(answer.status, headers);
    res.end(answer.body ?? '');
    record.accepted = answer.status >= 200 && answer.status < 300;
    notify();
  }

  function notify() { for (const w of [...waiters]) w.check(); }

  function listen(onPort) {
    const s = tls
      ? https.createServer({ key: tls.key, cert: tls.cert })
      : http.createServer();
    s.on('request', (req, res) => {
      handle(req, res).catch((e) => { if (!res.headersSent) res.writeHead(500).end(String(e)); });
    });
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    s.on('secureConnection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(onPort, host, () => {
        s.off('error', reject);
        server = s;
        receiver.port = s.address().port;
        const scheme = tls ? 'https' : 'http';
        receiver.url = `${scheme}://${host}:${receiver.port}${hookPath}`;
        resolve();
      });
    });
  }

  await listen(port);
  return receiver;
}
