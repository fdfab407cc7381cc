// EXTRACT webhooks: events within the debounce window become one delta DataExtract package,
// delivered in order to `arenite receive`, whose replica must equal the workspace after
// creates, updates, deletes and a change made effective; a package above the size limit is
// delivered as a small event whose download URL the linked app's own token can fetch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startServer, bin, tempDir } from '../lib/arenite.mjs';
import { createApp, postForm, basic } from '../lib/oauth.mjs';
import { startReceiver } from '../lib/receiver.mjs';

const VIEWS = ['Items_Summary', 'Items_BOM', 'Changes_Summary'];
let server, session, dir;
const procs = [];

before(async () => {
  server = await startServer({
    args: ['--webhook-allow-network', '127.0.0.0/8', '--webhook-allow-http', '--webhook-debounce', '2'],
  });
  session = await server.login();
  dir = tempDir('arenite-whx-');
});
after(async () => {
  for (const p of procs) p.kill('SIGTERM');
  await server?.stop();
});

async function ok(method, p, body, status = 200) {
  const res = await server.request(method, p, { session, body });
  assert.equal(res.status, status, `${method} ${p}: ${res.text}`);
  return res.json;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startReceive(args) {
  const proc = spawn(bin, ['receive', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let buffer = '';
    proc.stdout.on('data', (d) => {
      buffer += d;
      const m = buffer.match(/\{"event":"listening","url":"([^"]+)"\}/);
      if (m) resolve({ proc, url: m[1], get stderr() { return stderr; } });
    });
    proc.on('exit', (code) => reject(new Error(`receive exited ${code}: ${stderr}`)));
  });
}

async function lastSequence() {
  let after = 0;
  for (;;) {
    const page = await ok('GET', `/v1/events?after=${after}&limit=400`);
    if (page.count === 0) return after;
    after = page.results.at(-1).sequence;
  }
}

// Waits until the webhook has delivered packages up to the workspace's latest event.
// A webhook's delivery log, newest first, and a wait until `predicate` holds for it.
async function deliveryLog(hook) {
  return (await ok('GET', `/v1/settings/webhooks/${hook.guid}/deliveries`)).results;
}
async function untilLog(hook, predicate) {
  for (let i = 0; i < 150; i++) {
    const l = await deliveryLog(hook);
    if (predicate(l)) return l;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never: ${JSON.stringify(await deliveryLog(hook))}`);
}

async function waitForPackagesUpTo(hook, sequence) {
  for (let i = 0; i < 200; i++) {
    await server.advanceClock(3);
    const log = (await ok('GET', `/v1/settings/webhooks/${hook.guid}/deliveries?limit=100`)).results;
    if (log.some((d) => d.status === 'DELIVERED' && d.sequenceTo >= sequence) &&
        log.every((d) => d.status === 'DELIVERED')) {
      return log;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  const log = await ok('GET', `/v1/settings/webhooks/${hook.guid}/deliveries?limit=100`);
  throw new Error(`packages never reached sequence ${sequence}: ${JSON.stringify(log)}`);
}

// A FULL extract of the same views, made through the API now.
async function fullExtract() {
  const ex = await ok('POST', '/v1/extracts', { name: 'Check', views: VIEWS, type: 'FULL', format: 'RFC4180' }, 201);
  const started = await ok('POST', `/v1/extracts/${ex.guid}/runs`, undefined, 201);
  let run;
  for (let i = 0; i < 200; i++) {
    run = await ok('GET', `/v1/extracts/${ex.guid}/runs/${started.guid}`);
    if (run.status !== 'InProcess') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(run.status, 'Completed');
  const res = await server.request('GET',
    `/v1/extracts/${ex.guid}/runs/${run.guid}/files/${run.files[0].guid}/content`, { session });
  const file = path.join(dir, `full-${Date.now()}.zip`);
  writeFileSync(file, res.body);
  return file;
}

// Python compares each view of the package with the replica's table, row for row.
function compare(zipFile, replica) {
  const script = `
import zipfile, csv, io, json, sqlite3, sys
z = zipfile.ZipFile(sys.argv[1])
db = sqlite3.connect(sys.argv[2])
out = {}
for f in json.loads(z.read('manifest.json'))['files']:
    rows = list(csv.reader(io.StringIO(z.read(f['name']).decode('utf-8'), newline='')))
    header, body = rows[0], rows[1:]
    want = sorted([r[1:] for r in body])
    cols = ', '.join('"%s"' % c for c in header[1:])
    try:
        got = sorted([[('' if v is None else v) for v in r] for r in db.execute('SELECT %s FROM "%s"' % (cols, f['view']))])
    except sqlite3.OperationalError as e:
        got = str(e)
    out[f['view']] = {'want': len(want), 'equal': want == got, 'got': got if got != want else None, 'wantRows': want if got != want else None}
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, zipFile, replica], { encoding: 'utf8' }));
}

test('packages delivered to arenite receive keep a replica equal to the workspace', async () => {
  const app = await createApp(server, session, { name: 'BI loader', grantTypes: ['client_credentials'] });
  const port = await freePort();
  const target = `http://127.0.0.1:${port}/hooks`;
  const created = await ok('POST', '/v1/settings/webhooks', {
    name: 'Replica', targetUrl: target, payload: 'EXTRACT', extract: { views: VIEWS },
    eventTypes: ['item.created', 'item.updated', 'item.deleted', 'item.lifecycle_changed',
      'change.created', 'change.updated', 'change.status_changed'],
    authentication: { type: 'OAUTH2', oauthAppGuid: app.guid },
  }, 201);
  const out = path.join(dir, 'replica');
  const receive = await startReceive(['--listen', `127.0.0.1:${port}`, '--out', out,
    '--signing-secret', created.signingSecret, '--issuer', server.url, '--audience', target,
    '--issuer-ca-file', path.join(server.dataDir, 'tls', 'cert.pem')]);
  assert.equal(receive.url.replace(/\/$/, ''), `http://127.0.0.1:${port}`);

  // First package: everything there is.
  const top = await ok('POST', '/v1/items', { name: 'Pump assembly', number: 'PA-1' }, 201);
  const screw = await ok('POST', '/v1/items', { name: 'Screw, "M4"', number: 'S-4' }, 201);
  const gone = await ok('POST', '/v1/items', { name: 'Obsolete part', number: 'OB-1' }, 201);
  await ok('POST', `/v1/items/${top.guid}/bom`, { item: { guid: screw.guid }, quantity: 4 }, 201);
  const first = await waitForPackagesUpTo(created, await lastSequence());
  assert.equal(first.length, 1);
  assert.equal(first[0].eventType, 'extract.package');

  // Then deltas: an update, a delete, a change made effective.
  await ok('PUT', `/v1/items/${screw.guid}`, { description: 'stainless, line\nbreak' });
  await ok('DELETE', `/v1/items/${gone.guid}`, undefined, 204);
  const phases = (await ok('GET', '/v1/settings/items/lifecyclephases')).results;
  const prod = phases.find((p) => p.name === 'In Production');
  const eco = await ok('POST', '/v1/changes', { title: 'Release the pump' }, 201);
  await ok('POST', `/v1/changes/${eco.guid}/items`, {
    newItemRevision: { guid: top.workingRevision.guid }, newRevisionNumber: 'A',
    newLifecyclePhase: { guid: prod.guid } }, 201);
  await ok('POST', '/v1/changes/statuschanges', { change: { guid: eco.guid }, status: 'SUBMITTED' }, 201);
  const effective = await ok('POST', '/v1/changes/statuschanges', { change: { guid: eco.guid }, status: 'APPROVED' }, 201);
  assert.equal(effective.status, 'EFFECTIVE');
  const log = await waitForPackagesUpTo(created, await lastSequence());
  assert.ok(log.length >= 2);
  // In order, with no gap: each package starts where the one before ended.
  const ordered = [...log].reverse();
  for (let i = 1; i < ordered.length; i++) {
    assert.equal(ordered[i].sequenceFrom, ordered[i - 1].sequenceTo);
  }
  for (const d of log) assert.equal(d.attempts, 1);

  const verdict = compare(await fullExtract(), path.join(out, 'replica.db'));
  for (const view of VIEWS) {
    assert.ok(verdict[view].equal, `${view}: ${JSON.stringify(verdict[view])}`);
  }
  assert.ok(verdict.Items_Summary.want >= 2);
  assert.equal(verdict.Items_BOM.want, 1);
});

test('an EXTRACT webhook goes on per view when a view is taken out and put back', async () => {
  const receiver = await startReceiver({ secret: [] });
  try {
    const doomed = await ok('POST', '/v1/suppliers', { name: 'Webhook Tmp Supplier' }, 201);
    const hook = await ok('POST', '/v1/settings/webhooks', {
      name: 'Swapped', targetUrl: receiver.url, payload: 'EXTRACT',
      extract: { views: ['Suppliers_Summary'] },
      eventTypes: ['item.created', 'supplier.created', 'supplier.deleted'],
      authentication: { type: 'NONE' },
    }, 201);
    // (Its signing secret is not given to this receiver, whose checker reads JSON bodies only.)
    // Earlier tests moved the server's clock: the receiver checks timestamps against it.
    const date = (await server.request('GET', '/healthz')).headers.date;
    receiver.clockOffsetSeconds = Math.round((Date.parse(date) - Date.now()) / 1000);
    const views = [];  // each package's CSVs, by view name, as Python's csv module reads them
    const nextPackage = async (count) => {
      for (let i = 0; i < 100 && receiver.accepted.length < count; i++) {
        await server.advanceClock(3);  // past the debounce window
        receiver.clockOffsetSeconds += 3;
        await new Promise((r) => setTimeout(r, 150));
      }
      assert.equal(receiver.accepted.length, count, `the package arrived: ${JSON.stringify(
        (await ok('GET', `/v1/settings/webhooks/${hook.guid}/deliveries`)).results)} ${JSON.stringify(
        receiver.deliveries.map((d) => [d.answer, d.verdicts]))}`);
      const file = path.join(dir, `swap-${count}.zip`);
      writeFileSync(file, receiver.accepted[count - 1].raw);
      views.push(JSON.parse(execFileSync('python3', ['-c', `
import zipfile, csv, io, json, sys
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({n[:-4]: list(csv.reader(io.StringIO(z.read(n).decode(), newline='')))
                  for n in z.namelist() if n.endswith('.csv')}))`, file], { encoding: 'utf8' })));
      return views.at(-1);
    };
    await ok('POST', '/v1/suppliers', { name: 'Webhook trigger 1' }, 201);
    const p1 = await nextPackage(1);
    assert.ok(p1.Suppliers_Summary.some((r) => r[1] === doomed.guid));
    await ok('PUT', `/v1/settings/webhooks/${hook.guid}`, { extract: { views: ['Items_Summary'] } });
    await ok('POST', '/v1/items', { name: 'Webhook swap item' }, 201);
    const p2 = await nextPackage(2);
    assert.equal(p2.Suppliers_Summary, undefined);
    await ok('DELETE', `/v1/suppliers/${doomed.guid}`, undefined, 204);
    await ok('PUT', `/v1/settings/webhooks/${hook.guid}`, { extract: { views: ['Suppliers_Summary'] } });
    await ok('POST', '/v1/suppliers', { name: 'Webhook trigger 2' }, 201);
    const p3 = await nextPackage(3);
    const rows = p3.Suppliers_Summary.slice(1).map((r) => r[0]).sort();
    assert.deepEqual(rows, ['DELETE', 'INSERT'], JSON.stringify(p3.Suppliers_Summary));
    assert.equal(p3.Suppliers_Summary.find((r) => r[0] === 'DELETE')[1], doomed.guid);
  } finally {
    await receiver.stop();
  }
});

test('a package above the size limit is delivered as a download URL the linked app can fetch', async () => {
  const small = await startServer({
    // A debounce window far longer than making the items takes, ended by moving the test
    // clock: with a short one, a slow machine packs the first items alone, under the limit.
    args: ['--webhook-allow-network', '127.0.0.0/8', '--webhook-allow-http', '--webhook-debounce', '60',
      '--webhook-max-package-bytes', '1024'],
  });
  const receiver = await startReceiver({ secret: [], issuer: small.url, issuerCa: small.ca });
  try {
    const s = await small.login();
    const app = await createApp(small, s, { name: 'Big', grantTypes: ['client_credentials'], scopes: ['extracts:read'] });
    const hook = await small.request('POST', '/v1/settings/webhooks', {
      session: s,
      body: { name: 'Big', targetUrl: receiver.url, payload: 'EXTRACT', extract: { views: ['Items_Summary'] },
        eventTypes: ['item.created'], authentication: { type: 'OAUTH2', oauthAppGuid: app.guid } },
    });
    assert.equal(hook.status, 201, hook.text);
    receiver.secrets.push(hook.json.signingSecret);
    for (let i = 0; i < 40; i++) {
      const r = await small.request('POST', '/v1/items', { session: s, body: { name: `Item with a long enough name ${i}` } });
      assert.equal(r.status, 201);
    }
    await small.advanceClock(61);
    receiver.clockOffsetSeconds = 61;
    await receiver.waitFor((ds) => ds.some((d) => d.accepted), 15000);
    const event = receiver.accepted[0].json;
    assert.equal(event.type, 'extract.package');
    assert.ok(event.data.size > 1024);
    assert.match(event.data.downloadUrl, /\/v1\/settings\/webhooks\/[0-9A-Z]{20}\/packages\/[0-9A-Z]{20}\/content$/);
    assert.equal(receiver.accepted[0].verdicts.token, 'valid');

    // The linked app fetches it with a token of its own.
    const tok = await postForm(small, '/oauth/token', { grant_type: 'client_credentials', scope: 'extracts:read' },
      { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(tok.status, 200, tok.text);
    const zip = await small.request('GET', new URL(event.data.downloadUrl).pathname, { token: tok.json.access_token });
    assert.equal(zip.status, 200, zip.text);
    assert.equal(zip.headers['content-type'], 'application/zip');
    assert.equal(zip.body.length, event.data.size);
    const file = path.join(dir, 'big.zip');
    writeFileSync(file, zip.body);
    execFileSync('unzip', ['-tq', file]);
    // Another app's token may not.
    const other = await createApp(small, s, { name: 'Other', grantTypes: ['client_credentials'], scopes: ['extracts:read'] });
    const otherTok = await postForm(small, '/oauth/token', { grant_type: 'client_credentials', scope: 'extracts:read' },
      { authorization: basic(other.clientId, other.clientSecret) });
    const refused = await small.request('GET', new URL(event.data.downloadUrl).pathname, { token: otherTok.json.access_token });
    assert.equal(refused.status, 403);
  } finally {
    await receiver.stop();
    await small.stop();
  }
});

test('a package that FAILED holds the later ones back until it is redelivered, then all go in order', async () => {
  const receiver = await startReceiver({ secret: [] });
  try {
    const created = await ok('POST', '/v1/settings/webhooks', {
      name: 'Held', targetUrl: receiver.url, payload: 'EXTRACT', extract: { views: ['Items_Summary'] },
      eventTypes: ['item.created'], authentication: { type: 'NONE' },
    }, 201);
    receiver.defaultAnswer = { status: 500 };
    await ok('POST', '/v1/items', { name: 'Held back 1' }, 201);
    const log = () => deliveryLog(created);
    const until = (predicate) => untilLog(created, predicate);
    await server.advanceClock(3);
    await until((l) => l.length === 1 && l[0].attempts === 1);
    for (const step of [6, 331, 1981, 7921, 19801, 39601, 55441, 79201, 95041]) {
      const before = (await log())[0].attempts;
      await server.advanceClock(step);
      session = await server.login();
      await until((l) => l[0].attempts > before);
    }
    const [failed] = await until((l) => l[0].status === 'FAILED');
    assert.equal(failed.attempts, 10);
    // A later package is made, and waits behind the failed one.
    receiver.defaultAnswer = { status: 204 };
    await ok('POST', '/v1/items', { name: 'Held back 2' }, 201);
    await server.advanceClock(3);
    const waiting = await until((l) => l.length === 2);
    await new Promise((r) => setTimeout(r, 1500));
    const still = await log();
    assert.equal(still.find((d) => d.guid !== failed.guid).attempts, 0, 'the later package waits');
    assert.equal(receiver.accepted.length, 0);
    assert.equal(waiting.length, 2);
    // Redelivered, the failed one lands first, then the later one.
    const re = await server.request('POST',
      `/v1/settings/webhooks/${created.guid}/deliveries/${failed.guid}/redeliver`, { session });
    assert.equal(re.status, 202, re.text);
    await receiver.waitFor((ds) => ds.filter((d) => d.accepted).length === 2, 15000);
    assert.deepEqual(receiver.accepted.map((d) => d.id), [failed.guid, still.find((d) => d.guid !== failed.guid).guid]);
  } finally {
    await receiver.stop();
  }
});

test('a test event of an EXTRACT webhook that failed is sent again when redelivered', async () => {
  const receiver = await startReceiver({ secret: [] });
  try {
    const created = await ok('POST', '/v1/settings/webhooks', {
      name: 'Tested', targetUrl: receiver.url, payload: 'EXTRACT', extract: { views: ['Items_Summary'] },
      eventTypes: ['item.created'], authentication: { type: 'NONE' },
    }, 201);
    receiver.defaultAnswer = { status: 500 };
    const sent = await ok('POST', `/v1/settings/webhooks/${created.guid}/test`);
    assert.equal(sent.delivered, false);
    const log = () => deliveryLog(created);
    const until = (predicate) => untilLog(created, predicate);
    const [failed] = await until((l) => l.length === 1 && l[0].status === 'FAILED');
    assert.equal(failed.eventType, 'webhook.test');
    assert.equal(failed.attempts, 1);
    // Redelivered, it goes again through the scheduler and lands.
    receiver.defaultAnswer = { status: 204 };
    const re = await server.request('POST',
      `/v1/settings/webhooks/${created.guid}/deliveries/${failed.guid}/redeliver`, { session });
    assert.equal(re.status, 202, re.text);
    const [landed] = await until((l) => l[0].status === 'DELIVERED');
    assert.equal(landed.attempts, 2);
    assert.equal(receiver.accepted.length, 1);
    assert.equal(receiver.accepted[0].id, failed.guid);
  } finally {
    await receiver.stop();
  }
});

test('arenite receive fetches a package too large to deliver, with its own client credentials', async () => {
  const small = await startServer({
    // As above: a long debounce ended by the test clock, so that one package holds every item.
    args: ['--webhook-allow-network', '127.0.0.0/8', '--webhook-allow-http', '--webhook-debounce', '60',
      '--webhook-max-package-bytes', '1024'],
  });
  try {
    const s = await small.login();
    const req = (method, p, body) => small.request(method, p, { session: s, body });
    const app = await createApp(small, s, { name: 'Replica loader', grantTypes: ['client_credentials'], scopes: ['extracts:read'] });
    const port = await freePort();
    const target = `http://127.0.0.1:${port}/hooks`;
    const hook = await req('POST', '/v1/settings/webhooks', {
      name: 'Big replica', targetUrl: target, payload: 'EXTRACT', extract: { views: ['Items_Summary'] },
      eventTypes: ['item.created'], authentication: { type: 'OAUTH2', oauthAppGuid: app.guid },
    });
    assert.equal(hook.status, 201, hook.text);
    const secretFile = path.join(dir, 'client-secret');
    writeFileSync(secretFile, `${app.clientSecret}\n`, { mode: 0o600 });
    const out = path.join(dir, 'big-replica');
    await startReceive(['--listen', `127.0.0.1:${port}`, '--out', out,
      '--signing-secret', hook.json.signingSecret, '--issuer', small.url, '--audience', target,
      '--issuer-ca-file', path.join(small.dataDir, 'tls', 'cert.pem'),
      '--client-id', app.clientId, '--client-secret-file', secretFile]);
    for (let i = 0; i < 40; i++) {
      assert.equal((await req('POST', '/v1/items', { name: `Large package item ${i}` })).status, 201);
    }
    await small.advanceClock(61);
    let log;
    for (let i = 0; i < 150; i++) {
      log = (await req('GET', `/v1/settings/webhooks/${hook.json.guid}/deliveries`)).json.results;
      if (log.length && log[0].status === 'DELIVERED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(log[0].status, 'DELIVERED', JSON.stringify(log));
    assert.equal(log[0].eventType, 'extract.package');
    const rows = execFileSync('python3', ['-c',
      'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\'SELECT COUNT(*) FROM "Items_Summary"\').fetchone()[0])',
      path.join(out, 'replica.db')], { encoding: 'utf8' }).trim();
    assert.equal(Number(rows), 40);
  } finally {
    await small.stop();
  }
});
