// Arena's search parameters on the item, change, supplier and supplier item lists, and the
// additional attribute values of changes, suppliers and supplier items, against the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';

let server, session;
const req = (method, path, body, opts = {}) =>
  server.request(method, path, { body, session, ...opts });
async function ok(method, path, body, status = 200) {
  const res = await req(method, path, body);
  assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
  return res.json;
}
// The guids a list answers, in its order.
const guids = async (path) => (await ok('GET', path)).results.map((r) => r.guid);
// The same, sorted: changes made in the same second have no order between them.
const guidSet = async (path) => (await guids(path)).sort();
const attribute = (objectType, name, fieldType, possibleValues) => ok('POST',
  '/v1/settings/items/attributes', { objectType, name, fieldType, possibleValues }, 201);
const status = (guid, s) => ok('POST', '/v1/changes/statuschanges', { change: { guid }, status: s }, 201);

before(async () => {
  server = await startServer();
  session = await server.login();
});
after(async () => { await server?.stop(); });

test('items are found by description, revision number, owner, creator and assembly type',
  async () => {
    const top = await ok('POST', '/v1/items', { name: 'Search top', description: 'Gearbox housing',
      owner: { fullName: 'Ada Lovelace' } }, 201);
    const mid = await ok('POST', '/v1/items', { name: 'Search middle', description: 'Gear shaft' }, 201);
    const leaf = await ok('POST', '/v1/items', { name: 'Search leaf', description: 'Bearing' }, 201);
    await ok('POST', `/v1/items/${top.guid}/bom`, { item: { guid: mid.guid }, quantity: 1 }, 201);
    await ok('POST', `/v1/items/${mid.guid}/bom`, { item: { guid: leaf.guid }, quantity: 2 }, 201);
    const all = 'name=Search*&limit=400';

    assert.deepEqual(await guids(`/v1/items?${all}&description=Gear*`), [top.guid, mid.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&description=Bearing`), [leaf.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&owner.fullName=Ada*`), [top.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&assemblyType=TOP_LEVEL_ASSEMBLY`), [top.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&assemblyType=assembly`), [mid.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&assemblyType=NOT_AN_ASSEMBLY`), [leaf.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&inAssembly=true`), [mid.guid, leaf.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&inAssembly=false`), [top.guid]);

    // The session's user made all three; a made-up creator made none.
    const me = top.creator;
    assert.deepEqual(await guids(`/v1/items?${all}&creator.guid=${me.guid}`),
      [top.guid, mid.guid, leaf.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&creator.guid=AAAAAAAAAAAAAAAAAAAA`), []);
    assert.deepEqual(await guids(`/v1/items?${all}&creator.fullName=${encodeURIComponent(me.fullName)}`),
      [top.guid, mid.guid, leaf.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&creator.fullName=Nobody*`), []);

    // Released as revision A through a change: the revision number and effective date search.
    const eco = await ok('POST', '/v1/changes', { title: 'Release the leaf' }, 201);
    await ok('POST', `/v1/changes/${eco.guid}/items`,
      { newItemRevision: { guid: leaf.workingRevision.guid }, newRevisionNumber: 'A' }, 201);
    await status(eco.guid, 'SUBMITTED');
    await status(eco.guid, 'APPROVED');
    const released = await ok('GET', `/v1/items/${leaf.guid}`);
    assert.equal(released.revisionNumber, 'A');
    const at = released.effectiveDateTime;
    assert.deepEqual(await guids(`/v1/items?${all}&revisionNumber=A`), [leaf.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&effectiveDateTimeFrom=${at}`), [leaf.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&effectiveDateTimeTo=${at}`), [leaf.guid]);
    assert.deepEqual(await guids(`/v1/items?${all}&effectiveDateTimeFrom=2099-01-01T00:00:00Z`), []);
    assert.deepEqual(await guids(`/v1/items?${all}&effectiveDateTimeTo=2000-01-01T00:00:00Z`), []);

    assertErrorBody(assert, await req('GET', '/v1/items?assemblyType=SUBASSEMBLY'), 400, 3003);
    assertErrorBody(assert, await req('GET', '/v1/items?inAssembly=maybe'), 400, 3003);
    assertErrorBody(assert, await req('GET', '/v1/items?effectiveDateTimeFrom=today'), 400, 3003);
  });

test('items are found by additional attribute values of each field type', async () => {
  const text = await attribute('ITEM', 'Search package', 'SINGLE_LINE_TEXT');
  const num = await attribute('ITEM', 'Search EOQ', 'NUMBER');
  const flag = await attribute('ITEM', 'Search RoHS', 'BOOLEAN');
  const day = await attribute('ITEM', 'Search qualified', 'DATE');
  const pick = await attribute('ITEM', 'Search grade', 'FIXED_DROP_DOWN', ['Commercial', 'Industrial', 'Automotive']);
  const values = (t, n, b, d, p) => [{ guid: text.guid, value: t }, { guid: num.guid, value: n },
    { guid: flag.guid, value: b }, { guid: day.guid, value: d }, { guid: pick.guid, value: p }];
  const a = await ok('POST', '/v1/items', { name: 'Attr A',
    additionalAttributes: values('0603 100pF', 1000, true, '2019-04-01T08:00:00Z', 'Commercial') }, 201);
  const b = await ok('POST', '/v1/items', { name: 'Attr B',
    additionalAttributes: values('0805 10uF', 2500.5, false, '2019-04-02T00:00:00Z', 'Automotive') }, 201);
  await ok('POST', '/v1/items', { name: 'Attr C' }, 201);
  const all = 'name=Attr*&limit=400';
  const q = (guid, value) => guids(`/v1/items?${all}&${guid}=${encodeURIComponent(value)}`);

  assert.deepEqual(await q(text.guid, '*100pF'), [a.guid]);
  assert.deepEqual(await q(text.guid, '08*'), [b.guid]);
  assert.deepEqual(await q(text.guid, '0603 100pF'), [a.guid]);
  assert.deepEqual(await q(text.guid, '0603'), []);
  assert.deepEqual(await q(num.guid, '1000'), [a.guid]);
  assert.deepEqual(await q(num.guid, '2500.5'), [b.guid]);
  assert.deepEqual(await q(flag.guid, 'true'), [a.guid]);
  assert.deepEqual(await q(flag.guid, 'false'), [b.guid]);
  // Arena's date search takes a day, or an instant in Zulu form.
  assert.deepEqual(await q(day.guid, '2019-04-01'), [a.guid]);
  assert.deepEqual(await q(day.guid, '2019-04-02T00:00:00Z'), [b.guid]);
  assert.deepEqual(await q(day.guid, '2019-04-03'), []);
  // A semicolon separates alternatives of a drop-down.
  assert.deepEqual(await q(pick.guid, 'Commercial;Automotive'), [a.guid, b.guid]);
  assert.deepEqual(await q(pick.guid, 'Industrial'), []);
  // Two attributes at once must both match.
  assert.deepEqual(await guids(`/v1/items?${all}&${num.guid}=1000&${flag.guid}=false`), []);

  assertErrorBody(assert, await req('GET', `/v1/items?${num.guid}=many`), 400, 3003);
  assertErrorBody(assert, await req('GET', `/v1/items?${flag.guid}=yes`), 400, 3003);
  assertErrorBody(assert, await req('GET', `/v1/items?${day.guid}=April`), 400, 3003);
  // A guid that names no item attribute is not searchable, as any unknown parameter.
  assertErrorBody(assert, await req('GET', '/v1/items?AAAAAAAAAAAAAAAAAAAA=1'), 400, 3019);
  const supplierAttr = await attribute('SUPPLIER', 'Search tier', 'SINGLE_LINE_TEXT');
  assertErrorBody(assert, await req('GET', `/v1/items?${supplierAttr.guid}=1`), 400, 3019);
});

test('changes keep additional attribute values and are found by them and by Arena\'s fields',
  async () => {
    const reason = await attribute('CHANGE', 'Search reason', 'SINGLE_LINE_TEXT');
    const cost = await attribute('CHANGE', 'Search cost impact', 'NUMBER');
    const itemAttr = await attribute('ITEM', 'Search item only', 'NUMBER');
    const eco = await ok('POST', '/v1/changes', { title: 'Search ECO',
      additionalAttributes: [{ guid: reason.guid, value: 'Cost down' }, { guid: cost.guid, value: -12.5 }] }, 201);
    const byName = Object.fromEntries(eco.additionalAttributes.map((x) => [x.name, [x.fieldType, x.value]]));
    assert.deepEqual(byName, { 'Search reason': ['SINGLE_LINE_TEXT', 'Cost down'],
      'Search cost impact': ['NUMBER', -12.5] });
    assert.deepEqual(await ok('GET', `/v1/changes/${eco.guid}`), eco);

    // An update merges: a value not sent stays, a null removes one.
    const updated = await ok('PUT', `/v1/changes/${eco.guid}`,
      { additionalAttributes: [{ guid: cost.guid, value: null }] });
    assert.deepEqual(updated.additionalAttributes.map((x) => x.value), ['Cost down']);
    const seq = (await ok('GET', '/v1/events?after=0&limit=400')).results;
    const last = seq.filter((e) => e.objectGuid === eco.guid).at(-1);
    assert.equal(last.type, 'change.updated');
    assert.equal(last.before.additionalAttributes.length, 2);
    assert.equal(last.after.additionalAttributes.length, 1);

    assertErrorBody(assert, await req('POST', '/v1/changes', { title: 'x',
      additionalAttributes: [{ guid: itemAttr.guid, value: 1 }] }), 400, 2000);
    assertErrorBody(assert, await req('POST', '/v1/changes', { title: 'x',
      additionalAttributes: [{ guid: cost.guid, value: 'lots' }] }), 400, 2001);

    const other = await ok('POST', '/v1/changes', { title: 'Search deviation',
      effectivityType: 'TEMPORARY', expirationDateTime: '2099-06-01T00:00:00Z' }, 201);
    const all = 'title=Search*&limit=400';
    assert.deepEqual(await guids(`/v1/changes?${all}&${reason.guid}=Cost*`), [eco.guid]);
    assert.deepEqual(await guids(`/v1/changes?${all}&${reason.guid}=*down`), [eco.guid]);
    assert.deepEqual(await guids(`/v1/changes?${all}&expirationDateTimeFrom=2099-01-01T00:00:00Z`),
      [other.guid]);
    assert.deepEqual(await guids(`/v1/changes?${all}&expirationDateTimeTo=2099-01-01T00:00:00Z`), []);
    assert.deepEqual(await guidSet(`/v1/changes?${all}&implementationStatus=not_started`),
      [eco.guid, other.guid].sort());
    assert.deepEqual(await guids(`/v1/changes?${all}&implementationStatus=DONE`), []);
    assert.deepEqual(await guidSet(`/v1/changes?${all}&creator.guid=${eco.creator.guid}`),
      [eco.guid, other.guid].sort());

    // Once submitted, a change's attribute values are locked like its other fields.
    const item = await ok('POST', '/v1/items', { name: 'Search change item' }, 201);
    await ok('POST', `/v1/changes/${eco.guid}/items`,
      { newItemRevision: { guid: item.workingRevision.guid }, newRevisionNumber: 'A' }, 201);
    await status(eco.guid, 'SUBMITTED');
    assertErrorBody(assert, await req('PUT', `/v1/changes/${eco.guid}`,
      { additionalAttributes: [{ guid: reason.guid, value: 'Quality' }] }), 409);
    await status(eco.guid, 'APPROVED');
    const effective = await ok('GET', `/v1/changes/${eco.guid}`);
    assert.equal(effective.lifecycleStatus.type, 'EFFECTIVE');
    assert.deepEqual(await guids(`/v1/changes?${all}&effectiveDateTimeFrom=${effective.effectiveDateTime}`),
      [eco.guid]);
    assert.deepEqual(await guids(`/v1/changes?${all}&effectiveDateTimeTo=2000-01-01T00:00:00Z`), []);

    assertErrorBody(assert, await req('GET', '/v1/changes?implementationStatus=SOON'), 400);
    assertErrorBody(assert, await req('GET', `/v1/changes?${itemAttr.guid}=1`), 400, 3019);
  });

test('suppliers and supplier items keep additional attribute values and are found by them',
  async () => {
    const tier = await attribute('SUPPLIER', 'Search supplier tier', 'FIXED_DROP_DOWN', ['1', '2', '3']);
    const audited = await attribute('SUPPLIER', 'Search audited', 'DATE');
    const moq = await attribute('SUPPLIER_ITEM', 'Search MOQ', 'NUMBER');

    const s1 = await ok('POST', '/v1/suppliers', { name: 'Search Supplier One',
      additionalAttributes: [{ guid: tier.guid, value: '1' }, { guid: audited.guid, value: '2026-03-01T00:00:00Z' }] }, 201);
    const s2 = await ok('POST', '/v1/suppliers', { name: 'Search Supplier Two',
      additionalAttributes: [{ guid: tier.guid, value: '2' }] }, 201);
    assert.equal(s1.additionalAttributes.length, 2);
    assert.deepEqual(await ok('GET', `/v1/suppliers/${s1.guid}`), s1);
    const s2b = await ok('PUT', `/v1/suppliers/${s2.guid}`,
      { additionalAttributes: [{ guid: tier.guid, value: '3' }] });
    assert.deepEqual(s2b.additionalAttributes.map((x) => x.value), ['3']);
    assertErrorBody(assert, await req('PUT', `/v1/suppliers/${s2.guid}`,
      { additionalAttributes: [{ guid: tier.guid, value: '4' }] }), 400, 2001);
    assertErrorBody(assert, await req('POST', '/v1/suppliers', { name: 'x',
      additionalAttributes: [{ guid: moq.guid, value: 1 }] }), 400, 2000);

    const all = 'name=Search*&limit=400';
    assert.deepEqual(await guids(`/v1/suppliers?${all}&${tier.guid}=1;3`), [s1.guid, s2.guid]);
    assert.deepEqual(await guids(`/v1/suppliers?${all}&${tier.guid}=2`), []);
    assert.deepEqual(await guids(`/v1/suppliers?${all}&${audited.guid}=2026-03-01`), [s1.guid]);

    const si = await ok('POST', '/v1/supplieritems', { supplier: { guid: s1.guid },
      number: 'SRCH-1', additionalAttributes: [{ guid: moq.guid, value: 5000 }] }, 201);
    await ok('POST', '/v1/supplieritems', { supplier: { guid: s1.guid }, number: 'SRCH-2' }, 201);
    assert.deepEqual(si.additionalAttributes.map((x) => [x.name, x.value]), [['Search MOQ', 5000]]);
    assert.deepEqual(await ok('GET', `/v1/supplieritems/${si.guid}`), si);
    assert.deepEqual(await guids(`/v1/supplieritems?number=SRCH*&${moq.guid}=5000`), [si.guid]);
    const si2 = await ok('PUT', `/v1/supplieritems/${si.guid}`,
      { additionalAttributes: [{ guid: moq.guid, value: 2500 }] });
    assert.deepEqual(si2.additionalAttributes.map((x) => x.value), [2500]);
    assert.deepEqual(await guids(`/v1/supplieritems?number=SRCH*&${moq.guid}=5000`), []);
    assertErrorBody(assert, await req('GET', `/v1/supplieritems?${tier.guid}=1`), 400, 3019);
  });

test('modifiedBom, modifiedSourcing, modifiedSpecs and modifiedFiles compare the working revision with the effective one',
  async () => {
    const prod = (await ok('GET', '/v1/settings/items/lifecyclephases')).results
      .find((p) => p.name === 'In Production');
    const released = await ok('POST', '/v1/items', { name: 'Modflag released', description: 'v1' }, 201);
    const draft = await ok('POST', '/v1/items', { name: 'Modflag draft' }, 201);
    const bare = await ok('POST', '/v1/items', { name: 'Modflag bare' }, 201);
    const part = await ok('POST', '/v1/items', { name: 'Modflag part' }, 201);
    for (const parent of [released, draft]) {
      await ok('POST', `/v1/items/${parent.guid}/bom`, { item: { guid: part.guid }, quantity: 2 }, 201);
    }
    await ok('POST', `/v1/items/${released.guid}/sourcing`, { makeItem: true, approved: true }, 201);
    await ok('POST', `/v1/items/${draft.guid}/sourcing`, { makeItem: true }, 201);
    // Release one of them: its new working revision starts as a copy of what was released.
    const eco = await ok('POST', '/v1/changes', { title: 'Release modflag' }, 201);
    await ok('POST', `/v1/changes/${eco.guid}/items`, { newItemRevision: { guid: released.workingRevision.guid },
      newRevisionNumber: 'A', newLifecyclePhase: { guid: prod.guid } }, 201);
    await status(eco.guid, 'SUBMITTED');
    await status(eco.guid, 'APPROVED');

    const all = 'name=Modflag*&limit=400';
    const find = (flag, value) => guidSet(`/v1/items?${all}&${flag}=${value}`);
    const sorted = (...items) => items.map((i) => i.guid).sort();
    // Never released: whatever it holds is new. Released and untouched: nothing is.
    assert.deepEqual(await find('modifiedBom', 'true'), sorted(draft));
    assert.deepEqual(await find('modifiedBom', 'false'), sorted(released, bare, part));
    assert.deepEqual(await find('modifiedSourcing', 'true'), sorted(draft));
    assert.deepEqual(await find('modifiedSpecs', 'true'), sorted(draft, bare, part));
    assert.deepEqual(await find('modifiedSpecs', 'false'), sorted(released));
    assert.deepEqual(await find('modifiedFiles', 'true'), []);
    assert.deepEqual(await find('modifiedFiles', 'false'), sorted(released, draft, bare, part));
    // The same flags in the item's own answer, as Arena gives them.
    const flags = async (item) => {
      const got = await ok('GET', `/v1/items/${item.guid}`);
      return [got.modifiedBom, got.modifiedSourcing, got.modifiedSpecs, got.modifiedFiles];
    };
    assert.deepEqual(await flags(released), [false, false, false, false]);
    assert.deepEqual(await flags(draft), [true, true, true, false]);
    assert.deepEqual(await flags(bare), [false, false, true, false]);

    // Edits to the released item's working revision show, each in its own view.
    await ok('POST', `/v1/items/${released.guid}/bom`, { item: { guid: bare.guid }, quantity: 1 }, 201);
    assert.deepEqual(await find('modifiedBom', 'true'), sorted(released, draft));
    assert.deepEqual(await find('modifiedSpecs', 'false'), sorted(released));
    await ok('PUT', `/v1/items/${released.guid}`, { description: 'v2' });
    assert.deepEqual(await find('modifiedSpecs', 'false'), []);
    assert.deepEqual(await find('modifiedSourcing', 'false'), sorted(released, bare, part));
    // The working revision's own sourcing (an item guid shows the effective revision's).
    const working = (await ok('GET', `/v1/items/${released.guid}`)).workingRevision.guid;
    const [row] = (await ok('GET', `/v1/items/${working}/sourcing`)).results;
    await ok('PUT', `/v1/items/${working}/sourcing/${row.guid}`, { amlRank: 2 });
    assert.deepEqual(await find('modifiedSourcing', 'true'), sorted(released, draft));
    assert.deepEqual(await flags(released), [true, true, true, false]);
    // A revision guid answers for its item too.
    const byRevision = await ok('GET', `/v1/items/${working}`);
    assert.equal(byRevision.modifiedBom, true);

    assertErrorBody(assert, await req('GET', '/v1/items?modifiedBom=yes'), 400, 3003);
    assertErrorBody(assert, await req('GET', '/v1/changes?modifiedBom=true'), 400, 3019);
  });

test('Arena\'s criteria parameter: groups of conditions joined by AND and OR', async () => {
  const cats = (await ok('GET', '/v1/settings/items/categories?limit=400')).results;
  const resistor = cats.find((c) => c.name === 'Resistor');
  const capacitor = cats.find((c) => c.name === 'Capacitor');
  const r1 = await ok('POST', '/v1/items', { name: 'Crit resistor 10k', category: { guid: resistor.guid },
    description: '0603 thick film' }, 201);
  const r2 = await ok('POST', '/v1/items', { name: 'Crit resistor 1k', category: { guid: resistor.guid } }, 201);
  const c1 = await ok('POST', '/v1/items', { name: 'Crit capacitor', category: { guid: capacitor.guid },
    description: '100nF 0603' }, 201);
  const other = await ok('POST', '/v1/items', { name: 'Crit other' }, 201);
  const search = async (criteria, extra = '') => (await guidSet(
    `/v1/items?name=Crit*&limit=400${extra}&criteria=${encodeURIComponent(JSON.stringify(criteria))}`));
  const sorted = (...items) => items.map((i) => i.guid).sort();
  const cond = (attribute, operator, value) => ({ attribute, operator, value });

  // Arena's own examples, with this workspace's guids.
  assert.deepEqual(await search([[cond('category.guid', 'IS_IN', [resistor.guid])]]), sorted(r1, r2));
  assert.deepEqual(await search([[cond('category.guid', 'IS_EQUAL_TO', resistor.guid), 'OR',
    cond('category.guid', 'IS_EQUAL_TO', capacitor.guid)], 'OR', [cond('number', 'STARTS_WITH', other.number)]]),
  sorted(r1, r2, c1, other));
  const created = new Date(Date.parse(r1.creationDateTime) - 60000).toISOString().replace(/\.\d+Z$/, 'Z');
  assert.deepEqual(await search([[cond('creationDateTime', 'IS_BETWEEN', [created, '2099-01-01T00:00:00Z'])]]),
    sorted(r1, r2, c1, other));
  assert.deepEqual(await search([[cond('creationDateTime', 'IS_BEFORE', created)]]), []);
  // AND within a group, and two entries side by side are joined by AND.
  assert.deepEqual(await search([[cond('description', 'CONTAINS', '0603'), 'AND',
    cond('category.guid', 'IS_NOT_EQUAL_TO', capacitor.guid)]]), sorted(r1));
  assert.deepEqual(await search([[cond('description', 'CONTAINS', '0603')], [cond('name', 'ENDS_WITH', 'capacitor')]]),
    sorted(c1));
  assert.deepEqual(await search([[cond('description', 'IS_EMPTY')]]), sorted(r2, other));
  assert.deepEqual(await search([[cond('description', 'DOES_NOT_CONTAIN', 'nF')]]), sorted(r1, r2, other));
  // LIKE's own wildcards are taken literally.
  assert.deepEqual(await search([[cond('name', 'CONTAINS', '%')]]), []);
  // With the other parameters, AND.
  assert.deepEqual(await search([[cond('category.guid', 'IS_IN', [resistor.guid, capacitor.guid])]],
    '&description=*0603'), sorted(r1, c1));

  const bad = async (criteria, code) => assertErrorBody(assert, await req('GET',
    `/v1/items?criteria=${encodeURIComponent(typeof criteria === 'string' ? criteria : JSON.stringify(criteria))}`), 400, code);
  await bad('[[{', 3003);
  await bad({ attribute: 'name' }, 3003);
  await bad([[cond('owner.Name', 'CONTAINS', 'x')]], 3019);
  await bad([[cond('name', 'IS_BETWEEN', ['a', 'b'])]], 3003);
  await bad([[cond('category.guid', 'IS_EQUAL_TO', 'nope')]], 3011);
  await bad([[cond('creationDateTime', 'IS_AFTER', 'yesterday')]], 3003);
  await bad([[cond('name', 'CONTAINS', 'a'), 'OR']], 3003);
  await bad([['XOR', cond('name', 'CONTAINS', 'a')]], 3003);
  await bad([[[[[cond('name', 'CONTAINS', 'a')]]]]], 3003);
  await bad([Array.from({ length: 51 }, () => cond('name', 'CONTAINS', 'a'))], 3003);
  assertErrorBody(assert, await req('GET', `/v1/changes?criteria=${encodeURIComponent('[]')}`), 400, 3019);
});

test('Arena\'s criteria parameter on additional attributes, by their guids and types', async () => {
  const text = await attribute('ITEM', 'Crit package', 'SINGLE_LINE_TEXT');
  const num = await attribute('ITEM', 'Crit voltage', 'NUMBER');
  const flag = await attribute('ITEM', 'Crit RoHS', 'BOOLEAN');
  const day = await attribute('ITEM', 'Crit qualified', 'DATE');
  const pick = await attribute('ITEM', 'Crit grade', 'FIXED_DROP_DOWN', ['Commercial', 'Automotive']);
  const values = (t, n, b, d, p) => [{ guid: text.guid, value: t }, { guid: num.guid, value: n },
    { guid: flag.guid, value: b }, { guid: day.guid, value: d }, { guid: pick.guid, value: p }];
  const a = await ok('POST', '/v1/items', { name: 'Critattr A',
    additionalAttributes: values('0603', 16, true, '2019-04-01T08:00:00Z', 'Commercial') }, 201);
  const b = await ok('POST', '/v1/items', { name: 'Critattr B',
    additionalAttributes: values('0805', 50, false, '2019-04-02T00:00:00Z', 'Automotive') }, 201);
  const c = await ok('POST', '/v1/items', { name: 'Critattr C' }, 201);
  const notes = await attribute('ITEM', 'Crit notes', 'MULTI_LINE_TEXT');
  await ok('PUT', `/v1/items/${b.guid}`, { additionalAttributes: [{ guid: notes.guid,
    value: 'first line\nsecond line' }] });
  const search = async (criteria) => (await guidSet(
    `/v1/items?name=Critattr*&limit=400&criteria=${encodeURIComponent(JSON.stringify(criteria))}`));
  const sorted = (...items) => items.map((i) => i.guid).sort();
  const cond = (attribute, operator, value) => ({ attribute: attribute.guid, operator, value });

  assert.deepEqual(await search([[cond(text, 'STARTS_WITH', '06')]]), sorted(a));
  assert.deepEqual(await search([[cond(text, 'IS_IN', ['0603', '0805'])]]), sorted(a, b));
  assert.deepEqual(await search([[cond(text, 'IS_EMPTY')]]), sorted(c));
  assert.deepEqual(await search([[cond(num, 'IS_GREATER_THAN', '20')]]), sorted(b));
  assert.deepEqual(await search([[cond(num, 'IS_LESS_THAN', '20')]]), sorted(a));
  assert.deepEqual(await search([[cond(num, 'IS_BETWEEN', ['60', '16'])]]), sorted(a, b));
  assert.deepEqual(await search([[cond(num, 'IS_IN', ['50', '7'])]]), sorted(b));
  // NOT_EQUAL counts an item without a value as different, as for Arena's own fields.
  assert.deepEqual(await search([[cond(num, 'IS_NOT_EQUAL_TO', '16')]]), sorted(b, c));
  assert.deepEqual(await search([[cond(flag, 'IS_EQUAL_TO', 'true')]]), sorted(a));
  assert.deepEqual(await search([[cond(flag, 'IS_EQUAL_TO', 'false'), 'OR', cond(flag, 'IS_EMPTY')]]),
    sorted(b, c));
  // A day compares with the day of the stored instant; an instant with the instant.
  assert.deepEqual(await search([[cond(day, 'IS_EQUAL_TO', '2019-04-01')]]), sorted(a));
  assert.deepEqual(await search([[cond(day, 'IS_AFTER', '2019-04-01')]]), sorted(b));
  assert.deepEqual(await search([[cond(day, 'IS_BEFORE', '2019-04-02T00:00:00Z')]]), sorted(a));
  assert.deepEqual(await search([[cond(day, 'IS_BETWEEN', ['2019-03-01', '2019-04-02'])]]), sorted(a, b));
  assert.deepEqual(await search([[cond(day, 'IS_BETWEEN', ['2019-04-02', '2019-04-02'])]]), sorted(b));
  assert.deepEqual(await search([[cond(day, 'IS_NOT_EQUAL_TO', '2019-04-01')]]), sorted(b, c));
  assert.deepEqual(await search([[cond(num, 'IS_NOT_EMPTY')]]), sorted(a, b));
  assert.deepEqual(await search([[cond(notes, 'CONTAINS', 'second line')]]), sorted(b));
  assert.deepEqual(await search([[cond(pick, 'IS_NOT_IN', ['Commercial'])]]), sorted(b, c));
  // With Arena's own fields in the same criteria.
  assert.deepEqual(await search([[{ attribute: 'name', operator: 'ENDS_WITH', value: 'B' }, 'OR',
    cond(flag, 'IS_EQUAL_TO', 'true')]]), sorted(a, b));

  const bad = async (criteria, code) => assertErrorBody(assert, await req('GET',
    `/v1/items?criteria=${encodeURIComponent(JSON.stringify(criteria))}`), 400, code);
  await bad([[cond(num, 'IS_GREATER_THAN', 'many')]], 3003);
  await bad([[cond(num, 'CONTAINS', '5')]], 3003);
  await bad([[cond(flag, 'IS_EQUAL_TO', 'yes')]], 3003);
  await bad([[cond(flag, 'IS_BEFORE', 'true')]], 3003);
  await bad([[cond(num, 'IS_BEFORE', ['1', '2'])]], 3003);
  await bad([[cond(day, 'IS_AFTER', 'April')]], 3003);
  await bad([[cond(day, 'IS_BETWEEN', ['2019-03-01', '2019-04-02T00:00:00Z'])]], 3003);
  // A guid that names no item attribute of this workspace is not searchable.
  await bad([[{ attribute: 'AAAAAAAAAAAAAAAAAAAA', operator: 'IS_EQUAL_TO', value: '1' }]], 3019);
  const supplierAttr = await attribute('SUPPLIER', 'Crit tier', 'SINGLE_LINE_TEXT');
  await bad([[cond(supplierAttr, 'IS_EQUAL_TO', '1')]], 3019);
});
