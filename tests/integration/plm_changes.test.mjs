// Changes end to end: affected items, the lifecycle, revisions made effective and superseded,
// and the events of every step.
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
async function lastSequence() {
  const res = await req('GET', '/v1/events?after=0&limit=400');
  let after = 0;
  let page = res.json;
  while (page.count > 0) {
    after = page.results.at(-1).sequence;
    page = (await req('GET', `/v1/events?after=${after}&limit=400`)).json;
  }
  return after;
}
const events = async (seq) => (await req('GET', `/v1/events?after=${seq}&limit=400`)).json.results;
const status = (guid, s, extra = {}) =>
  req('POST', '/v1/changes/statuschanges', { change: { guid }, status: s, ...extra });

before(async () => {
  server = await startServer();
  session = await server.login();
});
after(async () => { await server?.stop(); });

test('a change made effective releases, supersedes and opens new working revisions', async () => {
  const phases = (await ok('GET', '/v1/settings/items/lifecyclephases')).results;
  const prod = phases.find((p) => p.name === 'In Production');
  const proto = phases.find((p) => p.name === 'Prototype');
  const top = await ok('POST', '/v1/items', { name: 'Widget' }, 201);
  const part = await ok('POST', '/v1/items', { name: 'Widget screw' }, 201);
  await ok('POST', `/v1/items/${top.guid}/bom`, { item: { guid: part.guid }, quantity: 4 }, 201);

  // First release: A, In Production.
  const eco1 = await ok('POST', '/v1/changes', { title: 'Release widget', description: 'first' }, 201);
  assert.match(eco1.number, /^ECO-\d{6}$/);
  assert.equal(eco1.lifecycleStatus.type, 'OPEN_AND_UNLOCKED');
  assert.equal(eco1.effectivityType, 'PERMANENT_ON_APPROVAL');
  const ai = await ok('POST', `/v1/changes/${eco1.guid}/items`, {
    newItemRevision: { guid: top.workingRevision.guid }, newRevisionNumber: 'A',
    newLifecyclePhase: { guid: prod.guid } }, 201);
  assert.equal(ai.newRevisionNumber, 'A');
  assert.equal(ai.newItemRevision.guid, top.workingRevision.guid);
  assert.equal(ai.newLifecyclePhase.guid, prod.guid);
  assert.equal(ai.affectedItemRevision, null);
  assertErrorBody(assert, await req('POST', `/v1/changes/${eco1.guid}/items`,
    { newItemRevision: { guid: top.guid } }), 409, 4005);
  const list = await ok('GET', `/v1/changes/${eco1.guid}/items`);
  assert.equal(list.count, 1);

  const seq = await lastSequence();
  assertErrorBody(assert, await status(eco1.guid, 'APPROVED'), 409);
  assert.equal(await lastSequence(), seq, 'an illegal move records nothing');
  // implementationStatus goes only with a move into COMPLETED, EFFECTIVE or EXPIRED (Arena 4900).
  assertErrorBody(assert, await status(eco1.guid, 'OPEN_AND_LOCKED',
    { implementationStatus: { value: 'DONE' } }), 400, 4900);
  assert.equal(await lastSequence(), seq, 'a refused move records nothing');
  assert.equal((await status(eco1.guid, 'OPEN_AND_LOCKED')).json.status, 'OPEN_AND_LOCKED');
  assertErrorBody(assert, await req('PUT', `/v1/changes/${eco1.guid}`, { title: 'x' }), 409, 4020);
  assert.equal((await status(eco1.guid, 'OPEN_AND_UNLOCKED')).json.status, 'OPEN_AND_UNLOCKED');
  const sub = await status(eco1.guid, 'SUBMITTED', { comment: 'please' });
  assert.equal(sub.status, 201);
  assert.equal(sub.json.status, 'SUBMITTED_FOR_APPROVAL');
  assert.equal(sub.json.comment, 'please');
  const appr = await status(eco1.guid, 'APPROVED');
  assert.equal(appr.json.status, 'EFFECTIVE');
  const eff = await ok('GET', `/v1/changes/${eco1.guid}`);
  assert.equal(eff.lifecycleStatus.type, 'EFFECTIVE');
  assert.ok(eff.effectiveDateTime);
  assert.ok(eff.submissionDateTime);

  const released = await ok('GET', `/v1/items/${top.guid}`);
  assert.equal(released.revisionStatus, 'EFFECTIVE');
  assert.equal(released.revisionNumber, 'A');
  assert.equal(released.lifecyclePhase.guid, prod.guid);
  assert.ok(released.effectiveDateTime);
  assert.notEqual(released.workingRevision.guid, top.workingRevision.guid);
  const revs1 = (await ok('GET', `/v1/items/${top.guid}/revisions`)).results;
  assert.deepEqual(revs1.map((r) => [r.revisionStatus, r.revisionNumber]),
    [['WORKING', null], ['EFFECTIVE', 'A']]);
  assert.equal(revs1[1].change.number, eco1.number);
  // The new working revision carries a copy of the BOM.
  const workingBom = await ok('GET', `/v1/items/${released.workingRevision.guid}/bom`);
  assert.equal(workingBom.count, 1);
  assert.equal(workingBom.results[0].quantity, 4);

  const evs = await events(seq);
  const types = evs.map((e) => e.type);
  assert.deepEqual(types.filter((t) => t === 'change.status_changed').length, 4);
  const lc = evs.find((e) => e.type === 'item.lifecycle_changed');
  assert.ok(lc, types.join());
  assert.equal(lc.objectGuid, top.guid);
  assert.equal(lc.before.lifecyclePhase.name, 'Unreleased');
  assert.equal(lc.after.lifecyclePhase.name, 'In Production');
  assert.equal(lc.after.revisionNumber, 'A');
  const last = evs.at(-1);
  assert.equal(last.type, 'change.status_changed');
  assert.equal(last.before.lifecycleStatus.type, 'SUBMITTED_FOR_APPROVAL');
  assert.equal(last.after.lifecycleStatus.type, 'EFFECTIVE');
  // The item's path shows the effective BOM; its lines are changed on the working revision
  // only, as Arena's item updates are (400 3224, not 404 or a write elsewhere).
  const shownBom = await ok('GET', `/v1/items/${top.guid}/bom`);
  const effectiveLine = shownBom.results[0].guid;
  assert.notEqual(effectiveLine, workingBom.results[0].guid);
  assert.equal((await req('GET', `/v1/items/${top.guid}/bom/${effectiveLine}`)).status, 200);
  assertErrorBody(assert, await req('PUT', `/v1/items/${top.guid}/bom/${effectiveLine}`,
    { quantity: 9 }), 400, 3224);
  assertErrorBody(assert, await req('DELETE', `/v1/items/${top.guid}/bom/${effectiveLine}`),
    400, 3224);
  const spare = await ok('POST', '/v1/items', { name: 'Spare part' }, 201);
  assertErrorBody(assert, await req('POST', `/v1/items/${released.revisionGuid}/bom`,
    { item: { guid: spare.guid }, quantity: 1 }), 400, 3224);
  const workingLine = workingBom.results[0].guid;
  assert.equal((await ok('PUT', `/v1/items/${top.guid}/bom/${workingLine}`, { quantity: 4 }))
    .quantity, 4);

  // Second release: B supersedes A; revision number derived.
  await ok('PUT', `/v1/items/${top.guid}`, { description: 'rev B text' });
  const eco2 = await ok('POST', '/v1/changes', { title: 'Rev B' }, 201);
  const ai2 = await ok('POST', `/v1/changes/${eco2.guid}/items`,
    { newItemRevision: { guid: released.workingRevision.guid },
      newLifecyclePhase: { guid: proto.guid } }, 201);
  assert.equal(ai2.newRevisionNumber, 'B');
  assert.equal(ai2.affectedItemRevision.revisionNumber, 'A');
  const eco3 = await ok('POST', '/v1/changes', { title: 'Conflicting' }, 201);
  assertErrorBody(assert, await req('POST', `/v1/changes/${eco3.guid}/items`,
    { newItemRevision: { guid: top.guid } }), 409, 4061);
  assertErrorBody(assert, await req('POST', `/v1/changes/${eco3.guid}/items`,
    { newItemRevision: { guid: released.revisionGuid } }), 400, 4025);
  await status(eco2.guid, 'SUBMITTED');
  assert.equal((await status(eco2.guid, 'APPROVED')).json.status, 'EFFECTIVE');
  const revs2 = (await ok('GET', `/v1/items/${top.guid}/revisions`)).results;
  assert.deepEqual(revs2.map((r) => [r.revisionStatus, r.revisionNumber]),
    [['WORKING', null], ['EFFECTIVE', 'B'], ['SUPERSEDED', 'A']]);
  assert.ok(revs2[2].supersededDateTime);
  const b = await ok('GET', `/v1/items/${top.guid}`);
  assert.equal(b.description, 'rev B text');
  assert.equal(b.lifecyclePhase.guid, proto.guid);
  const oldA = await ok('GET', `/v1/items/${revs2[2].guid}`);
  assert.equal(oldA.revisionStatus, 'SUPERSEDED');
  assert.equal(oldA.description, null);
  // Arena: only the effective revision (or the item) can go on a BOM, never a superseded one.
  const assembly = await ok('POST', '/v1/items', { name: 'Uses the part' }, 201);
  assertErrorBody(assert, await req('POST', `/v1/items/${assembly.guid}/bom`,
    { item: { guid: revs2[2].guid }, quantity: 1 }), 400, 3011);
  const onEffective = await req('POST', `/v1/items/${assembly.guid}/bom`,
    { item: { guid: revs2[1].guid }, quantity: 1 });
  assert.equal(onEffective.status, 201, onEffective.text);
  const ci = (await ok('GET', `/v1/changes/${eco2.guid}/items`)).results[0];
  assert.equal(ci.affectedItemRevision.revisionStatus, 'SUPERSEDED');
  assert.equal(ci.newItemRevision.revisionStatus, 'EFFECTIVE');
  // Completing and the terminal states.
  const completed = await status(eco2.guid, 'COMPLETED', { implementationStatus: { value: 'DONE' } });
  assert.equal(completed.json.status, 'COMPLETED', completed.text);
  assert.deepEqual(completed.json.implementationStatus, { value: 'DONE' });
  assertErrorBody(assert, await status(eco2.guid, 'CANCELED'), 409, 3075);
});

test('reject, reopen, cancel; on-date changes wait in APPROVED', async () => {
  const c = await ok('POST', '/v1/changes', { title: 'To reject' }, 201);
  await status(c.guid, 'SUBMITTED');
  assert.equal((await status(c.guid, 'REJECTED')).json.status, 'REJECTED');
  assert.equal((await status(c.guid, 'OPEN_AND_UNLOCKED')).json.status, 'OPEN_AND_UNLOCKED');
  // As in Arena, a locked change is not canceled: it is unlocked first.
  assert.equal((await status(c.guid, 'OPEN_AND_LOCKED')).json.status, 'OPEN_AND_LOCKED');
  assertErrorBody(assert, await status(c.guid, 'CANCELED'), 409, 3075);
  assert.equal((await status(c.guid, 'OPEN_AND_UNLOCKED')).json.status, 'OPEN_AND_UNLOCKED');
  assert.equal((await status(c.guid, 'CANCELED')).json.status, 'CANCELED');
  assertErrorBody(assert, await status(c.guid, 'OPEN_AND_UNLOCKED'), 409);
  // A submitted change locks its items' working revisions until it is withdrawn.
  const lockedItem = await ok('POST', '/v1/items', { name: 'Locked by change' }, 201);
  const part = await ok('POST', '/v1/items', { name: 'Part of locked' }, 201);
  const w = await ok('POST', '/v1/changes', { title: 'Withdraw me' }, 201);
  await ok('POST', `/v1/changes/${w.guid}/items`, { newItemRevision: { guid: lockedItem.guid } }, 201);
  await status(w.guid, 'SUBMITTED');
  assertErrorBody(assert, await req('PUT', `/v1/items/${lockedItem.guid}`, { name: 'edited' }), 409, 3066);
  assertErrorBody(assert, await req('POST', `/v1/items/${lockedItem.guid}/bom`,
    { item: { guid: part.guid } }), 409, 3066);
  assert.equal((await status(w.guid, 'OPEN_AND_UNLOCKED')).json.status, 'OPEN_AND_UNLOCKED');
  assert.equal((await req('PUT', `/v1/items/${lockedItem.guid}`, { name: 'edited' })).status, 200);

  const d = await ok('POST', '/v1/changes', { title: 'On date', effectivityType: 'PERMANENT_ON_DATE',
    effectivityPlannedDateTime: '2030-01-01T00:00:00Z' }, 201);
  assert.equal(d.effectivityPlannedDateTime, '2030-01-01T00:00:00Z');
  const item = await ok('POST', '/v1/items', { name: 'Dated' }, 201);
  await ok('POST', `/v1/changes/${d.guid}/items`, { newItemRevision: { guid: item.guid } }, 201);
  await status(d.guid, 'SUBMITTED');
  assert.equal((await status(d.guid, 'APPROVED')).json.status, 'APPROVED');
  assert.equal((await ok('GET', `/v1/items/${item.guid}`)).revisionStatus, 'WORKING');
  // Not before its planned date (plm_change_effectivity.test.mjs covers the date itself).
  assertErrorBody(assert, await status(d.guid, 'EFFECTIVE'), 409, 3075);
  assert.equal((await ok('GET', `/v1/items/${item.guid}`)).revisionStatus, 'WORKING');
});

test('change create, update, list, search and their events', async () => {
  const seq = await lastSequence();
  const c = await ok('POST', '/v1/changes', { title: 'Searchable change', number: 'DCO-000001' }, 201);
  assert.equal(c.number, 'DCO-000001');
  assertErrorBody(assert, await req('POST', '/v1/changes', { title: 'dup', number: 'DCO-000001' }),
    409, 3025);
  const u = await ok('PUT', `/v1/changes/${c.guid}`, { title: 'Searchable change 2',
    implementationStatus: 'IN_PROGRESS' });
  assert.equal(u.title, 'Searchable change 2');
  assert.equal(u.implementationStatus, 'IN_PROGRESS');
  const evs = await events(seq);
  assert.deepEqual(evs.map((e) => e.type), ['change.created', 'change.updated']);
  assert.equal(evs[1].before.title, 'Searchable change');
  assert.equal(evs[1].after.title, 'Searchable change 2');
  const found = await ok('GET', '/v1/changes?title=Searchable*');
  assert.equal(found.count, 1);
  const byNumber = await ok('GET', '/v1/changes?number=DCO-000001');
  assert.equal(byNumber.results[0].guid, c.guid);
  const open = await ok('GET', '/v1/changes?lifecycleStatus=open_and_unlocked&limit=400');
  assert.ok(open.results.every((x) => x.lifecycleStatus.type === 'OPEN_AND_UNLOCKED'));
  assertErrorBody(assert, await req('GET', '/v1/changes?limit=0'), 400, 3041);
  assert.equal((await ok('GET', '/v1/changes?limit=400')).count >= 1, true);
  assert.deepEqual(await ok('GET', '/v1/changes?offset=100000'), { count: 0, results: [] });
});

test('affected items: read, update, remove; deleting changes', async () => {
  const item = await ok('POST', '/v1/items', { name: 'Editable in change' }, 201);
  const c = await ok('POST', '/v1/changes', { title: 'Edit affected' }, 201);
  const ai = await ok('POST', `/v1/changes/${c.guid}/items`, { newItemRevision: { guid: item.guid } }, 201);
  assert.deepEqual(await ok('GET', `/v1/changes/${c.guid}/items/${ai.guid}`), ai);
  const seq = await lastSequence();
  const put = await ok('PUT', `/v1/changes/${c.guid}/items/${ai.guid}`, { newRevisionNumber: '01' });
  assert.equal(put.newRevisionNumber, '01');
  assertErrorBody(assert, await req('PUT', `/v1/changes/${c.guid}/items/${ai.guid}`, {}), 400, 4066);
  assert.equal((await req('DELETE', `/v1/changes/${c.guid}/items/${ai.guid}`)).status, 204);
  assertErrorBody(assert, await req('GET', `/v1/changes/${c.guid}/items/${ai.guid}`), 404);
  assert.equal((await req('DELETE', `/v1/changes/${c.guid}`)).status, 204);
  assertErrorBody(assert, await req('GET', `/v1/changes/${c.guid}`), 404);
  const evs = await events(seq);
  assert.deepEqual(evs.map((e) => [e.type, e.objectType]), [['change.updated', 'CHANGE_ITEM'],
    ['change.updated', 'CHANGE_ITEM'], ['change.deleted', 'CHANGE']]);
  assert.equal(evs[0].before.newRevisionNumber, 'A');
  assert.equal(evs[0].after.newRevisionNumber, '01');
  assert.equal(evs[1].after, null);
  assert.equal(evs[2].before.title, 'Edit affected');
  const locked = await ok('POST', '/v1/changes', { title: 'Locked' }, 201);
  await status(locked.guid, 'SUBMITTED');
  assertErrorBody(assert, await req('DELETE', `/v1/changes/${locked.guid}`), 409);
});

test('bad input on every change endpoint is a 4xx with an error body', async () => {
  const c = await ok('POST', '/v1/changes', { title: 'Victim' }, 201);
  const bad = [
    ['POST', '/v1/changes', { raw: '[', headers: { 'content-type': 'application/json' } }],
    ['POST', '/v1/changes', { body: {} }],
    ['POST', '/v1/changes', { body: { title: 3 } }],
    ['POST', '/v1/changes', { body: { title: 'x', effectivityType: 'SOMETIMES' } }],
    ['POST', '/v1/changes', { body: { title: 'x', approvalDeadlineDateTime: 'soon' } }],
    ['POST', '/v1/changes', { body: { title: 'x', bogus: 1 } }],
    ['GET', '/v1/changes/bad', {}],
    ['GET', '/v1/changes/AAAAAAAAAAAAAAAAAAAA', {}],
    ['PUT', `/v1/changes/${c.guid}`, { body: { title: '' } }],
    ['PUT', `/v1/changes/${c.guid}`, { body: { implementationStatus: 'MAYBE' } }],
    ['PUT', `/v1/changes/${c.guid}`, { body: { effectivityType: 'TEMPORARY' } }],
    ['GET', '/v1/changes/bad/items', {}],
    ['GET', `/v1/changes/${c.guid}/items/AAAAAAAAAAAAAAAAAAAA`, {}],
    ['GET', `/v1/changes/${c.guid}/items/bad`, {}],
    ['PUT', `/v1/changes/${c.guid}/items/AAAAAAAAAAAAAAAAAAAA`, { body: { newRevisionNumber: 'B' } }],
    ['DELETE', `/v1/changes/${c.guid}/items/AAAAAAAAAAAAAAAAAAAA`, {}],
    ['DELETE', '/v1/changes/AAAAAAAAAAAAAAAAAAAA', {}],
    ['POST', `/v1/changes/${c.guid}/items`, { body: {} }],
    ['POST', `/v1/changes/${c.guid}/items`, { body: { newItemRevision: { guid: 'x' } } }],
    ['POST', `/v1/changes/${c.guid}/items`,
      { body: { newItemRevision: { guid: 'AAAAAAAAAAAAAAAAAAAA' } } }],
    ['POST', '/v1/changes/statuschanges', { body: {} }],
    ['POST', '/v1/changes/statuschanges', { body: { change: { guid: c.guid } } }],
    ['POST', '/v1/changes/statuschanges', { body: { change: { guid: c.guid }, status: 'NOPE' } }],
    ['POST', '/v1/changes/statuschanges', { body: { change: { guid: c.guid }, status: 5 } }],
    ['POST', '/v1/changes/statuschanges',
      { body: { change: { guid: 'AAAAAAAAAAAAAAAAAAAA' }, status: 'OPEN_AND_LOCKED' } }],
    ['POST', '/v1/changes/statuschanges', { raw: 'x', headers: { 'content-type': 'application/json' } }],
  ];
  const seq = await lastSequence();
  for (const [method, path, opts] of bad) {
    const res = await server.request(method, path, { session, ...opts });
    assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status} ${res.text}`);
    assertErrorBody(assert, res, res.status);
  }
  assert.equal(await lastSequence(), seq);
});

test('a revision number set on the working revision is the one a change releases', async () => {
  const item = await ok('POST', '/v1/items', { name: 'Numbered by hand', revisionNumber: '1' }, 201);
  const eco = await ok('POST', '/v1/changes', { title: 'Release rev 1' }, 201);
  const ai = await ok('POST', `/v1/changes/${eco.guid}/items`,
    { newItemRevision: { guid: item.guid } }, 201);
  assert.equal(ai.newRevisionNumber, '1');
  // Without one, the next revision is derived: A for an item never released.
  const plain = await ok('POST', '/v1/items', { name: 'Numbered by arenite' }, 201);
  const derived = await ok('POST', `/v1/changes/${eco.guid}/items`,
    { newItemRevision: { guid: plain.guid } }, 201);
  assert.equal(derived.newRevisionNumber, 'A');
  // Released, an item's GET shows its effective revision; sent back with PUT, that number lands
  // on the working revision, and is not released a second time: B is derived.
  await status(eco.guid, 'SUBMITTED');
  assert.equal((await status(eco.guid, 'APPROVED')).json.status, 'EFFECTIVE');
  const shown = await ok('GET', `/v1/items/${plain.guid}`);
  assert.equal(shown.revisionNumber, 'A');
  await ok('PUT', `/v1/items/${plain.guid}`, { revisionNumber: shown.revisionNumber });
  const eco2 = await ok('POST', '/v1/changes', { title: 'Rev B' }, 201);
  const next = await ok('POST', `/v1/changes/${eco2.guid}/items`,
    { newItemRevision: { guid: plain.guid } }, 201);
  assert.equal(next.newRevisionNumber, 'B');
});

test('numberSequencePrefix numbers a new change as Arena does, and is refused on update', async () => {
  // The default format's prefix shares its sequence; another prefix gets one of its own.
  const a = await ok('POST', '/v1/changes',
    { title: 'Arena sample', numberSequencePrefix: { value: 'ECO-' } }, 201);
  assert.match(a.number, /^ECO-\d{6}$/);
  const b = await ok('POST', '/v1/changes', { title: 'Next by default' }, 201);
  assert.equal(Number(b.number.slice(4)), Number(a.number.slice(4)) + 1);
  const d1 = await ok('POST', '/v1/changes',
    { title: 'Deviation', numberSequencePrefix: { value: 'DEV-' } }, 201);
  const d2 = await ok('POST', '/v1/changes',
    { title: 'Deviation 2', numberSequencePrefix: { value: 'DEV-' } }, 201);
  assert.deepEqual([d1.number, d2.number], ['DEV-000001', 'DEV-000002']);
  // A number given whole wins over the prefix.
  const whole = await ok('POST', '/v1/changes',
    { title: 'Numbered', number: 'DEV-777777', numberSequencePrefix: { value: 'DEV-' } }, 201);
  assert.equal(whole.number, 'DEV-777777');
  for (const bad of ['ECO-', { value: '' }, { value: 'has space' }, { value: 'x'.repeat(21) }]) {
    assertErrorBody(assert, await req('POST', '/v1/changes',
      { title: 'Bad prefix', numberSequencePrefix: bad }), 400);
  }
  assertErrorBody(assert, await req('PUT', `/v1/changes/${a.guid}`,
    { numberSequencePrefix: { value: 'DEV-' } }), 400, 3004);
});

test('change categories: Arena\'s settings list, a change made in one takes its defaults', async () => {
  const list = await ok('GET', '/v1/settings/changes/categories');
  assert.equal(list.count, list.results.length);
  const byPath = Object.fromEntries(list.results.map((c) => [c.path, c]));
  const eco = byPath['Change\\Change Order\\Engineering Change Order'];
  const order = byPath['Change\\Change Order'];
  const deviation = byPath['Change\\Deviation'];
  assert.ok(eco && order && deviation && byPath.Change, JSON.stringify(Object.keys(byPath)));
  assert.deepEqual([eco.level, eco.assignable, eco.numberingSequencePrefixDefault],
    [3, true, { value: 'ECO-' }]);
  assert.equal(order.assignable, false);
  assert.equal(deviation.effectivityType, 'TEMPORARY');
  assert.deepEqual(await ok('GET', `/v1/settings/changes/categories/${eco.guid}`), eco);
  assertErrorBody(assert, await req('GET', '/v1/settings/changes/categories/AAAAAAAAAAAAAAAAAAAA'), 404);

  // Arena's own sample request: category and numberSequencePrefix.
  const a = await ok('POST', '/v1/changes', {
    category: { guid: eco.guid }, numberSequencePrefix: { value: 'ECO-' }, title: 'Case melting',
  }, 201);
  assert.deepEqual(a.category, { guid: eco.guid, name: 'Engineering Change Order', path: eco.path });
  assert.match(a.number, /^ECO-\d{6}$/);
  assert.deepEqual((await ok('GET', `/v1/changes/${a.guid}`)).category, a.category);
  // A deviation with neither effectivity nor prefix takes the category's.
  const d = await ok('POST', '/v1/changes', {
    category: { guid: deviation.guid }, title: 'Use black enclosures',
    expirationDateTime: '2031-10-15T07:59:59Z',
  }, 201);
  assert.equal(d.effectivityType, 'TEMPORARY');
  assert.match(d.number, /^DEV-\d{6}$/);
  // Without a category a change has none, as before.
  const plain = await ok('POST', '/v1/changes', { title: 'No category' }, 201);
  assert.equal(plain.category, null);

  // A PUT of what a GET gave (name and path included) keeps the category; another one moves it.
  const got = await ok('GET', `/v1/changes/${a.guid}`);
  const kept = await ok('PUT', `/v1/changes/${a.guid}`, { title: 'Case melting (2)', category: got.category });
  assert.deepEqual(kept.category, a.category);
  const moved = await ok('PUT', `/v1/changes/${plain.guid}`, { category: { guid: byPath.Change.guid } });
  assert.equal(moved.category.path, 'Change');
  assert.equal((await ok('PUT', `/v1/changes/${plain.guid}`, { title: 'Still there' })).category.path,
    'Change');

  // The change list searches by category, as Arena's does.
  const ecos = await ok('GET', `/v1/changes?category.guid=${eco.guid}&limit=400`);
  assert.deepEqual(ecos.results.map((c) => c.guid), [a.guid]);
  assert.deepEqual((await ok('GET', `/v1/changes?category=${deviation.guid}`)).results.map((c) => c.guid),
    [d.guid]);
  assertErrorBody(assert, await req('GET', '/v1/changes?category.guid=nope'), 400);

  // Unknown, structural and malformed categories are refused, on create and on update.
  assertErrorBody(assert, await req('POST', '/v1/changes',
    { title: 'x', category: { guid: 'AAAAAAAAAAAAAAAAAAAA' } }), 400, 3002);
  assertErrorBody(assert, await req('POST', '/v1/changes',
    { title: 'x', category: { guid: order.guid } }), 400, 3007);
  assertErrorBody(assert, await req('POST', '/v1/changes', { title: 'x', category: 'ECO' }), 400);
  assertErrorBody(assert, await req('PUT', `/v1/changes/${a.guid}`,
    { category: { guid: order.guid } }), 400, 3007);
  // Arena's samples name approval routings, which this server has none of: a clear 400.
  const routed = await req('POST', '/v1/changes',
    { title: 'x', category: { guid: eco.guid }, routings: [{ guid: 'HZJ2LYJAX0HK3M5O4QR4' }] });
  assertErrorBody(assert, routed, 400, 3004);
  assert.match(routed.json.errors[0].message, /routings.*no approval routings/);
  assertErrorBody(assert, await req('PUT', `/v1/changes/${a.guid}`, { routings: [] }), 400, 3004);
  // An item category is not a change category.
  const itemCategory = (await ok('GET', '/v1/settings/items/categories')).results
    .find((c) => c.assignable);
  assertErrorBody(assert, await req('POST', '/v1/changes',
    { title: 'x', category: { guid: itemCategory.guid } }), 400, 3002);
});
