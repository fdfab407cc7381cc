// DataExtract over the API: definitions, a run, and the package read by independent readers
// (Python's zipfile, csv and hashlib, and unzip -t), compared with what the API returns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, assertErrorBody, tempDir } from '../lib/arenite.mjs';

const VIEWS = ['Items_Summary', 'Items_BOM', 'Items_Sourcing', 'Changes_Summary',
  'Changes_Items', 'Suppliers_Summary', 'Supplier_Items_Summary'];
const HOSTILE = ['Resistor, 10k "precision"', 'two\r\nlines', '=HYPERLINK("x")', 'back\\slash',
  'tab\tinside', 'Ünïcødé 电阻 🔩', 'x'.repeat(450)];
let server, session, dir;

const req = (method, p, body) => server.request(method, p, { session, body });
async function ok(method, p, body, status = 200) {
  const res = await req(method, p, body);
  assert.equal(res.status, status, `${method} ${p}: ${res.text}`);
  return res.json;
}

async function runToCompletion(extractGuid) {
  const started = await ok('POST', `/v1/extracts/${extractGuid}/runs`, undefined, 201);
  assert.equal(started.status, 'InProcess');
  for (let i = 0; i < 200; i++) {
    const run = await ok('GET', `/v1/extracts/${extractGuid}/runs/${started.guid}`);
    if (run.status !== 'InProcess') return run;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the run did not finish');
}

async function download(extractGuid, run) {
  const res = await server.request('GET',
    `/v1/extracts/${extractGuid}/runs/${run.guid}/files/${run.files[0].guid}/content`, { session });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/zip');
  assert.match(res.headers['content-disposition'], /Extract_\d{8}_\d{6}Z_[0-9A-Z]{20}\.zip/);
  const file = path.join(dir, run.files[0].name);
  writeFileSync(file, res.body);
  return { file, body: res.body };
}

// Python reads the package and prints every view's rows as JSON, after checking the manifest.
function readPackage(file) {
  const script = `
import zipfile, csv, io, json, hashlib, sys
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
m = json.loads(z.read('manifest.json'))
out = {'manifest': m, 'views': {}}
for f in m['files']:
    data = z.read(f['name'])
    assert hashlib.sha256(data).hexdigest() == f['sha256']
    rows = list(csv.reader(io.StringIO(data.decode('utf-8'), newline='')))
    assert len(rows) - 1 == f['rows']
    out['views'][f['view']] = rows
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }));
}

before(async () => {
  server = await startServer();
  session = await server.login();
  dir = tempDir('arenite-extract-');
  const top = await ok('POST', '/v1/items', { name: 'Widget assembly', number: 'ASM-1' }, 201);
  for (const [i, name] of HOSTILE.entries()) {
    const part = await ok('POST', '/v1/items', { name, number: `PN-${i}` }, 201);
    await ok('POST', `/v1/items/${top.guid}/bom`,
      { item: { guid: part.guid }, quantity: i + 1, refDes: `R${i}`, notes: name }, 201);
  }
  await ok('POST', '/v1/suppliers', { name: 'Acme, "Parts" Inc.' }, 201);
  await ok('POST', '/v1/changes', { title: 'Release, "first"' }, 201);
  const eco = (await ok('GET', '/v1/settings/changes/categories')).results
    .find((c) => c.name === 'Engineering Change Order');
  await ok('POST', '/v1/changes', { title: 'Categorized', category: { guid: eco.guid } }, 201);
});

after(async () => { await server?.stop(); });

test('a FULL extract of every view matches the API, read by Python and unzip', async () => {
  const extract = await ok('POST', '/v1/extracts',
    { name: 'Nightly ERP', views: VIEWS, type: 'FULL', format: 'RFC4180' }, 201);
  assert.match(extract.guid, /^[0-9A-Z]{20}$/);
  const run = await runToCompletion(extract.guid);
  assert.equal(run.status, 'Completed', JSON.stringify(run));
  assert.equal(run.files.length, 1);
  const { file, body } = await download(extract.guid, run);
  assert.equal(body.length, run.files[0].size);
  execFileSync('unzip', ['-tq', file]);

  const pkg = readPackage(file);
  assert.deepEqual(pkg.manifest.files.map((f) => f.view), VIEWS);
  assert.equal(pkg.manifest.run.guid, run.guid);
  const items = pkg.views.Items_Summary;
  assert.deepEqual(items[0].slice(0, 4), ['Trans Type', 'Guid', 'Item Number', 'Item Name']);
  const apiItems = (await ok('GET', '/v1/items?limit=400')).results;
  const byGuid = new Map(items.slice(1).map((r) => [r[1], r]));
  assert.equal(byGuid.size, apiItems.length);
  for (const item of apiItems) {
    const row = byGuid.get(item.guid);
    assert.ok(row, `item ${item.number} missing from the package`);
    assert.equal(row[0], 'INSERT');
    assert.equal(row[2], item.number);
    assert.equal(row[3], item.name);  // hostile names come back exactly
  }
  const bom = pkg.views.Items_BOM;
  assert.equal(bom.length - 1, HOSTILE.length);
  const apiBom = (await ok('GET', `/v1/items/${apiItems.find((i) => i.number === 'ASM-1').guid}/bom`))
    .results;
  for (const line of apiBom) {
    const row = bom.find((r) => r[1] === line.guid);
    assert.ok(row, `BOM line ${line.guid} missing`);
    assert.deepEqual(row.slice(5, 8), [line.item.guid, line.item.number,
      line.item.revisionNumber ?? '']);
    assert.equal(Number(row[8]), line.quantity);
    assert.equal(row[9], line.notes);
    assert.equal(row[10], line.refDes);
  }
  assert.equal(pkg.views.Suppliers_Summary[1][2], 'Acme, "Parts" Inc.');
  const changes = pkg.views.Changes_Summary;
  assert.equal(changes[0][10], 'Category');
  const apiChanges = (await ok('GET', '/v1/changes?limit=400')).results;
  assert.equal(changes.length - 1, apiChanges.length);
  for (const change of apiChanges) {
    const row = changes.find((r) => r[1] === change.guid);
    assert.equal(row[3], change.title);
    assert.equal(row[10], change.category?.path ?? '');
  }
  assert.ok(changes.some((r) => r[10].endsWith('\\Engineering Change Order')));

  // Ranges of the download, as a resuming client asks for them.
  const part = await server.request('GET',
    `/v1/extracts/${extract.guid}/runs/${run.guid}/files/${run.files[0].guid}/content`,
    { session, headers: { range: 'bytes=10-109' } });
  assert.equal(part.status, 206);
  assert.equal(part.body.length, 100);
  assert.deepEqual(part.body, body.subarray(10, 110));
  // RFC 9110 section 14: the unit in any case; another unit, several ranges, or an If-Range
  // that cannot match (no validators are sent) get the whole file; out of range is 416.
  const content = `/v1/extracts/${extract.guid}/runs/${run.guid}/files/${run.files[0].guid}/content`;
  const ranged = (headers) => server.request('GET', content, { session, headers });
  const upper = await ranged({ range: 'Bytes=0-3' });
  assert.equal(upper.status, 206);
  assert.deepEqual(upper.body, body.subarray(0, 4));
  for (const headers of [{ range: 'items=0-3' }, { range: 'bytes=0-1,4-5' },
    { range: 'bytes=0-3', 'if-range': '"nope"' }]) {
    const whole = await ranged(headers);
    assert.equal(whole.status, 200, JSON.stringify(headers));
    assert.deepEqual(whole.body, body);
  }
  const beyond = await ranged({ range: `bytes=${body.length}-` });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers['content-range'], `bytes */${body.length}`);
  const listed = await ok('GET', `/v1/extracts/${extract.guid}/runs?status=Completed`);
  assert.equal(listed.count, 1);

  // The completed run is an event carrying the run and file guids.
  const events = (await ok('GET', '/v1/events?after=0&limit=400')).results;
  const done = events.filter((e) => e.type === 'extract.completed' && e.objectGuid === run.guid);
  assert.equal(done.length, 1);
  assert.equal(done[0].after.files[0].guid, run.files[0].guid);
});

test('DATAEXTRACT format escapes with backslashes and truncates to maxTextLength', async () => {
  const extract = await ok('POST', '/v1/extracts', {
    name: 'BI feed', views: ['Items_Summary'], format: 'DATAEXTRACT', maxTextLength: 100,
    neutralizeFormulas: true,
  }, 201);
  const run = await runToCompletion(extract.guid);
  assert.equal(run.status, 'Completed');
  const { file } = await download(extract.guid, run);
  const csv = execFileSync('unzip', ['-p', file, 'Items_Summary.csv'], { encoding: 'utf8' });
  assert.ok(csv.includes('Resistor\\, 10k \\"precision\\"'), csv.slice(0, 300));
  assert.ok(csv.includes('two\\r\\nlines'));
  assert.ok(csv.includes("'=HYPERLINK(\\\"x\\\")"));
  assert.ok(!csv.includes('x'.repeat(101)));
  const manifest = JSON.parse(execFileSync('unzip', ['-p', file, 'manifest.json'],
    { encoding: 'utf8' }));
  assert.equal(manifest.format, 'DATAEXTRACT');
  assert.ok(manifest.truncatedValues >= 1);
});

test('bad definitions and unknown objects are refused with the error body', async () => {
  assertErrorBody(assert, await req('POST', '/v1/extracts', { name: 'x', views: ['Nope'] }), 400);
  assertErrorBody(assert, await req('POST', '/v1/extracts', { name: 'x' }), 400, 3001);
  assertErrorBody(assert, await req('POST', '/v1/extracts',
    { name: 'x', views: ['Items_BOM'], type: 'SOMETIMES' }), 400);
  assertErrorBody(assert, await req('POST', '/v1/extracts',
    { name: 'x', views: ['Items_BOM'], format: 'XLSX' }), 400);
  assertErrorBody(assert, await req('POST', '/v1/extracts',
    { name: 'x', views: ['Items_BOM'], maxTextLength: -1 }), 400);
  assertErrorBody(assert, await req('GET', '/v1/extracts/not-a-guid'), 400, 3011);
  assertErrorBody(assert, await req('GET', '/v1/extracts/AAAAAAAAAAAAAAAAAAAA'), 404, 3012);
  assertErrorBody(assert, await req('POST', '/v1/extracts/AAAAAAAAAAAAAAAAAAAA/runs'), 404);
  const e = await ok('POST', '/v1/extracts', { name: 'Gone', views: ['Items_BOM'] }, 201);
  assertErrorBody(assert, await req('GET',
    `/v1/extracts/${e.guid}/runs/AAAAAAAAAAAAAAAAAAAA/files/AAAAAAAAAAAAAAAAAAAA/content`), 404);
  assert.equal((await req('DELETE', `/v1/extracts/${e.guid}`)).status, 204);
  assertErrorBody(assert, await req('GET', `/v1/extracts/${e.guid}`), 404);
});

test('a viewer reads extracts but cannot define or run them', async () => {
  const e = await ok('POST', '/v1/extracts', { name: 'Shared', views: ['Items_Summary'] }, 201);
  await ok('POST', '/v1/settings/users',
    { email: 'viewer@acme.test', password: 'viewer password 1', role: 'VIEWER' }, 201);
  const viewer = await server.login('viewer@acme.test', 'viewer password 1');
  const as = (method, p, body) => server.request(method, p, { session: viewer, body });
  assert.equal((await as('GET', `/v1/extracts/${e.guid}`)).status, 200);
  assertErrorBody(assert, await as('POST', '/v1/extracts', { name: 'x', views: ['Items_BOM'] }),
    403);
  assertErrorBody(assert, await as('POST', `/v1/extracts/${e.guid}/runs`), 403);
});

test('FULL_DELTA packages hold exactly the changed rows and replay to the current state',
  async () => {
    const keep = await ok('POST', '/v1/items', { name: 'Delta keep', number: 'DL-1' }, 201);
    const rename = await ok('POST', '/v1/items', { name: 'Delta old name', number: 'DL-2' }, 201);
    const drop = await ok('POST', '/v1/items', { name: 'Delta doomed', number: 'DL-3' }, 201);
    const extract = await ok('POST', '/v1/extracts',
      { name: 'Delta feed', views: ['Items_Summary'], type: 'FULL_DELTA' }, 201);
    assert.equal(extract.type, 'FULL_DELTA');

    const first = await runToCompletion(extract.guid);
    assert.equal(first.status, 'Completed', JSON.stringify(first));
    const p1 = readPackage((await download(extract.guid, first)).file);
    const rows1 = p1.views.Items_Summary.slice(1);
    assert.ok(rows1.every((r) => r[0] === 'INSERT'));
    const listed1 = (await ok('GET', '/v1/items?limit=400')).results;
    const missing = listed1.filter((i) => !rows1.some((r) => r[1] === i.guid));
    assert.deepEqual(missing.map((i) => i.number), []);
    assert.equal(rows1.length, listed1.length);

    // An unchanged second run is empty.
    const idle = await runToCompletion(extract.guid);
    const pIdle = readPackage((await download(extract.guid, idle)).file);
    assert.equal(pIdle.views.Items_Summary.length, 1);
    assert.equal(pIdle.manifest.sequenceFrom, p1.manifest.sequenceTo);

    await ok('PUT', `/v1/items/${rename.guid}`, { name: 'Delta new name' });
    assert.equal((await req('DELETE', `/v1/items/${drop.guid}`)).status, 204);
    const added = await ok('POST', '/v1/items', { name: 'Delta newcomer', number: 'DL-4' }, 201);

    const second = await runToCompletion(extract.guid);
    const p2 = readPackage((await download(extract.guid, second)).file);
    const rows2 = p2.views.Items_Summary.slice(1);
    const byType = (t) => rows2.filter((r) => r[0] === t).map((r) => r[1]).sort();
    assert.deepEqual(byType('UPDATE'), [rename.guid]);
    assert.deepEqual(byType('DELETE'), [drop.guid]);
    assert.deepEqual(byType('INSERT'), [added.guid]);
    assert.equal(rows2.find((r) => r[0] === 'DELETE')[2], 'DL-3');  // the key column
    assert.ok(!rows2.some((r) => r[1] === keep.guid));
    assert.equal(p2.manifest.sequenceFrom, pIdle.manifest.sequenceTo);
    assert.ok(p2.manifest.sequenceTo > p2.manifest.sequenceFrom);

    // Replaying the packages in order onto nothing gives what the API shows now.
    const replica = new Map();
    for (const pkg of [p1, pIdle, p2]) {
      for (const r of pkg.views.Items_Summary.slice(1)) {
        if (r[0] === 'DELETE') replica.delete(r[1]);
        else replica.set(r[1], r[3]);
      }
    }
    const now = (await ok('GET', '/v1/items?limit=400')).results;
    assert.deepEqual(now.filter((i) => !replica.has(i.guid)).map((i) => i.number), []);
    assert.equal(replica.size, now.length);
    for (const item of now) assert.equal(replica.get(item.guid), item.name);
  });

test('maxTextLength never cuts the header, the Trans Type or the Guid', async () => {
  const extract = await ok('POST', '/v1/extracts',
    { name: 'Short values', views: ['Suppliers_Summary'], maxTextLength: 3 }, 201);
  const run = await runToCompletion(extract.guid);
  assert.equal(run.status, 'Completed', JSON.stringify(run));
  const pkg = readPackage((await download(extract.guid, run)).file);
  const [header, ...rows] = pkg.views.Suppliers_Summary;
  assert.deepEqual(header.slice(0, 3), ['Trans Type', 'Guid', 'Supplier Name']);
  const suppliers = (await ok('GET', '/v1/suppliers?limit=400')).results;
  assert.deepEqual(rows.map((r) => r[1]).sort(), suppliers.map((x) => x.guid).sort());
  for (const r of rows) {
    assert.equal(r[0], 'INSERT');
    assert.ok(r.slice(2).every((v) => [...v].length <= 3), JSON.stringify(r));
  }
  assert.ok(pkg.manifest.truncatedValues >= 1);
});

test('FULL_DELTA goes on per view when a view is taken out of the extract and put back',
  async () => {
    const doomed = await ok('POST', '/v1/suppliers', { name: 'Delta Tmp Supplier' }, 201);
    const extract = await ok('POST', '/v1/extracts',
      { name: 'View swap', views: ['Suppliers_Summary'], type: 'FULL_DELTA' }, 201);
    const packages = [];
    const runAndRead = async () => {
      const run = await runToCompletion(extract.guid);
      assert.equal(run.status, 'Completed', JSON.stringify(run));
      packages.push(readPackage((await download(extract.guid, run)).file));
      return packages.at(-1);
    };
    const p1 = await runAndRead();
    assert.ok(p1.views.Suppliers_Summary.some((r) => r[1] === doomed.guid));
    await ok('PUT', `/v1/extracts/${extract.guid}`, { views: ['Changes_Summary'] });
    const p2 = await runAndRead();
    assert.equal(p2.views.Suppliers_Summary, undefined);
    assert.equal((await req('DELETE', `/v1/suppliers/${doomed.guid}`)).status, 204);
    await ok('PUT', `/v1/extracts/${extract.guid}`, { views: ['Suppliers_Summary'] });
    const p3 = await runAndRead();
    const rows3 = p3.views.Suppliers_Summary.slice(1);
    assert.deepEqual(rows3.map((r) => [r[0], r[1]]), [['DELETE', doomed.guid]]);

    // Replayed in order, the suppliers' packages give what the API lists now.
    const replica = new Map();
    for (const pkg of packages) {
      for (const r of (pkg.views.Suppliers_Summary ?? []).slice(1)) {
        if (r[0] === 'DELETE') replica.delete(r[1]);
        else replica.set(r[1], r[2]);
      }
    }
    const now = (await ok('GET', '/v1/suppliers?limit=400')).results;
    assert.deepEqual([...replica.keys()].sort(), now.map((x) => x.guid).sort());
  });

test('runs/latestCompleted is the newest completed run, 404 before the first', async () => {
  const ex = await ok('POST', '/v1/extracts', { name: 'Latest', views: ['Items_Summary'] }, 201);
  assertErrorBody(assert, await server.request('GET', `/v1/extracts/${ex.guid}/runs/latestCompleted`,
    { session }), 404);
  const first = await runToCompletion(ex.guid);
  const second = await runToCompletion(ex.guid);
  assert.equal(second.status, 'Completed');
  const latest = await ok('GET', `/v1/extracts/${ex.guid}/runs/latestCompleted`);
  assert.equal(latest.guid, second.guid);
  assert.notEqual(latest.guid, first.guid);
  assert.equal(latest.files[0].guid, second.files[0].guid);
  assertErrorBody(assert, await server.request('GET', '/v1/extracts/nope/runs/latestCompleted',
    { session }), 400, 3011);
});
