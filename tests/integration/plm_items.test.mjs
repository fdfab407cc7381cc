// Items, revisions, BOM lines, where-used, lookups, lists and bad input against the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';

let server, session;
const req = (method, path, body, opts = {}) =>
  server.request(method, path, { body, session, ...opts });
async function createItem(body) {
  const res = await req('POST', '/v1/items', body);
  assert.equal(res.status, 201, res.text);
  return res.json;
}
async function lastSequence() {
  let after = 0;
  for (;;) {
    const res = await req('GET', `/v1/events?after=${after}&limit=400`);
    assert.equal(res.status, 200);
    if (res.json.count === 0) return after;
    after = res.json.results.at(-1).sequence;
  }
}
async function eventsSince(seq) {
  const res = await req('GET', `/v1/events?after=${seq}&limit=400`);
  assert.equal(res.status, 200, res.text);
  return res.json.results;
}

before(async () => {
  server = await startServer();
  session = await server.login();
});
after(async () => { await server?.stop(); });

test('lookups: categories as a tree with paths, phases with stages, number formats', async () => {
  const cats = await req('GET', '/v1/settings/items/categories?limit=400');
  assert.equal(cats.status, 200);
  const resistor = cats.json.results.find((c) => c.path === 'Parts\\Electrical\\Resistor');
  assert.ok(resistor, 'seeded resistor category');
  assert.equal(resistor.name, 'Resistor');
  assert.equal(resistor.level, 3);
  const electrical = cats.json.results.find((c) => c.guid === resistor.parentCategory.guid);
  assert.equal(electrical.path, 'Parts\\Electrical');
  assert.equal(electrical.structural, true);
  // One category by its guid, as in the list.
  const one = await req('GET', `/v1/settings/items/categories/${resistor.guid}`);
  assert.equal(one.status, 200);
  assert.deepEqual(one.json, resistor);
  assertErrorBody(assert, await req('GET', '/v1/settings/items/categories/AAAAAAAAAAAAAAAAAAAA'), 404);
  assertErrorBody(assert, await req('GET', '/v1/settings/items/categories/nope'), 400, 3011);
  const phases = await req('GET', '/v1/settings/items/lifecyclephases');
  assert.equal(phases.status, 200);
  const stages = new Set(phases.json.results.map((p) => p.stage));
  assert.deepEqual([...stages].sort(), ['DESIGN', 'PRELIMINARY', 'PRODUCTION']);
  for (const p of phases.json.results) assert.ok(p.guid && p.name && p.shortName);
  const formats = await req('GET', '/v1/settings/items/numberformats');
  assert.equal(formats.status, 200);
  assert.ok(formats.json.results.some((f) => f.default && f.objectType === 'ITEM'));
});

test('create, read, update and delete an item, with an event for each', async () => {
  const seq = await lastSequence();
  const item = await createItem({ name: 'Bracket, steel', description: 'L-shaped', uom: 'each',
    standardCost: 1.25, owner: { fullName: 'Pat Engineer' } });
  assert.match(item.guid, /^[0-9A-Z]{20}$/);
  assert.match(item.number, /^ITM-\d{6}$/);
  assert.equal(item.name, 'Bracket, steel');
  assert.equal(item.revisionStatus, 'WORKING');
  assert.equal(item.lifecyclePhase.name, 'Unreleased');
  assert.equal(item.standardCost, 1.25);
  assert.equal(item.owner.fullName, 'Pat Engineer');
  assert.match(item.creationDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  const got = await req('GET', `/v1/items/${item.guid}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.json, item);

  const put = await req('PUT', `/v1/items/${item.guid}`, { name: 'Bracket, stainless' });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.name, 'Bracket, stainless');
  assert.equal(put.json.description, 'L-shaped', 'absent fields are kept');
  const cleared = await req('PUT', `/v1/items/${item.guid}?setnull=true`, { description: null });
  assert.equal(cleared.json.description, null);

  const del = await req('DELETE', `/v1/items/${item.guid}`);
  assert.equal(del.status, 204);
  assertErrorBody(assert, await req('GET', `/v1/items/${item.guid}`), 404, 3012);

  const events = await eventsSince(seq);
  assert.deepEqual(events.map((e) => e.type),
    ['item.created', 'item.updated', 'item.updated', 'item.deleted']);
  for (let i = 1; i < events.length; i++) {
    assert.equal(events[i].sequence, events[i - 1].sequence + 1, 'sequence has no gaps');
  }
  assert.equal(events[0].objectGuid, item.guid);
  assert.equal(events[0].objectType, 'ITEM');
  assert.equal(events[0].before, null);
  assert.equal(events[0].after.name, 'Bracket, steel');
  assert.equal(events[1].before.name, 'Bracket, steel');
  assert.equal(events[1].after.name, 'Bracket, stainless');
  assert.equal(events[3].before.name, 'Bracket, stainless');
  assert.equal(events[3].after, null);
  assert.match(events[0].actor, /^user:/);
  assert.match(events[0].guid, /^[0-9A-Z]{20}$/);
});

test('"shared": false, as Arena\'s create sample sends it, is what every item is', async () => {
  const shared = await createItem({ name: 'Arena sample', shared: false });
  assert.equal(shared.name, 'Arena sample');
  assertErrorBody(assert, await req('POST', '/v1/items', { name: 'Shared', shared: true }), 400, 3003);
  assertErrorBody(assert, await req('PUT', `/v1/items/${shared.guid}`, { shared: 'no' }), 400);
  assert.equal((await req('PUT', `/v1/items/${shared.guid}`, { shared: false })).status, 200);
});

test('category number formats and duplicate numbers (409, 3025, no event)', async () => {
  const cats = await req('GET', '/v1/settings/items/categories?limit=400');
  const cap = cats.json.results.find((c) => c.path === 'Parts\\Electrical\\Capacitor');
  const a = await createItem({ name: 'Cap 10uF', category: { guid: cap.guid } });
  assert.match(a.number, /^210-\d{5}$/);
  assert.equal(a.category.path, 'Parts\\Electrical\\Capacitor');
  const b = await createItem({ name: 'Manual', number: 'DUP-0001' });
  assert.equal(b.number, 'DUP-0001');
  const seq = await lastSequence();
  assertErrorBody(assert, await req('POST', '/v1/items', { name: 'Again', number: 'DUP-0001' }),
    409, 3025);
  assertErrorBody(assert, await req('PUT', `/v1/items/${a.guid}`, { number: 'DUP-0001' }),
    409, 3025);
  // Arena's renumbering by numberFormat fields is not done: refused, not a 200 that did nothing.
  assertErrorBody(assert, await req('PUT', `/v1/items/${a.guid}`,
    { numberFormat: { guid: cap.guid, fields: [{ value: '10-0002-01' }] } }), 400, 3003);
  assert.equal(await lastSequence(), seq, 'a failed mutation records no event');
  const structural = cats.json.results.find((c) => c.path === 'Parts');
  assertErrorBody(assert, await req('POST', '/v1/items',
    { name: 'X', category: { guid: structural.guid } }), 400, 3007);
});

test('BOM lines: add, read, update, delete, where-used, events', async () => {
  const top = await createItem({ name: 'Top assembly' });
  const part = await createItem({ name: 'Screw M3' });
  const seq = await lastSequence();
  const line = await req('POST', `/v1/items/${top.guid}/bom`,
    { item: { guid: part.guid }, quantity: 3, refDes: 'S1-S3', notes: 'torque 1 Nm' });
  assert.equal(line.status, 201, line.text);
  assert.match(line.json.guid, /^[0-9A-Z]{20}$/);
  assert.equal(line.json.lineNumber, 1);
  assert.equal(line.json.quantity, 3);
  assert.equal(line.json.item.guid, part.guid);
  assert.equal(line.json.item.number, part.number);
  const bom = await req('GET', `/v1/items/${top.guid}/bom`);
  assert.equal(bom.json.count, 1);
  const one = await req('GET', `/v1/items/${top.guid}/bom/${line.json.guid}`);
  assert.equal(one.json.refDes, 'S1-S3');
  const put = await req('PUT', `/v1/items/${top.guid}/bom/${line.json.guid}`, { quantity: 4 });
  assert.equal(put.status, 200);
  assert.equal(put.json.quantity, 4);
  assert.equal(put.json.refDes, 'S1-S3');
  // Arena's reference designator checks: a range descends, a designator has no number.
  const badRange = await req('PUT', `/v1/items/${top.guid}/bom/${line.json.guid}`, { refDes: 'S3-S1' });
  assertErrorBody(assert, badRange, 400, 3036);
  assert.match(badRange.json.errors[0].message, /Invalid reference designator range: S3-S1/);
  assertErrorBody(assert, await req('POST', `/v1/items/${top.guid}/bom`,
    { item: { guid: part.guid }, quantity: 1, refDes: 'S4, S' }), 400, 3036);
  assert.equal((await req('GET', `/v1/items/${top.guid}/bom`)).json.count, 1);
  const used = await req('GET', `/v1/items/${part.guid}/whereused`);
  assert.equal(used.json.count, 1);
  assert.equal(used.json.results[0].item.guid, top.guid);
  assertErrorBody(assert, await req('DELETE', `/v1/items/${part.guid}`), 409);
  assert.equal((await req('DELETE', `/v1/items/${top.guid}/bom/${line.json.guid}`)).status, 204);
  assert.equal((await req('GET', `/v1/items/${top.guid}/bom`)).json.count, 0);
  const events = await eventsSince(seq);
  assert.deepEqual(events.map((e) => [e.type, e.objectType, e.objectGuid]), [
    ['item.updated', 'BOM_LINE', top.guid], ['item.updated', 'BOM_LINE', top.guid],
    ['item.updated', 'BOM_LINE', top.guid]]);
  assert.equal(events[0].before, null);
  assert.equal(events[1].before.quantity, 3);
  assert.equal(events[1].after.quantity, 4);
  assert.equal(events[2].after, null);
  assertErrorBody(assert, await req('POST', `/v1/items/${top.guid}/bom`,
    { item: { guid: part.guid }, quantity: 0 }), 400, 3227);
  assertErrorBody(assert, await req('POST', `/v1/items/${top.guid}/bom`,
    { item: { guid: 'AAAAAAAAAAAAAAAAAAAA' } }), 400);
});

test('BOM cycles of depth 1 to 6 are refused with 409 3037, and nothing is recorded', async () => {
  const chain = [];
  for (let i = 0; i < 7; i++) chain.push(await createItem({ name: `Level ${i}` }));
  for (let i = 0; i < 6; i++) {
    const res = await req('POST', `/v1/items/${chain[i].guid}/bom`,
      { item: { guid: chain[i + 1].guid }, quantity: 1 });
    assert.equal(res.status, 201, res.text);
  }
  assertErrorBody(assert, await req('POST', `/v1/items/${chain[0].guid}/bom`,
    { item: { guid: chain[0].guid }, quantity: 1 }), 409, 3037);
  const seq = await lastSequence();
  for (let depth = 1; depth <= 6; depth++) {
    // chain[depth] contains chain[0] at `depth` levels below it would close a loop.
    const res = await req('POST', `/v1/items/${chain[depth].guid}/bom`,
      { item: { guid: chain[0].guid }, quantity: 1 });
    assertErrorBody(assert, res, 409, 3037);
  }
  assert.equal(await lastSequence(), seq);
  // A shared sub-assembly (a diamond) is not a cycle.
  const other = await createItem({ name: 'Other top' });
  assert.equal((await req('POST', `/v1/items/${other.guid}/bom`,
    { item: { guid: chain[3].guid }, quantity: 2 })).status, 201);
});

test('lists: pagination edges, prefix search with escaped wildcards, filters', async () => {
  const cats = await req('GET', '/v1/settings/items/categories?limit=400');
  const res = cats.json.results.find((c) => c.path === 'Parts\\Electrical\\Resistor');
  for (let i = 0; i < 5; i++) {
    await createItem({ name: `Resistor_${i} 10k`, category: { guid: res.guid } });
  }
  await createItem({ name: 'Resistorless widget' });
  await createItem({ name: 'Resistor%x' });
  assertErrorBody(assert, await req('GET', '/v1/items?limit=0'), 400, 3041);
  assertErrorBody(assert, await req('GET', '/v1/items?limit=401'), 400, 3041);
  assertErrorBody(assert, await req('GET', '/v1/items?offset=-1'), 400, 3041);
  assertErrorBody(assert, await req('GET', '/v1/items?limit=abc'), 400, 3041);
  const all = await req('GET', '/v1/items?limit=400');
  assert.equal(all.status, 200);
  assert.equal(all.json.count, all.json.results.length);
  const past = await req('GET', `/v1/items?offset=${all.json.count + 10}`);
  assert.equal(past.status, 200);
  assert.deepEqual(past.json, { count: 0, results: [] });
  const page = await req('GET', '/v1/items?limit=2&offset=1');
  assert.equal(page.json.count, 2);
  assert.equal(page.json.results[0].guid, all.json.results[1].guid);

  const prefix = await req('GET', `/v1/items?name=${encodeURIComponent('Resistor_*')}`);
  assert.equal(prefix.json.count, 5, 'the _ is literal, not a wildcard');
  const pct = await req('GET', `/v1/items?name=${encodeURIComponent('Resistor%*')}`);
  assert.equal(pct.json.count, 1);
  const wide = await req('GET', '/v1/items?name=Resistor*&limit=400');
  assert.equal(wide.json.count, 7);
  const exact = await req('GET', `/v1/items?name=${encodeURIComponent('Resistor_0 10k')}`);
  assert.equal(exact.json.count, 1);
  const byCat = await req('GET', `/v1/items?category=${res.guid}&limit=400`);
  assert.equal(byCat.json.count, 5);
  const byCatGuid = await req('GET', `/v1/items?category.guid=${res.guid}&limit=400`);
  assert.equal(byCatGuid.json.count, 5);
  const phases = await req('GET', '/v1/settings/items/lifecyclephases');
  const unrel = phases.json.results.find((p) => p.stage === 'PRELIMINARY');
  const byPhase = await req('GET', `/v1/items?lifecyclePhase=${unrel.guid}&limit=400`);
  assert.equal(byPhase.json.count, all.json.count);
  const future = await req('GET', '/v1/items?modifiedSince=2099-01-01T00:00:00Z');
  assert.equal(future.json.count, 0);
  const past2 = await req('GET', '/v1/items?modifiedSince=2000-01-01T00:00:00Z&limit=400');
  assert.equal(past2.json.count, all.json.count);
  assertErrorBody(assert, await req('GET', '/v1/items?modifiedSince=yesterday'), 400);
  assertErrorBody(assert, await req('GET', '/v1/items?owner.Name=x'), 400, 3019);
  assertErrorBody(assert, await req('GET', '/v1/items?category=bad'), 400, 3011);
  const num = all.json.results.find((i) => i.number?.startsWith('210-'));
  const byNum = await req('GET', `/v1/items?number=${num.number}`);
  assert.equal(byNum.json.results[0].guid, num.guid);
});

test('custom attributes are typed', async () => {
  const def = await req('POST', '/v1/settings/items/attributes',
    { name: 'EOQ', fieldType: 'NUMBER' });
  assert.equal(def.status, 201, def.text);
  const listed = (await req('GET', '/v1/settings/items/attributes')).json.results
    .find((a) => a.guid === def.json.guid);
  assert.deepEqual((await req('GET', `/v1/settings/items/attributes/${def.json.guid}`)).json, listed);
  assertErrorBody(assert, await req('GET', '/v1/settings/items/attributes/AAAAAAAAAAAAAAAAAAAA'), 404);
  const item = await createItem({ name: 'With EOQ',
    additionalAttributes: [{ guid: def.json.guid, value: 1000 }] });
  assert.deepEqual(item.additionalAttributes.map((a) => [a.name, a.fieldType, a.value]),
    [['EOQ', 'NUMBER', 1000]]);
  // Arena's includeEmptyAdditionalAttributes lists the item attributes without a value too, with
  // null, in name order; other object types' attributes stay out.
  await req('POST', '/v1/settings/items/attributes', { name: 'Alloy', fieldType: 'SINGLE_LINE_TEXT' });
  await req('POST', '/v1/settings/items/attributes', { name: 'Zone', fieldType: 'BOOLEAN' });
  await req('POST', '/v1/settings/items/attributes',
    { name: 'Audit', fieldType: 'SINGLE_LINE_TEXT', objectType: 'SUPPLIER' });
  const plain = await req('GET', `/v1/items/${item.guid}`);
  assert.equal(plain.json.additionalAttributes.length, 1);
  const full = await req('GET', `/v1/items/${item.guid}?includeEmptyAdditionalAttributes=true`);
  assert.equal(full.status, 200);
  const named = Object.fromEntries(full.json.additionalAttributes.map((a) => [a.name, a.value]));
  assert.equal(named.EOQ, 1000);
  assert.equal(named.Alloy, null);
  assert.equal(named.Zone, null);
  assert.equal(named.Audit, undefined);
  const names = full.json.additionalAttributes.map((a) => a.name);
  assert.deepEqual(names, [...names].sort());
  // The plain answer, cached or not, is unchanged by the other.
  assert.deepEqual((await req('GET', `/v1/items/${item.guid}`)).json, plain.json);
  assertErrorBody(assert, await req('GET', `/v1/items/${item.guid}?includeEmptyAdditionalAttributes=yes`),
    400, 3003);
  assertErrorBody(assert, await req('POST', '/v1/items',
    { name: 'Bad EOQ', additionalAttributes: [{ guid: def.json.guid, value: 'many' }] }), 400, 2001);
  assertErrorBody(assert, await req('POST', '/v1/items',
    { name: 'Unknown', additionalAttributes: [{ guid: 'AAAAAAAAAAAAAAAAAAAA', value: 1 }] }),
  400, 2000);
});

test('bad input on every item endpoint is a 4xx with an error body', async () => {
  const item = await createItem({ name: 'Victim' });
  const bad = [
    ['POST', '/v1/items', { raw: '{not json', headers: { 'content-type': 'application/json' } }],
    ['POST', '/v1/items', { body: [] }],
    ['POST', '/v1/items', { body: {} }],
    ['POST', '/v1/items', { body: { name: 5 } }],
    ['POST', '/v1/items', { body: { name: 'x', color: 'red' } }],
    ['POST', '/v1/items', { body: { name: 'x', category: 'nope' } }],
    ['POST', '/v1/items', { body: { name: 'x', standardCost: 'cheap' } }],
    ['POST', '/v1/items', { body: { name: 'x', lifecyclePhase: { guid: 'AAAAAAAAAAAAAAAAAAAA' } } }],
    ['POST', '/v1/items', { raw: '{"name":"x"}', headers: { 'content-type': 'text/plain' } }],
    ['GET', '/v1/items/not-a-guid', {}],
    ['GET', '/v1/items/AAAAAAAAAAAAAAAAAAAA', {}],
    ['PUT', `/v1/items/${item.guid}`, { body: { name: '' } }],
    ['PUT', `/v1/items/${item.guid}`, { body: { uom: 7 } }],
    ['PUT', '/v1/items/bad', { body: { name: 'y' } }],
    ['DELETE', '/v1/items/bad', {}],
    ['DELETE', '/v1/items/AAAAAAAAAAAAAAAAAAAA', {}],
    ['GET', '/v1/items/bad/revisions', {}],
    ['GET', '/v1/items/bad/bom', {}],
    ['POST', `/v1/items/${item.guid}/bom`, { body: { quantity: 1 } }],
    ['POST', `/v1/items/${item.guid}/bom`, { body: { item: { guid: item.guid }, quantity: 'x' } }],
    ['POST', `/v1/items/${item.guid}/bom`, { body: { item: 7 } }],
    ['GET', `/v1/items/${item.guid}/bom/bad`, {}],
    ['GET', `/v1/items/${item.guid}/bom/AAAAAAAAAAAAAAAAAAAA`, {}],
    ['PUT', `/v1/items/${item.guid}/bom/AAAAAAAAAAAAAAAAAAAA`, { body: { quantity: 2 } }],
    ['DELETE', `/v1/items/${item.guid}/bom/AAAAAAAAAAAAAAAAAAAA`, {}],
    ['GET', '/v1/items/bad/whereused', {}],
    ['GET', '/v1/events?after=-1', {}],
    ['GET', '/v1/events?limit=0', {}],
    ['GET', '/v1/events?limit=401', {}],
    ['GET', '/v1/events?after=x', {}],
    ['POST', '/v1/settings/items/attributes', { body: { name: 'x', fieldType: 'COLOR' } }],
  ];
  for (const [method, path, opts] of bad) {
    const res = await server.request(method, path, { session, ...opts });
    assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status} ${res.text}`);
    assertErrorBody(assert, res, res.status);
  }
});

test('roles: a VIEWER reads but cannot write (403)', async () => {
  const created = await req('POST', '/v1/settings/users',
    { email: 'viewer@acme.test', fullName: 'Vic Viewer', role: 'VIEWER', password: 'viewer password 1' });
  assert.equal(created.status, 201, created.text);
  const viewer = await server.login('viewer@acme.test', 'viewer password 1');
  const item = await createItem({ name: 'Readable' });
  const read = await server.request('GET', `/v1/items/${item.guid}`, { session: viewer });
  assert.equal(read.status, 200);
  const seq = await lastSequence();
  for (const [method, path, body] of [
    ['POST', '/v1/items', { name: 'nope' }],
    ['PUT', `/v1/items/${item.guid}`, { name: 'nope' }],
    ['DELETE', `/v1/items/${item.guid}`, undefined],
    ['POST', `/v1/items/${item.guid}/bom`, { item: { guid: item.guid } }],
    ['POST', '/v1/changes', { title: 'nope' }],
    ['POST', '/v1/suppliers', { name: 'nope' }],
  ]) {
    assertErrorBody(assert, await server.request(method, path, { body, session: viewer }), 403);
  }
  assert.equal(await lastSequence(), seq);
  assertErrorBody(assert, await server.request('GET', '/v1/items'), 401);
});
