// `serve --demo` fills the demo workspace with items, BOMs, suppliers and changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/arenite.mjs';

let server, session;
before(async () => {
  server = await startServer({ init: false, args: ['--demo'] });
  const creds = server.lines.find((l) => l.event === 'demo');
  session = await server.login(creds.email, creds.password);
});
after(async () => { await server?.stop(); });

test('the demo workspace holds realistic PLM data', async () => {
  const get = async (p) => {
    const res = await server.request('GET', p, { session });
    assert.equal(res.status, 200, `${p}: ${res.text}`);
    return res.json;
  };
  const items = await get('/v1/items?limit=400&offset=1600');
  assert.equal(items.count, 400, 'about 2,000 items');
  const pcbas = await get('/v1/items?name=PCBA*&limit=5');
  assert.ok(pcbas.count > 0);
  const bom = await get(`/v1/items/${pcbas.results[0].guid}/bom`);
  assert.ok(bom.count >= 1);
  assert.ok(bom.results[0].item.number);
  const resistors = await get('/v1/items?name=RES*&limit=5');
  assert.ok(resistors.count > 0);
  const used = await get(`/v1/items/${bom.results[0].item.guid}/whereused`);
  assert.ok(used.count >= 1);
  const changes = await get('/v1/changes?limit=400');
  const statuses = new Set(changes.results.map((c) => c.lifecycleStatus.type));
  for (const s of ['OPEN_AND_UNLOCKED', 'OPEN_AND_LOCKED', 'SUBMITTED_FOR_APPROVAL', 'APPROVED',
    'REJECTED', 'CANCELED', 'EFFECTIVE', 'COMPLETED', 'EXPIRED']) {
    assert.ok(statuses.has(s), `a change in ${s}`);
  }
  // Expired deviations were in effect before they expired, and expired in the past.
  for (const c of changes.results.filter((x) => x.lifecycleStatus.type === 'EXPIRED')) {
    assert.equal(c.effectivityType, 'TEMPORARY');
    assert.ok(Date.parse(c.expirationDateTime) <= Date.now(), c.expirationDateTime);
    assert.ok(Date.parse(c.expirationDateTime) >= Date.parse(c.effectiveDateTime), JSON.stringify(c));
  }
  const effective = changes.results.find((c) => c.lifecycleStatus.type === 'EFFECTIVE');
  assert.ok((await get(`/v1/changes/${effective.guid}/items`)).count >= 1);
  assert.ok((await get('/v1/suppliers')).count >= 8);
  const sis = await get('/v1/supplieritems?limit=5');
  assert.ok(sis.count > 0);
  const released = (await get('/v1/items?limit=400')).results.find((i) => i.revisionStatus === 'EFFECTIVE');
  assert.ok(released, 'some items are released');
  const revs = await get(`/v1/items/${released.guid}/revisions`);
  assert.ok(revs.results.some((r) => r.revisionStatus === 'WORKING'));
});

test('arenite demo-data fills a workspace deterministically and refuses bad usage', async () => {
  const { spawnSync } = await import('node:child_process');
  const { bin, initDataDir } = await import('../lib/arenite.mjs');
  const a = initDataDir();
  const run = (args) => spawnSync(bin, ['demo-data', ...args], { encoding: 'utf8' });
  const bad = run(['--data-dir', a.dataDir, '--workspace', 'not-a-guid']);
  assert.equal(bad.status, 2);
  const unknown = run(['--data-dir', a.dataDir, '--workspace', 'AAAAAAAAAAAAAAAAAAAA']);
  assert.equal(unknown.status, 1);
  const first = run(['--data-dir', a.dataDir, '--workspace', a.workspaceId, '--items', '300',
    '--seed', '5']);
  assert.equal(first.status, 0, first.stderr);
  const counts = JSON.parse(first.stdout.trim());
  assert.equal(counts.items, 300);
  const b = initDataDir();
  const second = run(['--data-dir', b.dataDir, '--workspace', b.workspaceId, '--items', '300',
    '--seed', '5']);
  const again = JSON.parse(second.stdout.trim());
  delete counts.elapsedMs;
  delete again.elapsedMs;
  assert.deepEqual(again, counts, 'the same seed gives the same data');
});
