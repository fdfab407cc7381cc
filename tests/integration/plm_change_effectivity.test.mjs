// Effectivity on date: an APPROVED PERMANENT_ON_DATE change becomes EFFECTIVE by itself once the
// server's clock (moved with POST /_test/clock) reaches its effectivityPlannedDateTime, releasing
// its items exactly as a client's move to EFFECTIVE does, with the events recorded as the
// system's; at once when approved after that date; never when rejected, canceled or re-dated;
// and at the next start when it fell due while the server was down. A deviation (TEMPORARY)
// becomes EXPIRED the same way on its expiration date.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';
import {
  lastSequence as workspaceLastSequence, eventsAfter as workspaceEventsAfter,
} from '../lib/workspace_events.mjs';

const SYSTEM = 'system:effectivity';
let server, session;
const req = (method, path, body, opts = {}) =>
  server.request(method, path, { body, session, ...opts });
async function ok(method, path, body, code = 200) {
  const res = await req(method, path, body);
  assert.equal(res.status, code, `${method} ${path}: ${res.text}`);
  return res.json;
}
const status = (guid, s) => req('POST', '/v1/changes/statuschanges', { change: { guid }, status: s });
const lastSequence = () => workspaceLastSequence(server, session);
const eventsAfter = (seq) => workspaceEventsAfter(server, session, seq);
// The server's time, in seconds.
async function serverNow() {
  const res = await server.request('POST', '/_test/clock', { body: { advanceSeconds: 0 } });
  return Date.parse(res.json.nowDateTime) / 1000;
}
const iso = (seconds) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
// Polls the change until it has `want` status, for at most 15 s of real time.
async function waitForStatus(guid, want) {
  let change;
  for (let i = 0; i < 150; i++) {
    change = await ok('GET', `/v1/changes/${guid}`);
    if (change.lifecycleStatus.type === want) return change;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`change ${guid} stayed ${change.lifecycleStatus.type}, expected ${want}`);
}
// A submitted PERMANENT_ON_DATE change planned at `planned` (seconds), holding `item`.
async function submittedOnDate(planned, item, extra = {}) {
  const c = await ok('POST', '/v1/changes', { title: 'Release on date',
    effectivityType: 'PERMANENT_ON_DATE', effectivityPlannedDateTime: iso(planned) }, 201);
  assert.equal(c.effectivityPlannedDateTime, iso(planned));
  if (item) {
    await ok('POST', `/v1/changes/${c.guid}/items`, { newItemRevision: { guid: item.guid }, ...extra },
      201);
  }
  assert.equal((await status(c.guid, 'SUBMITTED')).json.status, 'SUBMITTED_FOR_APPROVAL');
  return c;
}

before(async () => {
  server = await startServer();
  session = await server.login();
});
after(async () => { await server?.stop(); });

test('an approved change becomes effective by itself on its planned date', async () => {
  // Revision A is released at once by a PERMANENT_ON_APPROVAL change, as before.
  const item = await ok('POST', '/v1/items', { name: 'Rear panel' }, 201);
  const eco = await ok('POST', '/v1/changes', { title: 'First release' }, 201);
  await ok('POST', `/v1/changes/${eco.guid}/items`,
    { newItemRevision: { guid: item.guid }, newRevisionNumber: 'A' }, 201);
  await status(eco.guid, 'SUBMITTED');
  let seq = await lastSequence();
  assert.equal((await status(eco.guid, 'APPROVED')).json.status, 'EFFECTIVE');
  assert.ok((await eventsAfter(seq)).every((e) => e.actor.startsWith('user:')));
  const revA = await ok('GET', `/v1/items/${item.guid}`);
  assert.equal(revA.revisionNumber, 'A');

  // Revision B on a date an hour away: approved, and it stays approved until then.
  const planned = (await serverNow()) + 3600;
  const c = await submittedOnDate(planned, item, { newRevisionNumber: 'B' });
  assert.equal((await status(c.guid, 'APPROVED')).json.status, 'APPROVED');
  assertErrorBody(assert, await status(c.guid, 'EFFECTIVE'), 409, 3075);
  assert.equal((await ok('GET', `/v1/changes/${c.guid}`)).lifecycleStatus.type, 'APPROVED');
  assert.equal((await ok('GET', `/v1/items/${item.guid}`)).revisionNumber, 'A');

  seq = await lastSequence();
  await server.advanceClock(3601);
  const done = await waitForStatus(c.guid, 'EFFECTIVE');
  assert.ok(Date.parse(done.effectiveDateTime) / 1000 >= planned);
  const now = await ok('GET', `/v1/items/${item.guid}`);
  assert.equal(now.revisionNumber, 'B');
  assert.equal(now.revisionStatus, 'EFFECTIVE');
  const revisions = (await ok('GET', `/v1/items/${item.guid}/revisions`)).results;
  const byNumber = Object.fromEntries(revisions.filter((r) => r.number).map((r) => [r.number, r]));
  assert.equal(byNumber.A.revisionStatus, 'SUPERSEDED');
  assert.equal(byNumber.B.revisionStatus, 'EFFECTIVE');
  assert.ok(revisions.some((r) => r.revisionStatus === 'WORKING'), JSON.stringify(revisions));

  const evs = await eventsAfter(seq);
  assert.deepEqual(evs.map((e) => e.type), ['item.updated', 'change.status_changed']);
  assert.ok(evs.every((e) => e.actor === SYSTEM), JSON.stringify(evs.map((e) => e.actor)));
  assert.equal(evs[0].objectGuid, item.guid);
  assert.equal(evs[1].objectGuid, c.guid);
  assert.equal(evs[1].before.lifecycleStatus.type, 'APPROVED');
  assert.equal(evs[1].after.lifecycleStatus.type, 'EFFECTIVE');
  // Promoted once only.
  assert.equal((await eventsAfter(seq)).length, 2);
});

test('approved after its planned date: effective at once, the move recorded as the system',
  async () => {
    const item = await ok('POST', '/v1/items', { name: 'Late bracket' }, 201);
    const c = await submittedOnDate((await serverNow()) + 60, item);
    await server.advanceClock(120);
    const seq = await lastSequence();
    assert.equal((await status(c.guid, 'APPROVED')).json.status, 'EFFECTIVE');
    assert.equal((await ok('GET', `/v1/changes/${c.guid}`)).lifecycleStatus.type, 'EFFECTIVE');
    assert.equal((await ok('GET', `/v1/items/${item.guid}`)).revisionStatus, 'EFFECTIVE');
    const evs = await eventsAfter(seq);
    assert.deepEqual(evs.map((e) => [e.type, e.actor]), [
      ['change.status_changed', `user:${server.userId}`],
      ['item.lifecycle_changed', SYSTEM],
      ['change.status_changed', SYSTEM],
    ]);
    assert.equal(evs[0].after.lifecycleStatus.type, 'APPROVED');
    assert.equal(evs[2].after.lifecycleStatus.type, 'EFFECTIVE');
  });

test('rejected, canceled and re-dated changes are not promoted; on-approval ones unaffected',
  async () => {
    const t0 = await serverNow();
    const canceled = await ok('POST', '/v1/changes', { title: 'Canceled',
      effectivityType: 'PERMANENT_ON_DATE', effectivityPlannedDateTime: iso(t0 + 600) }, 201);
    assert.equal((await status(canceled.guid, 'CANCELED')).json.status, 'CANCELED');
    const rejected = await submittedOnDate(t0 + 600, null);
    assert.equal((await status(rejected.guid, 'REJECTED')).json.status, 'REJECTED');
    // Re-dated while open (withdrawn, edited, submitted again) to a day later, then approved.
    const redated = await submittedOnDate(t0 + 600, null);
    await status(redated.guid, 'OPEN_AND_UNLOCKED');
    const edited = await ok('PUT', `/v1/changes/${redated.guid}`,
      { effectivityPlannedDateTime: iso(t0 + 86400) });
    assert.equal(edited.effectivityPlannedDateTime, iso(t0 + 86400));
    await status(redated.guid, 'SUBMITTED');
    assert.equal((await status(redated.guid, 'APPROVED')).json.status, 'APPROVED');
    // Switched to PERMANENT_ON_APPROVAL before submission: effective on approval, as always.
    const switched = await ok('POST', '/v1/changes', { title: 'Switched',
      effectivityType: 'PERMANENT_ON_DATE', effectivityPlannedDateTime: iso(t0 + 86400) }, 201);
    await ok('PUT', `/v1/changes/${switched.guid}`, { effectivityType: 'PERMANENT_ON_APPROVAL' });
    await status(switched.guid, 'SUBMITTED');
    assert.equal((await status(switched.guid, 'APPROVED')).json.status, 'EFFECTIVE');
    // A control change due at the same date: once it is effective, the scheduler has looked.
    const control = await submittedOnDate(t0 + 600, null);
    assert.equal((await status(control.guid, 'APPROVED')).json.status, 'APPROVED');

    await server.advanceClock(1200);
    await waitForStatus(control.guid, 'EFFECTIVE');
    const get = async (c) => (await ok('GET', `/v1/changes/${c.guid}`)).lifecycleStatus.type;
    assert.equal(await get(canceled), 'CANCELED');
    assert.equal(await get(rejected), 'REJECTED');
    assert.equal(await get(redated), 'APPROVED');
    assert.equal(await get(switched), 'EFFECTIVE');
    await server.advanceClock(86400);
    session = await server.login();  // a session ends 90 minutes after its last use
    await waitForStatus(redated.guid, 'EFFECTIVE');
  });

test('a deviation expires by itself on its expiration date, or earlier by hand', async () => {
  const item = await ok('POST', '/v1/items', { name: 'Gasket' }, 201);
  const expires = (await serverNow()) + 600;
  const dev = await ok('POST', '/v1/changes', { title: 'Old gasket for a week',
    effectivityType: 'TEMPORARY', expirationDateTime: iso(expires) }, 201);
  assert.equal(dev.expirationDateTime, iso(expires));
  // Arena: "Unreleased item cannot be added to a temporary change" (4002). Released first.
  assertErrorBody(assert, await req('POST', `/v1/changes/${dev.guid}/items`,
    { newItemRevision: { guid: item.guid } }), 400, 4002);
  const release = await ok('POST', '/v1/changes', { title: 'Release the gasket' }, 201);
  await ok('POST', `/v1/changes/${release.guid}/items`, { newItemRevision: { guid: item.guid } }, 201);
  await status(release.guid, 'SUBMITTED');
  assert.equal((await status(release.guid, 'APPROVED')).json.status, 'EFFECTIVE');
  await ok('POST', `/v1/changes/${dev.guid}/items`, { newItemRevision: { guid: item.guid } }, 201);
  await status(dev.guid, 'SUBMITTED');
  assert.equal((await status(dev.guid, 'APPROVED')).json.status, 'EFFECTIVE');
  // A deviation releases nothing, and is not completed while in effect.
  const released = await ok('GET', `/v1/items/${item.guid}`);
  assert.deepEqual([released.revisionStatus, released.revisionNumber], ['EFFECTIVE', 'A']);
  assertErrorBody(assert, await status(dev.guid, 'COMPLETED'), 409, 3075);

  const seq = await lastSequence();
  await server.advanceClock(601);
  await waitForStatus(dev.guid, 'EXPIRED');
  const evs = await eventsAfter(seq);
  assert.deepEqual(evs.map((e) => [e.type, e.actor]), [['change.status_changed', SYSTEM]]);
  assert.equal(evs[0].before.lifecycleStatus.type, 'EFFECTIVE');
  assert.equal(evs[0].after.lifecycleStatus.type, 'EXPIRED');
  assert.equal((await ok('GET', `/v1/items/${item.guid}`)).revisionNumber, 'A');
  assert.equal((await ok('GET', '/v1/changes?lifecycleStatus=EXPIRED')).results
    .filter((c) => c.guid === dev.guid).length, 1);
  assert.equal((await status(dev.guid, 'COMPLETED')).json.status, 'COMPLETED');

  // Forced before its date; a permanent change cannot expire.
  const early = await ok('POST', '/v1/changes', { title: 'Deviation', effectivityType: 'TEMPORARY',
    expirationDateTime: iso((await serverNow()) + 86400) }, 201);
  await status(early.guid, 'SUBMITTED');
  await status(early.guid, 'APPROVED');
  const forced = await status(early.guid, 'EXPIRED');
  assert.equal(forced.status, 201, forced.text);
  assert.equal(forced.json.status, 'EXPIRED');
  const eco = await ok('POST', '/v1/changes', { title: 'Permanent' }, 201);
  await status(eco.guid, 'SUBMITTED');
  await status(eco.guid, 'APPROVED');
  assertErrorBody(assert, await status(eco.guid, 'EXPIRED'), 409, 3075);
});

test('bad input of effectivity on date is 4xx with the error body', async () => {
  assertErrorBody(assert, await req('POST', '/v1/changes',
    { title: 'No date', effectivityType: 'PERMANENT_ON_DATE' }), 400, 3001);
  assertErrorBody(assert, await req('POST', '/v1/changes', { title: 'Bad date',
    effectivityType: 'PERMANENT_ON_DATE', effectivityPlannedDateTime: '31/12/2030' }), 400, 3003);
  assertErrorBody(assert, await req('POST', '/v1/changes', { title: 'Bad date',
    effectivityType: 'PERMANENT_ON_DATE', effectivityPlannedDateTime: 20301231 }), 400);
  assertErrorBody(assert, await req('POST', '/v1/changes', { title: 'Bad date',
    effectivityType: 'PERMANENT_ON_DATE', effectivityPlannedDateTime: 'x'.repeat(1000) }), 400);
  const c = await ok('POST', '/v1/changes', { title: 'Dated',
    effectivityType: 'PERMANENT_ON_DATE', effectivityPlannedDateTime: '2031-01-01T00:00:00Z' }, 201);
  assertErrorBody(assert, await req('PUT', `/v1/changes/${c.guid}?setnull=true`,
    { effectivityPlannedDateTime: null }), 400, 3001);
  const plain = await ok('POST', '/v1/changes', { title: 'Plain' }, 201);
  assertErrorBody(assert, await req('PUT', `/v1/changes/${plain.guid}`,
    { effectivityType: 'PERMANENT_ON_DATE' }), 400, 3001);
  assert.equal((await ok('GET', `/v1/changes/${c.guid}`)).effectivityPlannedDateTime,
    '2031-01-01T00:00:00Z');
});

test('a change that fell due while the server was down is effective at the next start',
  async () => {
    // A restarted server's test clock starts again at the real time, so the date is a few
    // seconds of real time away and the test waits for it to pass while the server is down.
    const first = await startServer();
    const s1 = await first.login();
    const call = (srv, s, method, path, body) => srv.request(method, path, { body, session: s });
    const planned = Math.floor(Date.now() / 1000) + 4;
    const made = await call(first, s1, 'POST', '/v1/changes', { title: 'Due while down',
      effectivityType: 'PERMANENT_ON_DATE', effectivityPlannedDateTime: iso(planned) });
    assert.equal(made.status, 201, made.text);
    const guid = made.json.guid;
    const move = (srv, s, to) =>
      call(srv, s, 'POST', '/v1/changes/statuschanges', { change: { guid }, status: to });
    assert.equal((await move(first, s1, 'SUBMITTED')).status, 201);
    assert.equal((await move(first, s1, 'APPROVED')).json.status, 'APPROVED');
    assert.equal(await first.stop(), 0);
    while (Date.now() < (planned + 1) * 1000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const second = await startServer({ dataDir: first.dataDir, init: false });
    try {
      const s2 = await second.login(first.email, first.password);
      let change;
      for (let i = 0; i < 150; i++) {
        change = (await call(second, s2, 'GET', `/v1/changes/${guid}`)).json;
        if (change.lifecycleStatus.type === 'EFFECTIVE') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(change.lifecycleStatus.type, 'EFFECTIVE');
      const evs = (await call(second, s2, 'GET', '/v1/events?after=0&limit=400')).json.results;
      const last = evs.filter((e) => e.objectGuid === guid).at(-1);
      assert.equal(last.type, 'change.status_changed');
      assert.equal(last.actor, SYSTEM);
    } finally {
      await second.stop();
    }
  });

test('an approval that makes an on-date change effective at once may set implementationStatus', async () => {
  const item = await ok('POST', '/v1/items', { name: 'Washer, late' }, 201);
  const change = await ok('POST', '/v1/changes', { title: 'Already due',
    effectivityType: 'PERMANENT_ON_DATE', effectivityPlannedDateTime: iso((await serverNow()) + 60) }, 201);
  await ok('POST', `/v1/changes/${change.guid}/items`, { newItemRevision: { guid: item.guid } }, 201);
  await status(change.guid, 'SUBMITTED');
  await server.advanceClock(61);
  const approved = await req('POST', '/v1/changes/statuschanges', { change: { guid: change.guid },
    status: 'APPROVED', implementationStatus: { value: 'IN_PROGRESS' } });
  assert.equal(approved.status, 201, approved.text);
  assert.equal(approved.json.status, 'EFFECTIVE');
  assert.equal((await ok('GET', `/v1/changes/${change.guid}`)).implementationStatus, 'IN_PROGRESS');
});
