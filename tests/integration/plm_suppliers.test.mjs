// Suppliers, supplier items and item sourcing against the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';
import { createApp, basic, postForm } from '../lib/oauth.mjs';

let server, session;
const req = (method, path, body, opts = {}) =>
  server.request(method, path, { body, session, ...opts });
async function ok(method, path, body, status = 200) {
  const res = await req(method, path, body);
  assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
  return res.json;
}
async function lastSequence() {
  let after = 0;
  for (;;) {
    const page = (await req('GET', `/v1/events?after=${after}&limit=400`)).json;
    if (page.count === 0) return after;
    after = page.results.at(-1).sequence;
  }
}
const events = async (seq) => (await req('GET', `/v1/events?after=${seq}&limit=400`)).json.results;

before(async () => {
  server = await startServer();
  session = await server.login();
});
after(async () => { await server?.stop(); });

test('suppliers: create, read, update, list, delete, with events', async () => {
  const seq = await lastSequence();
  const s = await ok('POST', '/v1/suppliers', {
    name: 'The Board Room', supplierId: 'theboardroominc', accountNumber: '1',
    approvalStatus: 'approved', website: 'www.example.com',
    addresses: [{ primary: true, address: { city: 'San Bruno', 'Country/Region': 'United States' } }],
    phoneNumbers: [{ number: '111-111-1111', label: 'Main' }] }, 201);
  assert.equal(s.name, 'The Board Room');
  assert.equal(s.approvalStatus, 'approved');
  assert.equal(s.addresses[0].address['Country/Region'], 'United States');
  assertErrorBody(assert, await req('POST', '/v1/suppliers',
    { name: 'Other', supplierId: 'theboardroominc' }), 409, 4501);
  const u = await ok('PUT', `/v1/suppliers/${s.guid}`, { description: 'Board house' });
  assert.equal(u.description, 'Board house');
  assert.equal(u.supplierId, 'theboardroominc');
  assert.deepEqual(await ok('GET', `/v1/suppliers/${s.guid}`), u);
  assert.equal((await ok('GET', '/v1/suppliers?name=*Board*')).count, 1);
  assert.equal((await ok('GET', '/v1/suppliers?supplierId=theboardroominc')).count, 1);
  const tmp = await ok('POST', '/v1/suppliers', { name: 'Temporary' }, 201);
  assert.equal(tmp.approvalStatus, 'unrated');
  assert.equal((await req('DELETE', `/v1/suppliers/${tmp.guid}`)).status, 204);
  assertErrorBody(assert, await req('GET', `/v1/suppliers/${tmp.guid}`), 404);
  const evs = await events(seq);
  assert.deepEqual(evs.map((e) => e.type),
    ['supplier.created', 'supplier.updated', 'supplier.created', 'supplier.deleted']);
  assert.equal(evs[1].before.description, null);
  assert.equal(evs[1].after.description, 'Board house');
  assert.equal(evs[3].after, null);
});

test('supplier items and sourcing on an item, with events', async () => {
  const mfr = await ok('POST', '/v1/suppliers', { name: 'Yageo' }, 201);
  const dist = await ok('POST', '/v1/suppliers', { name: 'Digi-Key' }, 201);
  const seq = await lastSequence();
  const mi = await ok('POST', '/v1/supplieritems',
    { supplier: { guid: mfr.guid }, number: 'RC0603FR-0710KL', name: 'RES 10K 1% 0603' }, 201);
  assert.equal(mi.type, 'PART');
  assert.equal(mi.supplier.guid, mfr.guid);
  const vi = await ok('POST', '/v1/supplieritems',
    { supplier: { guid: dist.guid }, number: '311-10.0KHRCT-ND' }, 201);
  const mi2 = await ok('PUT', `/v1/supplieritems/${mi.guid}`, { description: 'thick film' });
  assert.equal(mi2.description, 'thick film');
  assert.equal((await ok('GET', '/v1/supplieritems?number=RC0603*')).count, 1);
  assert.equal((await ok('GET', `/v1/supplieritems?supplier=${dist.guid}`)).count, 1);

  const item = await ok('POST', '/v1/items', { name: 'Resistor 10k 0603' }, 201);
  const src = await ok('POST', `/v1/items/${item.guid}/sourcing`, {
    mfrItem: { guid: mi.guid }, vendorItem: { guid: vi.guid }, approved: true, amlRank: 1,
    activeProduction: true, vendorItemConversionFactor: 5000, notes: 'reel' }, 201);
  assert.equal(src.amlRank, 1);
  assert.equal(src.approved, true);
  assert.equal(src.activeProduction, true);
  assert.equal(src.activePrototype, false);
  assert.equal(src.makeItem, false);
  assert.equal(src.mfrItem.guid, mi.guid);
  assert.equal(src.vendorItem.guid, vi.guid);
  assert.equal(src.vendorItemConversionFactor, 5000);
  const list = await ok('GET', `/v1/items/${item.guid}/sourcing`);
  assert.equal(list.count, 1);
  assert.deepEqual(await ok('GET', `/v1/items/${item.guid}/sourcing/${src.guid}`), src);
  const put = await ok('PUT', `/v1/items/${item.guid}/sourcing/${src.guid}`, { amlRank: 2 });
  assert.equal(put.amlRank, 2);
  assert.equal(put.vendorItemConversionFactor, 5000);
  assertErrorBody(assert, await req('DELETE', `/v1/supplieritems/${mi.guid}`), 409);
  assertErrorBody(assert, await req('DELETE', `/v1/suppliers/${mfr.guid}`), 409);
  assert.equal((await req('DELETE', `/v1/items/${item.guid}/sourcing/${src.guid}`)).status, 204);
  assert.equal((await req('DELETE', `/v1/supplieritems/${vi.guid}`)).status, 204);
  const make = await ok('POST', `/v1/items/${item.guid}/sourcing`, { makeItem: true, approved: true }, 201);
  assert.equal(make.makeItem, true);

  const evs = await events(seq);
  assert.deepEqual(evs.map((e) => [e.type, e.objectType]), [
    ['supplieritem.created', 'SUPPLIER_ITEM'], ['supplieritem.created', 'SUPPLIER_ITEM'],
    ['supplieritem.updated', 'SUPPLIER_ITEM'], ['item.created', 'ITEM'],
    ['item.updated', 'SOURCING'], ['item.updated', 'SOURCING'], ['item.updated', 'SOURCING'],
    ['supplieritem.deleted', 'SUPPLIER_ITEM'], ['item.updated', 'SOURCING']]);
  assert.equal(evs[5].before.amlRank, 1);
  assert.equal(evs[5].after.amlRank, 2);
  assert.equal(evs[6].after, null);
});

test('a supplier item lists the sourcing lines of every revision that names it', async () => {
  const mfr = await ok('POST', '/v1/suppliers', { name: 'Murata Sourcing' }, 201);
  const dist = await ok('POST', '/v1/suppliers', { name: 'Mouser Sourcing' }, 201);
  const mi = await ok('POST', '/v1/supplieritems',
    { supplier: { guid: mfr.guid }, number: 'GRM188R71H103KA01D' }, 201);
  const vi = await ok('POST', '/v1/supplieritems',
    { supplier: { guid: dist.guid }, number: '81-GRM188R71H103KA1D' }, 201);
  const other = await ok('POST', '/v1/supplieritems',
    { supplier: { guid: mfr.guid }, number: 'GRM155R71C104KA88D' }, 201);
  // Arena's supplier.name search of supplier items.
  assert.deepEqual((await ok('GET', '/v1/supplieritems?supplier.name=Murata*')).results
    .map((x) => x.number).sort(), [other.number, mi.number].sort());

  const cap = await ok('POST', '/v1/items', { name: 'Cap 10nF 0603' }, 201);
  const line = await ok('POST', `/v1/items/${cap.guid}/sourcing`,
    { mfrItem: { guid: mi.guid }, vendorItem: { guid: vi.guid }, approved: true, notes: 'reel' }, 201);
  const working = await ok('GET', `/v1/supplieritems/${mi.guid}/sourcing`);
  assert.equal(working.count, 1);
  assert.equal(working.results[0].guid, line.guid);
  assert.deepEqual(working.results[0].item, { guid: cap.workingRevision.guid, name: cap.name,
    number: cap.number, revisionNumber: cap.revisionNumber ?? null, status: 0,
    revisionStatus: 'WORKING' });
  assert.equal(working.results[0].notes, 'reel');
  // The vendor item finds the same line; an item that does not name it, none.
  assert.equal((await ok('GET', `/v1/supplieritems/${vi.guid}/sourcing`)).results[0].guid, line.guid);
  assert.equal((await ok('GET', `/v1/supplieritems/${other.guid}/sourcing`)).count, 0);

  // Released as A: the effective revision keeps its line and the new working revision has a copy.
  const eco = await ok('POST', '/v1/changes', { title: 'Release cap' }, 201);
  await ok('POST', `/v1/changes/${eco.guid}/items`,
    { newItemRevision: { guid: cap.workingRevision.guid }, newRevisionNumber: 'A' }, 201);
  await ok('POST', '/v1/changes/statuschanges', { change: { guid: eco.guid }, status: 'SUBMITTED' }, 201);
  await ok('POST', '/v1/changes/statuschanges', { change: { guid: eco.guid }, status: 'APPROVED' }, 201);
  const both = (await ok('GET', `/v1/supplieritems/${mi.guid}/sourcing`)).results;
  assert.deepEqual(both.map((x) => [x.item.status, x.item.revisionStatus]),
    [[0, 'WORKING'], [1, 'EFFECTIVE']]);
  assert.equal(both[1].item.guid, cap.workingRevision.guid);
  assert.equal(both[1].item.revisionNumber, 'A');
  assert.notEqual(both[0].item.guid, both[1].item.guid);
  assert.deepEqual((await ok('GET', `/v1/supplieritems/${mi.guid}/sourcing?item.status=1`)).results,
    [both[1]]);
  assert.equal((await ok('GET', `/v1/supplieritems/${mi.guid}/sourcing?limit=1&offset=1`)).results[0]
    .item.status, 1);

  assertErrorBody(assert, await req('GET', `/v1/supplieritems/${mi.guid}/sourcing?item.status=7`),
    400, 3003);
  assertErrorBody(assert, await req('GET', `/v1/supplieritems/${mi.guid}/sourcing?number=x`), 400, 3019);
  assertErrorBody(assert, await req('GET', '/v1/supplieritems/AAAAAAAAAAAAAAAAAAAA/sourcing'), 404);

  // The lines are item data: a token needs items:read besides suppliers:read.
  const tokenFor = async (scopes) => {
    const app = await createApp(server, session, { name: `Sourcing ${scopes}`,
      grantTypes: ['client_credentials'], scopes });
    const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(res.status, 200, res.text);
    return res.json.access_token;
  };
  const path = `/v1/supplieritems/${mi.guid}/sourcing`;
  const suppliersOnly = await server.request('GET', path, { token: await tokenFor(['suppliers:read']) });
  assertErrorBody(assert, suppliersOnly, 403);
  assert.equal(suppliersOnly.headers['www-authenticate'],
    'Bearer realm="arenite", error="insufficient_scope", scope="suppliers:read items:read"');
  assert.match(suppliersOnly.json.errors[0].message, /items:read/);
  assertErrorBody(assert, await server.request('GET', path,
    { token: await tokenFor(['items:read']) }), 403);
  const withBoth = await server.request('GET', path,
    { token: await tokenFor(['suppliers:read', 'items:read']) });
  assert.equal(withBoth.status, 200, withBoth.text);
  assert.equal(withBoth.json.count, 2);
});

test('bad input on every supplier and sourcing endpoint is a 4xx with an error body', async () => {
  const s = await ok('POST', '/v1/suppliers', { name: 'Victim supplier' }, 201);
  const si = await ok('POST', '/v1/supplieritems', { supplier: { guid: s.guid }, number: 'V-1' }, 201);
  const item = await ok('POST', '/v1/items', { name: 'Victim item' }, 201);
  const bad = [
    ['POST', '/v1/suppliers', { raw: '{', headers: { 'content-type': 'application/json' } }],
    ['POST', '/v1/suppliers', { body: {} }],
    ['POST', '/v1/suppliers', { body: { name: '' } }],
    ['POST', '/v1/suppliers', { body: { name: 'x', approvalStatus: 'great' } }],
    ['POST', '/v1/suppliers', { body: { name: 'x', addresses: 'here' } }],
    ['POST', '/v1/suppliers', { body: { name: 'x', addresses: [{ primary: true }, { primary: true }] } }],
    ['GET', '/v1/suppliers/bad', {}],
    ['GET', '/v1/suppliers/AAAAAAAAAAAAAAAAAAAA', {}],
    ['PUT', `/v1/suppliers/${s.guid}`, { body: { name: 7 } }],
    // Attribute values are not kept for suppliers and supplier items: refused, never dropped.
    ['POST', '/v1/suppliers', { body: { name: 'x', additionalAttributes: [{ guid: 'AAAAAAAAAAAAAAAAAAAA', value: '1' }] } }],
    ['PUT', `/v1/suppliers/${s.guid}`, { body: { additionalAttributes: 'garbage' } }],
    ['PUT', `/v1/supplieritems/${si.guid}`, { body: { additionalAttributes: [{ guid: 'AAAAAAAAAAAAAAAAAAAA', value: '1' }] } }],
    ['DELETE', '/v1/suppliers/AAAAAAAAAAAAAAAAAAAA', {}],
    ['GET', '/v1/suppliers?limit=401', {}],
    ['GET', '/v1/suppliers?color=red', {}],
    ['POST', '/v1/supplieritems', { body: { number: 'x' } }],
    ['POST', '/v1/supplieritems', { body: { supplier: { guid: 'AAAAAAAAAAAAAAAAAAAA' }, number: 'x' } }],
    ['POST', '/v1/supplieritems', { body: { supplier: { guid: s.guid } } }],
    ['POST', '/v1/supplieritems', { body: { supplier: { guid: s.guid }, number: 'x', type: 'FOOD' } }],
    ['GET', '/v1/supplieritems/bad', {}],
    ['PUT', `/v1/supplieritems/${si.guid}`, { body: { offTheShelf: 'yes' } }],
    ['DELETE', '/v1/supplieritems/AAAAAAAAAAAAAAAAAAAA', {}],
    ['GET', '/v1/supplieritems?supplier=bad', {}],
    ['GET', `/v1/items/${item.guid}/sourcing?limit=0`, {}],
    ['POST', `/v1/items/${item.guid}/sourcing`, { body: {} }],
    ['POST', `/v1/items/${item.guid}/sourcing`, { body: { mfrItem: { guid: 'AAAAAAAAAAAAAAAAAAAA' } } }],
    ['POST', `/v1/items/${item.guid}/sourcing`, { body: { makeItem: true, mfrItem: { guid: si.guid } } }],
    ['POST', `/v1/items/${item.guid}/sourcing`, { body: { mfrItem: { guid: si.guid }, amlRank: 1 } }],
    ['POST', `/v1/items/${item.guid}/sourcing`, { body: { mfrItem: { guid: si.guid }, approved: true, amlRank: 120 } }],
    ['POST', `/v1/items/${item.guid}/sourcing`, { body: { mfrItem: { guid: si.guid }, vendorItemConversionFactor: 2 } }],
    ['GET', `/v1/items/${item.guid}/sourcing/bad`, {}],
    ['PUT', `/v1/items/${item.guid}/sourcing/AAAAAAAAAAAAAAAAAAAA`, { body: { amlRank: 1 } }],
    ['DELETE', `/v1/items/${item.guid}/sourcing/AAAAAAAAAAAAAAAAAAAA`, {}],
  ];
  const seq = await lastSequence();
  for (const [method, path, opts] of bad) {
    const res = await server.request(method, path, { session, ...opts });
    assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status} ${res.text}`);
    assertErrorBody(assert, res, res.status);
  }
  assert.equal(await lastSequence(), seq);
});
