// Makes one of every kind of workspace event through the real API, with as many fields filled
// in as the API takes (categories, phases, custom attributes, owners, addresses), and returns
// the events it caused as GET /v1/events lists them. Used to check the webhook event catalogue
// against real objects, and by webhook tests that need a run of every event type.

async function call(server, session, method, path, body, status) {
  const res = await server.request(method, path, { body, session });
  if (status !== undefined && res.status !== status) {
    throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  }
  return res.json;
}

export async function lastSequence(server, session) {
  let after = 0;
  for (;;) {
    const page = await call(server, session, 'GET', `/v1/events?after=${after}&limit=400`);
    if (page.count === 0) return after;
    after = page.results.at(-1).sequence;
  }
}

export async function eventsAfter(server, session, seq) {
  const out = [];
  for (;;) {
    const page = await call(server, session, 'GET', `/v1/events?after=${seq}&limit=400`);
    if (page.count === 0) return out;
    out.push(...page.results);
    seq = page.results.at(-1).sequence;
  }
}

// The EVENT delivery body the webhook worker builds from one /v1/events entry.
export function deliveryBody(event, workspaceId) {
  const data = {
    workspaceId, eventGuid: event.guid, sequence: event.sequence, objectType: event.objectType,
    objectGuid: event.objectGuid, actor: event.actor,
    object: event.after ?? event.before,
  };
  if (event.before != null && event.after != null) data.previous = event.before;
  return { type: event.type, timestamp: event.creationDateTime, data };
}

// `tag` keeps the names that must be unique apart when a workspace gets this run twice.
export async function makeEveryEvent(server, session, { tag = '' } = {}) {
  const ok = (method, path, body, status = 200) =>
    call(server, session, method, path, body, status);
  const status = (guid, s, extra = {}) =>
    ok('POST', '/v1/changes/statuschanges', { change: { guid }, status: s, ...extra }, 201);
  const seq = await lastSequence(server, session);

  const phases = (await ok('GET', '/v1/settings/items/lifecyclephases')).results;
  const prod = phases.find((p) => p.name === 'In Production');
  const proto = phases.find((p) => p.name === 'Prototype');
  const categories = (await ok('GET', '/v1/settings/items/categories')).results;
  const category = categories.find((c) => !c.structural) ?? categories[0];
  const eoq = await ok('POST', '/v1/settings/items/attributes',
    { name: `Order quantity${tag}`, fieldType: 'NUMBER' }, 201);

  // Items, a BOM line, an item deleted.
  const top = await ok('POST', '/v1/items', {
    name: 'Controller board', description: 'Main board', category: { guid: category.guid },
    uom: 'each', standardCost: 12.5, additionalAttributes: [{ guid: eoq.guid, value: 1000 }],
  }, 201);
  const part = await ok('POST', '/v1/items', { name: 'Capacitor 10uF 0805' }, 201);
  await ok('PUT', `/v1/items/${top.guid}`, { description: 'Main board, rev 2 layout' });
  await ok('PUT', `/v1/items/${part.guid}`, { lifecyclePhase: { guid: proto.guid } });
  const line = await ok('POST', `/v1/items/${top.guid}/bom`,
    { item: { guid: part.guid }, quantity: 4, refDes: 'C1-C4', notes: 'X7R' }, 201);
  await ok('PUT', `/v1/items/${top.guid}/bom/${line.guid}`, { quantity: 6, refDes: 'C1-C6' });
  await ok('DELETE', `/v1/items/${top.guid}/bom/${line.guid}`, undefined, 204);
  const scrap = await ok('POST', '/v1/items', { name: 'Scrapped idea' }, 201);
  await ok('DELETE', `/v1/items/${scrap.guid}`, undefined, 204);

  // Suppliers, supplier items, sourcing.
  const mfr = await ok('POST', '/v1/suppliers', {
    name: 'Murata', supplierId: `murata${tag}`, approvalStatus: 'approved',
    website: 'www.murata.example', addresses: [{ primary: true,
      address: { city: 'Kyoto', 'Country/Region': 'Japan' } }],
    phoneNumbers: [{ number: '+81-75-000-0000', label: 'Main' }],
  }, 201);
  await ok('PUT', `/v1/suppliers/${mfr.guid}`, { description: 'Capacitors' });
  const gone = await ok('POST', '/v1/suppliers', { name: 'Defunct Parts' }, 201);
  await ok('DELETE', `/v1/suppliers/${gone.guid}`, undefined, 204);
  const mi = await ok('POST', '/v1/supplieritems',
    { supplier: { guid: mfr.guid }, number: `GRM21BR61A106KE19L${tag}`, name: 'CAP 10UF 10V X5R 0805' },
    201);
  await ok('PUT', `/v1/supplieritems/${mi.guid}`, { description: 'ceramic' });
  const src = await ok('POST', `/v1/items/${part.guid}/sourcing`,
    { mfrItem: { guid: mi.guid }, approved: true, amlRank: 1, activeProduction: true }, 201);
  await ok('PUT', `/v1/items/${part.guid}/sourcing/${src.guid}`, { notes: 'preferred' });
  await ok('DELETE', `/v1/items/${part.guid}/sourcing/${src.guid}`, undefined, 204);
  const old = await ok('POST', '/v1/supplieritems',
    { supplier: { guid: mfr.guid }, number: `OBSOLETE-1${tag}` }, 201);
  await ok('DELETE', `/v1/supplieritems/${old.guid}`, undefined, 204);

  // A change that releases the board: affected item added, edited; submitted, approved
  // (effective at once), which releases the item and changes its phase.
  const eco = await ok('POST', '/v1/changes', { title: 'Release controller', description: 'first' },
    201);
  await ok('PUT', `/v1/changes/${eco.guid}`, { description: 'First release of the board' });
  const ai = await ok('POST', `/v1/changes/${eco.guid}/items`, {
    newItemRevision: { guid: top.workingRevision.guid }, newRevisionNumber: 'A',
    newLifecyclePhase: { guid: prod.guid } }, 201);
  await ok('PUT', `/v1/changes/${eco.guid}/items/${ai.guid}`, { newRevisionNumber: 'A1' });
  const extra = await ok('POST', `/v1/changes/${eco.guid}/items`,
    { newItemRevision: { guid: part.workingRevision.guid } }, 201);
  await ok('DELETE', `/v1/changes/${eco.guid}/items/${extra.guid}`, undefined, 204);
  await status(eco.guid, 'SUBMITTED', { comment: 'please review' });
  await status(eco.guid, 'APPROVED');
  await ok('POST', '/v1/changes', { title: 'Planned release', effectivityType: 'PERMANENT_ON_DATE',
    effectivityPlannedDateTime: '2030-01-01T00:00:00Z' }, 201);
  const deviation = await ok('POST', '/v1/changes', { title: 'Deviation', effectivityType: 'TEMPORARY',
    expirationDateTime: '2030-06-30T00:00:00Z' }, 201);
  await status(deviation.guid, 'SUBMITTED');
  await status(deviation.guid, 'APPROVED');
  await status(deviation.guid, 'EXPIRED', { comment: 'expired early' });
  const dropped = await ok('POST', '/v1/changes', { title: 'Never mind' }, 201);
  await ok('DELETE', `/v1/changes/${dropped.guid}`, undefined, 204);

  // An extract run.
  const extract = await ok('POST', '/v1/extracts',
    { name: 'Nightly ERP', views: ['Items_Summary', 'Suppliers_Summary'], type: 'FULL' }, 201);
  const run = await ok('POST', `/v1/extracts/${extract.guid}/runs`, undefined, 201);
  for (let i = 0; i < 200; i++) {
    const r = await ok('GET', `/v1/extracts/${extract.guid}/runs/${run.guid}`);
    if (r.status !== 'InProcess') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return eventsAfter(server, session, seq);
}
