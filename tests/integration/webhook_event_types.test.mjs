// The webhook event catalogue (docs/webhook-event-types.json, compiled into arenite): every
// example validates against its type's JSON Schema, and so does every real event that the API
// makes, built into the EVENT delivery body as the webhook worker builds it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { startServer, repoRoot } from '../lib/arenite.mjs';
import { makeEveryEvent, deliveryBody } from '../lib/workspace_events.mjs';

const catalogue = JSON.parse(readFileSync(path.join(repoRoot, 'docs', 'webhook-event-types.json')));
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
// As arenite serves them: each schema with the catalogue's $defs, so that it stands alone.
const validators = new Map(catalogue.eventTypes.map((t) =>
  [t.name, ajv.compile({ ...t.schema, $defs: catalogue.$defs })]));
function check(body) {
  const validate = validators.get(body.type);
  assert.ok(validate, `no event type ${body.type}`);
  const valid = validate(body);
  return valid ? null : ajv.errorsText(validate.errors);
}

let server, session;
before(async () => {
  server = await startServer();
  session = await server.login();
});
after(async () => { await server?.stop(); });

test('the catalogue lists every event type of INTERFACE.md and arenite, sorted', () => {
  const names = catalogue.eventTypes.map((t) => t.name);
  assert.deepEqual(names, [...names].sort());
  assert.equal(new Set(names).size, names.length);
  for (const required of ['item.created', 'item.updated', 'item.deleted', 'item.lifecycle_changed',
    'change.created', 'change.updated', 'change.status_changed', 'supplier.created',
    'supplier.updated', 'supplier.deleted', 'extract.completed', 'webhook.test',
    'change.deleted', 'supplieritem.created', 'supplieritem.updated', 'supplieritem.deleted']) {
    assert.ok(names.includes(required), `${required} is missing`);
  }
  assert.equal(names.length, 16);
  for (const t of catalogue.eventTypes) {
    assert.ok(t.description.length > 10, t.name);
    assert.equal(t.schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(t.example.type, t.name);
  }
});

test('every example validates against its schema', () => {
  for (const t of catalogue.eventTypes) {
    assert.equal(check(t.example), null, `${t.name}: ${check(t.example)}`);
  }
});

test('the schemas refuse bodies that are not of their type', () => {
  const example = (name) => structuredClone(catalogue.eventTypes.find((t) => t.name === name).example);
  const cases = [
    ['a body of another type', () => { const b = example('item.created'); b.type = 'item.updated'; return [b, 'item.updated']; }],
    ['a created object with a previous one', () => { const b = example('item.created'); b.data.previous = b.data.object; return [b]; }],
    ['an update without previous', () => { const b = example('item.updated'); delete b.data.previous; return [b]; }],
    ['an item with a field the API never returns', () => { const b = example('item.created'); b.data.object.colour = 'red'; return [b]; }],
    ['an item without its guid', () => { const b = example('item.deleted'); delete b.data.object.guid; return [b]; }],
    ['a bad guid', () => { const b = example('supplier.created'); b.data.workspaceId = 'nope'; return [b]; }],
    ['a bad time', () => { const b = example('change.created'); b.timestamp = '2026-12-03 12:00'; return [b]; }],
    ['a change under an item type', () => { const b = example('item.created'); b.data.object = example('change.created').data.object; return [b]; }],
    ['an unknown objectType', () => { const b = example('item.updated'); b.data.objectType = 'WIDGET'; return [b]; }],
    ['an extra data field', () => { const b = example('webhook.test'); b.data.extra = 1; return [b]; }],
    ['a sequence of 0', () => { const b = example('supplieritem.created'); b.data.sequence = 0; return [b]; }],
  ];
  for (const [what, make] of cases) {
    const [body, as] = make();
    const validate = validators.get(as ?? body.type);
    assert.equal(validate(body), false, `${what} was accepted`);
  }
});

test('real events made through the API validate as delivery bodies', async () => {
  const events = await makeEveryEvent(server, session);
  const seen = new Set();
  for (const event of events) {
    const body = deliveryBody(event, server.workspaceId);
    assert.equal(check(body), null,
      `${event.type} ${event.objectType} #${event.sequence}: ${check(body)}\n${JSON.stringify(body)}`);
    seen.add(`${event.type} ${event.objectType}`);
  }
  const kinds = [...seen].sort();
  for (const t of catalogue.eventTypes.filter((x) => x.name !== 'webhook.test')) {
    assert.ok(kinds.some((k) => k.startsWith(`${t.name} `)), `no real ${t.name} event was made`);
  }
  for (const kind of ['item.updated BOM_LINE', 'item.updated SOURCING', 'item.updated ITEM',
    'change.updated CHANGE_ITEM', 'change.updated CHANGE']) {
    assert.ok(seen.has(kind), `no real ${kind} event was made`);
  }
  // The shapes the brief of the worker fixes: previous only when both exist.
  const created = events.find((e) => e.type === 'item.created');
  assert.equal('previous' in deliveryBody(created, server.workspaceId).data, false);
  const deleted = deliveryBody(events.find((e) => e.type === 'item.deleted'), server.workspaceId);
  assert.equal(deleted.data.object.guid, deleted.data.objectGuid);
  assert.equal('previous' in deleted.data, false);
});
