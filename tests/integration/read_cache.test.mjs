// The read cache of single-object GETs (src/api/read_cache.h) against the real server: a cached
// answer never outlives a commit, whether the commit changed that object, another object its
// answer shows (a BOM line of a parent), or came from another process writing the database;
// and a cached answer never crosses workspaces.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startServer, initDataDir } from '../lib/arenite.mjs';

let server, session, other, otherSession;
const req = (method, p, body, s = session) => server.request(method, p, { body, session: s });
async function createItem(body) {
  const res = await req('POST', '/v1/items', body);
  assert.equal(res.status, 201, res.text);
  return res.json;
}
async function cacheLookups(result) {
  const metrics = await server.request('GET', '/metrics');
  const m = metrics.text.match(new RegExp(`arenite_read_cache_lookups_total\\{result="${result}"\\} (\\d+)`));
  assert.ok(m, 'the read cache counts its lookups');
  return Number(m[1]);
}
// Reads an item twice, so that the second answer comes from the cache, and returns it. A
// background commit of the server (a session's last use written back) between the two reads
// makes the second a miss, so it tries a few times.
async function readTwice(guid, s = session) {
  for (let attempt = 0; ; ++attempt) {
    const hits = await cacheLookups('hit');
    const first = await req('GET', `/v1/items/${guid}`, undefined, s);
    const second = await req('GET', `/v1/items/${guid}`, undefined, s);
    assert.equal(second.status, first.status);
    assert.deepEqual(second.json, first.json);
    const hit = (await cacheLookups('hit')) > hits;
    if (hit || attempt === 4) return { res: second, hit };
  }
}

before(async () => {
  const main = initDataDir();
  other = initDataDir({ dataDir: main.dataDir, workspace: 'Other', email: 'admin@other.test' });
  server = await startServer({ dataDir: main.dataDir });
  Object.assign(server, { email: main.email, password: main.password });
  session = await server.login();
  otherSession = await server.login(other.email, other.password);
});
after(async () => { await server?.stop(); });

test('a second read of an unchanged item is served from the cache', async () => {
  const item = await createItem({ name: 'Cached bracket' });
  const { res, hit } = await readTwice(item.guid);
  assert.equal(res.status, 200);
  assert.equal(res.json.name, 'Cached bracket');
  assert.ok(hit, 'the second read was a cache hit');
});

test('an update is seen at once by the next read', async () => {
  const item = await createItem({ name: 'Before', description: 'one' });
  await readTwice(item.guid);
  const put = await req('PUT', `/v1/items/${item.guid}`, { name: 'After', description: 'two' });
  assert.equal(put.status, 200, put.text);
  const got = await req('GET', `/v1/items/${item.guid}`);
  assert.equal(got.json.name, 'After');
  assert.equal(got.json.description, 'two');
  const del = await req('DELETE', `/v1/items/${item.guid}`);
  assert.equal(del.status, 204);
  assert.equal((await req('GET', `/v1/items/${item.guid}`)).status, 404);
});

test('a change to another object that the answer shows is seen at once', async () => {
  const top = await createItem({ name: 'Cache top' });
  const part = await createItem({ name: 'Cache part' });
  const { res } = await readTwice(part.guid);
  assert.equal(res.json.inAssembly, false);
  const line = await req('POST', `/v1/items/${top.guid}/bom`, { item: { guid: part.guid }, quantity: 2 });
  assert.equal(line.status, 201, line.text);
  const got = await req('GET', `/v1/items/${part.guid}`);
  assert.equal(got.json.inAssembly, true, 'the child now shows it is used in an assembly');
  // The BOM line itself is a cached short read too.
  const path1 = `/v1/items/${top.guid}/bom/${line.json.guid}`;
  assert.equal((await req('GET', path1)).json.quantity, 2);
  assert.equal((await req('GET', path1)).json.quantity, 2);
  assert.equal((await req('PUT', path1, { quantity: 5 })).status, 200);
  assert.equal((await req('GET', path1)).json.quantity, 5);
});

test('a commit by another process is seen at once', async () => {
  const item = await createItem({ name: 'Written elsewhere' });
  const { hit } = await readTwice(item.guid);
  assert.ok(hit);
  // The sqlite3 tool, as any other process on the host could, renames it in the database file.
  execFileSync('sqlite3', [path.join(server.dataDir, 'arenite.db'),
    `UPDATE item_revisions SET name = 'Renamed outside' WHERE item_guid = '${item.guid}'`]);
  const got = await req('GET', `/v1/items/${item.guid}`);
  assert.equal(got.json.name, 'Renamed outside');
});

test('a cached answer never reaches another workspace', async () => {
  const item = await createItem({ name: 'Only for Acme' });
  const { res } = await readTwice(item.guid);
  assert.equal(res.status, 200);
  const foreign = await req('GET', `/v1/items/${item.guid}`, undefined, otherSession);
  assert.equal(foreign.status, 404);
  assert.ok(!foreign.text.includes('Only for Acme'));
});

test('HEAD of a cached object answers 200 without a body; a supplier\'s edit is seen at once', async () => {
  const item = await createItem({ name: 'Headed' });
  await readTwice(item.guid);
  const head = await server.request('HEAD', `/v1/items/${item.guid}`, { session });
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  const supplier = await req('POST', '/v1/suppliers', { name: 'Cache Supply', supplierId: 'cachesupply' });
  assert.equal(supplier.status, 201, supplier.text);
  const p = `/v1/suppliers/${supplier.json.guid}`;
  assert.equal((await req('GET', p)).json.description ?? null, null);
  assert.equal((await req('GET', p)).json.description ?? null, null);
  assert.equal((await req('PUT', p, { description: 'Board house' })).status, 200);
  assert.equal((await req('GET', p)).json.description, 'Board house');
});

test('the cache is keyed by path: query strings do not make entries of their own', async () => {
  const item = await createItem({ name: 'Queried' });
  let hit = false;
  for (let attempt = 0; attempt < 5 && !hit; ++attempt) {  // see readTwice
    await readTwice(item.guid);
    const hits = await cacheLookups('hit');
    const got = await req('GET', `/v1/items/${item.guid}?x=${attempt}`);
    assert.equal(got.json.name, 'Queried');
    hit = (await cacheLookups('hit')) > hits;
  }
  assert.ok(hit, 'the answer cached for the path served it');
});
