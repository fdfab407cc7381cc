// DataExtract runs under stress, on a demo workspace large enough for a run to take a while:
// writes during a run never make a package half old and half new; a run can be cancelled; and a
// run cut short by kill -9 is marked Failed, with its partial files removed, at the next start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, initDataDir, bin } from '../lib/arenite.mjs';

const ITEMS = 30000;
let ws, server, session;
const req = (method, p, body) => server.request(method, p, { session, body });
async function ok(method, p, body, status = 200) {
  const res = await req(method, p, body);
  assert.equal(res.status, status, `${method} ${p}: ${res.text}`);
  return res.json;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start() {
  server = await startServer({ dataDir: ws.dataDir });
  session = await server.login(ws.email, ws.password);
}

async function finished(extractGuid, runGuid) {
  for (let i = 0; i < 1200; i++) {
    const run = await ok('GET', `/v1/extracts/${extractGuid}/runs/${runGuid}`);
    if (run.status !== 'InProcess') return run;
    await sleep(50);
  }
  throw new Error('the run did not finish');
}

// Waits until the run has written rows (so it is mid-way), answering the run.
async function underway(extractGuid, runGuid) {
  for (let i = 0; i < 2000; i++) {
    const run = await ok('GET', `/v1/extracts/${extractGuid}/runs/${runGuid}`);
    if (run.status !== 'InProcess') throw new Error(`the run ended early: ${JSON.stringify(run)}`);
    if (run.progress.rowsWritten > 0) return run;
    await sleep(5);
  }
  throw new Error('the run never got going');
}

const packageDir = () => path.join(ws.dataDir, 'extracts', ws.workspaceId);
const filesOf = (runGuid) => {
  try {
    return readdirSync(packageDir()).filter((f) => f.includes(runGuid));
  } catch {
    return [];
  }
};

before(async () => {
  ws = initDataDir();
  execFileSync(bin, ['demo-data', '--data-dir', ws.dataDir, '--workspace', ws.workspaceId,
    '--items', String(ITEMS), '--seed', '3'], { stdio: 'ignore' });
  await start();
});

after(async () => { await server?.stop(); });

test('a run during concurrent writes holds exactly one snapshot', async () => {
  const VIEWS = ['Items_Summary', 'Items_BOM', 'Items_Sourcing', 'Changes_Summary'];
  const extract = await ok('POST', '/v1/extracts', { name: 'Busy', views: VIEWS }, 201);
  const parent = await ok('POST', '/v1/items', { name: 'Growing assembly', number: 'BUSY-0' }, 201);

  // Writers: each creates an item and puts it in the assembly's BOM, until the run ends.
  let running = true;
  const created = [];
  const writer = async (w) => {
    for (let i = 0; running; i++) {
      const item = await ok('POST', '/v1/items', { name: `Busy ${w}.${i}` }, 201);
      await ok('POST', `/v1/items/${parent.guid}/bom`, { item: { guid: item.guid }, quantity: 1 },
        201);
      created.push(item.guid);
    }
  };
  // A releaser makes the writers' items effective one by one, so that the shown revision of BOM
  // children changes while the run reads them.
  const released = [];
  const releaser = async () => {
    for (let i = 0; running; i++) {
      const item = created[released.length];
      if (!item) {
        await sleep(5);
        continue;
      }
      const change = await ok('POST', '/v1/changes', { title: `Busy release ${i}` }, 201);
      await ok('POST', `/v1/changes/${change.guid}/items`, { newItemRevision: { guid: item } }, 201);
      for (const status of ['SUBMITTED', 'APPROVED']) {
        await ok('POST', '/v1/changes/statuschanges', { change: { guid: change.guid }, status }, 201);
      }
      released.push(item);
    }
  };
  const writers = [writer(1), writer(2), releaser()];
  for (let i = 0; i < 400 && released.length < 3; i++) await sleep(10);
  assert.ok(released.length >= 3, 'items released before the run');
  const started = await ok('POST', `/v1/extracts/${extract.guid}/runs`, undefined, 201);
  const run = await finished(extract.guid, started.guid);
  await sleep(200);
  running = false;
  await Promise.all(writers);
  assert.equal(run.status, 'Completed', JSON.stringify(run));

  const file = path.join(ws.dataDir, 'busy.zip');
  const res = await server.request('GET',
    `/v1/extracts/${extract.guid}/runs/${run.guid}/files/${run.files[0].guid}/content`, { session });
  writeFileSync(file, res.body);
  const script = `
import zipfile, csv, io, json, sys
z = zipfile.ZipFile(sys.argv[1])
m = json.loads(z.read('manifest.json'))
v = {f['view']: list(csv.reader(io.StringIO(z.read(f['name']).decode(), newline='')))[1:]
     for f in m['files']}
print(json.dumps({'sequenceTo': m['sequenceTo'],
                  'items': [[r[1], r[2], r[4]] for r in v['Items_Summary']],
                  'bomChildren': [[r[5], r[6], r[7]] for r in v['Items_BOM']],
                  'bomLines': [r[1] for r in v['Items_BOM'] if r[2] == sys.argv[2]]}))
`;
  const pkg = JSON.parse(execFileSync('python3', ['-c', script, file, parent.guid],
    { encoding: 'utf8', maxBuffer: 64 << 20 }));
  const items = new Map(pkg.items.map(([guid, number, revision]) => [guid, [number, revision]]));
  assert.ok(items.size > ITEMS);

  // Every BOM line's child is in the same package's Items_Summary, though Items_BOM was read
  // after it while items kept arriving, and with the number and shown revision it has there
  // (many of the demo's children are released, so their revisions have numbers).
  const orphans = pkg.bomChildren.filter(([g]) => !items.has(g));
  assert.deepEqual(orphans.slice(0, 5), []);
  const mislabelled = pkg.bomChildren.filter(([g, number, revision]) =>
    items.get(g)?.[0] !== number || items.get(g)?.[1] !== revision);
  assert.deepEqual(mislabelled.slice(0, 5), []);
  assert.ok(pkg.bomChildren.some(([, , revision]) => revision !== ''), 'released children');
  const releasedChildren = new Set(released);
  assert.ok(pkg.bomChildren.some(([g, , revision]) => releasedChildren.has(g) && revision !== ''),
    'children released during the writes show their new revision');

  // The package holds exactly the writers' items whose creation precedes its sequenceTo.
  const events = [];
  for (let cursor = 0; ;) {
    const page = (await ok('GET', `/v1/events?after=${cursor}&limit=400`)).results;
    if (page.length === 0) break;
    events.push(...page);
    cursor = page[page.length - 1].sequence;
  }
  const createdAt = new Map(events.filter((e) => e.type === 'item.created')
    .map((e) => [e.objectGuid, e.sequence]));
  const before = created.filter((g) => createdAt.get(g) <= pkg.sequenceTo);
  const later = created.filter((g) => createdAt.get(g) > pkg.sequenceTo);
  assert.ok(before.length > 0 && later.length > 0,
    `writes both before and during the run: ${before.length} and ${later.length}`);
  assert.deepEqual(before.filter((g) => !items.has(g)), []);
  assert.deepEqual(later.filter((g) => items.has(g)), []);
  // A writer's item may be in the snapshot while its BOM line, written just after, is not.
  const unlined = before.length - pkg.bomLines.length;
  assert.ok(unlined >= 0 && unlined <= 2, `${before.length} items, ${pkg.bomLines.length} lines`);
});

test('DELETE cancels a run in process: Aborted, no package, no partial files', async () => {
  const extract = await ok('POST', '/v1/extracts', { name: 'Cancelled',
    views: ['Items_Summary', 'Items_BOM', 'Items_Sourcing', 'Changes_Items'] }, 201);
  const started = await ok('POST', `/v1/extracts/${extract.guid}/runs`, undefined, 201);
  await underway(extract.guid, started.guid);
  const aborting = await req('DELETE', `/v1/extracts/${extract.guid}/runs/${started.guid}`);
  assert.equal(aborting.status, 202, aborting.text);
  const run = await finished(extract.guid, started.guid);
  assert.equal(run.status, 'Aborted');
  assert.deepEqual(run.files, []);
  assert.deepEqual(filesOf(started.guid), []);
  assert.equal((await req('DELETE', `/v1/extracts/${extract.guid}/runs/${started.guid}`)).status,
    409);
  // The extract runs again afterwards.
  const again = await ok('POST', `/v1/extracts/${extract.guid}/runs`, undefined, 201);
  assert.equal((await finished(extract.guid, again.guid)).status, 'Completed');
});

test('kill -9 during a run: at restart the run is Failed and its partial files are gone',
  async () => {
    const extract = await ok('POST', '/v1/extracts', { name: 'Crashed',
      views: ['Items_Summary', 'Items_BOM', 'Items_Sourcing', 'Supplier_Items_Summary'] }, 201);
    const started = await ok('POST', `/v1/extracts/${extract.guid}/runs`, undefined, 201);
    await underway(extract.guid, started.guid);
    // The run writes its parts and archive as files without names (O_TMPFILE) in the package
    // directory: the process holds them open, and a kill leaves nothing to clean up.
    const unnamed = readdirSync(`/proc/${server.proc.pid}/fd`).map((fd) => {
      try { return readlinkSync(`/proc/${server.proc.pid}/fd/${fd}`); } catch { return ''; }
    }).filter((target) => target.startsWith(packageDir()) && target.endsWith('(deleted)'));
    assert.ok(unnamed.length > 0, 'unnamed partial files are open while the run is in process');
    assert.deepEqual(filesOf(started.guid), []);
    assert.equal(await server.stop('SIGKILL'), null);

    await start();
    const run = await ok('GET', `/v1/extracts/${extract.guid}/runs/${started.guid}`);
    assert.equal(run.status, 'Failed');
    assert.match(run.failureReason, /stopped/);
    assert.deepEqual(run.files, []);
    assert.deepEqual(filesOf(started.guid), []);
    const again = await ok('POST', `/v1/extracts/${extract.guid}/runs`, undefined, 201);
    const done = await finished(extract.guid, again.guid);
    assert.equal(done.status, 'Completed');
    assert.deepEqual(filesOf(again.guid), [done.files[0].name]);
  });
