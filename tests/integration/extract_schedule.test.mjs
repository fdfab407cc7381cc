// DataExtract definitions over time: owners, schedules run by the server's scheduler under the
// test clock, package retention by count and age (serve flags), and `arenite extract run` on
// the host, its packages read by Python's zipfile and csv modules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, assertErrorBody, bin, tempDir } from '../lib/arenite.mjs';

let server, session, dir;
const req = (method, p, body) => server.request(method, p, { session, body });
async function ok(method, p, body, status = 200) {
  const res = await req(method, p, body);
  assert.equal(res.status, status, `${method} ${p}: ${res.text}`);
  return res.json;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Moves the server's clock; sessions idle for 90 minutes expire, so sign in again.
async function advance(seconds) {
  await server.advanceClock(seconds);
  session = await server.login();
}

// Polls until `check` answers something truthy (the scheduler looks once a second).
async function eventually(check, what) {
  for (let i = 0; i < 150; i++) {
    const value = await check();
    if (value) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function settledRuns(extractGuid) {
  return eventually(async () => {
    const runs = (await ok('GET', `/v1/extracts/${extractGuid}/runs`)).results;
    return runs.every((r) => r.status !== 'InProcess') && runs;
  }, 'runs to settle');
}

async function runToCompletion(extractGuid) {
  const started = await ok('POST', `/v1/extracts/${extractGuid}/runs`, undefined, 201);
  assert.equal(started.trigger, 'MANUAL');
  return eventually(async () => {
    const run = await ok('GET', `/v1/extracts/${extractGuid}/runs/${started.guid}`);
    return run.status !== 'InProcess' && run;
  }, 'a run');
}

function readZip(file) {
  const script = `
import zipfile, csv, io, json, hashlib, sys
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
m = json.loads(z.read('manifest.json'))
views = {}
for f in m['files']:
    data = z.read(f['name'])
    assert hashlib.sha256(data).hexdigest() == f['sha256']
    views[f['view']] = list(csv.reader(io.StringIO(data.decode('utf-8'), newline='')))
print(json.dumps({'manifest': m, 'views': views}))
`;
  const out = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

before(async () => {
  server = await startServer({ args: ['--extract-keep-runs', '2', '--extract-keep-days', '3'] });
  session = await server.login();
  dir = tempDir('arenite-extract-ops-');
  for (let i = 0; i < 5; i++) await ok('POST', '/v1/items', { name: `Part ${i}`, number: `OP-${i}` }, 201);
});

after(async () => { await server?.stop(); });

test('owners default to the creator, can be set to users of the workspace, and are shown',
  async () => {
    const e = await ok('POST', '/v1/extracts', { name: 'Owned', views: ['Items_Summary'] }, 201);
    assert.deepEqual(e.owners.map((o) => o.guid), [server.userId]);
    assert.equal(e.owners[0].email, server.email);
    const viewer = await ok('POST', '/v1/settings/users',
      { email: 'owner@acme.test', password: 'owner password 12', role: 'VIEWER' }, 201);
    const changed = await ok('PUT', `/v1/extracts/${e.guid}`,
      { owners: [{ guid: server.userId }, { guid: viewer.guid }] });
    assert.deepEqual(changed.owners.map((o) => o.email), [server.email, 'owner@acme.test']);
    assert.equal((await ok('GET', '/v1/extracts')).results.find((x) => x.guid === e.guid)
      .owners.length, 2);
    // Owners are users of this workspace, listed once, by guid.
    assertErrorBody(assert, await req('PUT', `/v1/extracts/${e.guid}`,
      { owners: [{ guid: 'AAAAAAAAAAAAAAAAAAAA' }] }), 400, 3003);
    assertErrorBody(assert, await req('PUT', `/v1/extracts/${e.guid}`,
      { owners: [{ guid: 'lower-case' }] }), 400, 3011);
    assertErrorBody(assert, await req('PUT', `/v1/extracts/${e.guid}`,
      { owners: [viewer.guid, viewer.guid] }), 400);
    assertErrorBody(assert, await req('PUT', `/v1/extracts/${e.guid}`, { owners: 'me' }), 400);
    assert.equal((await ok('GET', `/v1/extracts/${e.guid}`)).owners.length, 2);
  });

test('bad schedules are refused with the error body', async () => {
  for (const schedule of [{ frequency: 'MONTHLY' }, { frequency: 'DAILY', time: '25:00' },
    { frequency: 'WEEKLY', time: '01:00' }, { frequency: 'HOURLY', interval: 0 },
    { frequency: 'DAILY', dayOfWeek: 'MONDAY' }, 'daily', { frequency: 'DAILY', at: '01:00' }]) {
    assertErrorBody(assert, await req('POST', '/v1/extracts',
      { name: 'Bad', views: ['Items_Summary'], schedule }), 400);
  }
});

test('a schedule runs when the clock reaches it, once however many instants passed', async () => {
  const e = await ok('POST', '/v1/extracts', { name: 'Hourly', views: ['Items_Summary'],
    schedule: { frequency: 'HOURLY', interval: 1, time: '00:00' } }, 201);
  assert.equal(e.schedule.frequency, 'HOURLY');
  assert.match(e.schedule.nextRunDateTime, /T\d\d:00:00Z$/);
  const next = Date.parse(e.schedule.nextRunDateTime);
  assert.ok(next > Date.now() - 5000 && next <= Date.now() + 3600 * 1000);
  // A GET body sent back keeps the schedule as it was.
  const { guid, ...body } = e;
  const same = await ok('PUT', `/v1/extracts/${guid}`, body);
  assert.equal(same.schedule.nextRunDateTime, e.schedule.nextRunDateTime);
  assert.equal((await ok('GET', `/v1/extracts/${e.guid}/runs`)).count, 0);

  // Three hours on: three instants passed, one run starts.
  await advance(3 * 3600 + 60);
  const runs = await eventually(async () => {
    const listed = (await ok('GET', `/v1/extracts/${e.guid}/runs?status=Completed`)).results;
    return listed.length > 0 && listed;
  }, 'the scheduled run');
  assert.equal(runs[0].trigger, 'SCHEDULE');
  const moved = await ok('GET', `/v1/extracts/${e.guid}`);
  assert.ok(Date.parse(moved.schedule.nextRunDateTime) >= next + 3 * 3600 * 1000,
    moved.schedule.nextRunDateTime);
  await sleep(1500);  // the scheduler looks again: nothing more is due
  assert.equal((await settledRuns(e.guid)).length, 1);

  // Cleared, it runs no more.
  const cleared = await ok('PUT', `/v1/extracts/${e.guid}`, { schedule: null });
  assert.equal(cleared.schedule, null);
});

test('retention keeps the newest packages by count, then removes those past the age',
  async () => {
    const e = await ok('POST', '/v1/extracts', { name: 'Kept', views: ['Items_Summary'] }, 201);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await runToCompletion(e.guid));
    assert.deepEqual(runs.map((r) => r.number), [1, 2, 3]);
    const filesDir = path.join(server.dataDir, 'extracts', server.workspaceId);
    const present = () => readdirSync(filesDir);
    // --extract-keep-runs 2: the first package is gone and its run says so.
    const first = await ok('GET', `/v1/extracts/${e.guid}/runs/${runs[0].guid}`);
    assert.equal(first.status, 'Completed');
    assert.deepEqual(first.files, []);
    assert.match(first.filesRemovedDateTime, /^\d{4}-\d\d-\d\dT/);
    assert.ok(!present().includes(runs[0].files[0].name));
    assertErrorBody(assert, await req('GET', `/v1/extracts/${e.guid}/runs/${runs[0].guid}/files/` +
      `${runs[0].files[0].guid}/content`), 404);
    assert.ok(present().includes(runs[1].files[0].name));
    assert.ok(present().includes(runs[2].files[0].name));

    // --extract-keep-days 3: four days on, only the newest package stays.
    await advance(4 * 86400);
    await eventually(async () => !present().includes(runs[1].files[0].name), 'age retention');
    assert.ok(present().includes(runs[2].files[0].name));
    const newest = await ok('GET', `/v1/extracts/${e.guid}/runs/${runs[2].guid}`);
    assert.equal(newest.files.length, 1);
  });

test('arenite extract run writes a package on the host while the server runs', async () => {
  const out = path.join(dir, 'host.zip');
  const run = spawnSync(bin, ['extract', 'run', '--data-dir', server.dataDir, '--workspace',
    server.workspaceId, '--views', 'Items_Summary,Suppliers_Summary', '--out', out],
  { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const summary = JSON.parse(run.stdout.trim());
  assert.equal(summary.file, out);
  // Not a terminal: plain progress lines.
  assert.match(run.stderr, /^extract: \d+ of \d+ rows \(100%\)/m);
  assert.ok(!run.stderr.includes('\r'));
  const pkg = readZip(out);
  assert.deepEqual(pkg.manifest.files.map((f) => f.view), ['Items_Summary', 'Suppliers_Summary']);
  const items = (await ok('GET', '/v1/items?limit=400')).results;
  const rows = pkg.views.Items_Summary;
  assert.deepEqual(rows[0].slice(0, 3), ['Trans Type', 'Guid', 'Item Number']);
  assert.equal(rows.length - 1, items.length);
  assert.equal(summary.rows, items.length);
  for (const item of items) {
    const row = rows.find((r) => r[1] === item.guid);
    assert.equal(row?.[2], item.number);
  }

  // Read through a memory map: the same rows.
  const mapped = spawnSync(bin, ['extract', 'run', '--data-dir', server.dataDir, '--workspace',
    server.workspaceId, '--views', 'Items_Summary,Suppliers_Summary', '--out',
    path.join(dir, 'mapped.zip'), '--map-database', '--progress', 'none'], { encoding: 'utf8' });
  assert.equal(mapped.status, 0, mapped.stderr);
  assert.deepEqual(readZip(path.join(dir, 'mapped.zip')).views, pkg.views);

  // A bar on a terminal (forced here), redrawn in place.
  const barred = spawnSync(bin, ['extract', 'run', '--data-dir', server.dataDir, '--workspace',
    server.workspaceId, '--views', 'all', '--out', path.join(dir, 'all.zip'), '--progress', 'bar',
    '--format', 'DATAEXTRACT'], { encoding: 'utf8' });
  assert.equal(barred.status, 0, barred.stderr);
  assert.match(barred.stderr, /\r\[#{30}\] 100%/);
  assert.equal(readZip(path.join(dir, 'all.zip')).manifest.files.length, 7);
  // Nothing partial left.
  assert.deepEqual(readdirSync(dir).sort(), ['all.zip', 'host.zip', 'mapped.zip']);
});

test('arenite extract run refuses bad usage with 2 and failures with 1', () => {
  const run = (...args) => spawnSync(bin, ['extract', 'run', ...args], { encoding: 'utf8' });
  const base = ['--data-dir', server.dataDir, '--out', path.join(dir, 'x.zip')];
  const cases = [
    [2, [...base, '--workspace', server.workspaceId, '--views', 'Items_Summary,Nope'], /not a view/],
    [2, [...base, '--workspace', 'nope', '--views', 'Items_Summary'], /workspace guid/],
    [2, [...base, '--workspace', server.workspaceId, '--views', 'Items_BOM,Items_BOM'], /twice/],
    [2, [...base, '--workspace', server.workspaceId, '--views', 'all', '--format', 'XLSX'],
      /RFC4180 or DATAEXTRACT/],
    [2, ['--data-dir', server.dataDir, '--workspace', server.workspaceId, '--views', 'all'],
      /--out/],
    [1, [...base, '--workspace', 'AAAAAAAAAAAAAAAAAAAA', '--views', 'all'], /no workspace/],
    [1, ['--data-dir', path.join(dir, 'missing'), '--workspace', server.workspaceId, '--views',
      'all', '--out', path.join(dir, 'x.zip')], /no arenite data/],
    [1, ['--data-dir', server.dataDir, '--workspace', server.workspaceId, '--views', 'all',
      '--out', path.join(dir, 'no', 'such', 'dir', 'x.zip')], /does not exist/],
  ];
  for (const [status, args, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.ok(!existsSync(path.join(dir, 'x.zip')));
});
