// Workspace Settings > Webhooks end to end: a real `arenite serve` delivers to a Node receiver
// that verifies every delivery with the standardwebhooks npm package and the Bearer token with
// jose against arenite's JWKS; faults (500, 410, 401, Retry-After, a receiver that is down or
// too slow) and the retry schedule are driven with the server's test clock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';
import { createApp, postForm, basic } from '../lib/oauth.mjs';
import { startReceiver } from '../lib/receiver.mjs';

const ALLOW = ['--webhook-allow-network', '127.0.0.0/8', '--webhook-allow-http'];
let server, session;

before(async () => {
  server = await startServer({ args: [...ALLOW, '--webhook-attempt-timeout', '2'] });
  session = await server.login();
});
after(async () => { await server?.stop(); });

const api = (method, p, body) => server.request(method, p, { session, body });

async function createWebhook(receiver, body = {}) {
  const res = await api('POST', '/v1/settings/webhooks', {
    name: 'Hook', targetUrl: receiver.url, eventTypes: ['item.created', 'item.updated'],
    authentication: { type: 'NONE' }, payload: 'EVENT', ...body,
  });
  assert.equal(res.status, 201, res.text);
  assert.match(res.json.signingSecret, /^whsec_[A-Za-z0-9+/=]+$/);
  receiver.secrets.push(res.json.signingSecret);
  return res.json;
}

let itemCounter = 0;
async function createItem(extra = {}) {
  const res = await api('POST', '/v1/items', { name: `Widget ${++itemCounter}`, ...extra });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function deliveries(hook, query = '') {
  const res = await api('GET', `/v1/settings/webhooks/${hook.guid}/deliveries${query}`);
  assert.equal(res.status, 200, res.text);
  return res.json.results;
}

// Polls the delivery log until `predicate` holds for it.
async function waitForLog(hook, predicate, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await deliveries(hook);
    const value = predicate(last);
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`delivery log never matched: ${JSON.stringify(last, null, 1)}`);
}

// The webhook once it is disabled, or null if it is still enabled after 10 s.
async function untilDisabled(hook) {
  for (let i = 0; i < 100; i++) {
    const got = (await api('GET', `/v1/settings/webhooks/${hook.guid}`)).json;
    if (!got.enabled) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

// Seconds from a delivery's last attempt to its next one.
async function dueIn(hook, d) {
  const detail = await api('GET', `/v1/settings/webhooks/${hook.guid}/deliveries/${d.guid}`);
  const last = detail.json.attemptHistory.at(-1);
  return (Date.parse(d.nextAttemptDateTime) - Date.parse(last.startedDateTime)) / 1000;
}

// How far the test clock has moved the server: receivers check timestamps against it.
let clockOffset = 0;

// Moves the server's clock and the receiver's notion of now together, and signs in again,
// since the move may have outlived the session.
async function advance(receiver, seconds) {
  await server.advanceClock(seconds);
  clockOffset += seconds;
  receiver.clockOffsetSeconds = clockOffset;
  session = await server.login();
}

async function receiverFor(opts = {}) {
  const receiver = await startReceiver({ secret: [], ...opts });
  receiver.clockOffsetSeconds = clockOffset;
  return receiver;
}

test('OAuth 2.0 deliveries carry a token of the linked app for the target URL, signed as Standard Webhooks says', async () => {
  const app = await createApp(server, session, {
    name: 'ERP connector', grantTypes: ['client_credentials'], scopes: ['items:read'],
  });
  const receiver = await receiverFor({ issuer: server.url, issuerCa: server.ca });
  try {
    const hook = await createWebhook(receiver, {
      authentication: { type: 'OAUTH2', oauthAppGuid: app.guid },
    });
    assert.equal(hook.authentication.type, 'OAUTH2');
    assert.equal(hook.signingSecret.length > 40, true);
    // The secret is shown once: never again on reads.
    const read = await api('GET', `/v1/settings/webhooks/${hook.guid}`);
    assert.equal(read.json.signingSecret, undefined);
    assert.doesNotMatch(read.text, /whsec_/);

    const item = await createItem();
    const updated = await api('PUT', `/v1/items/${item.guid}`, { description: 'now described' });
    assert.equal(updated.status, 200, updated.text);
    await receiver.waitFor((ds) => ds.filter((d) => d.accepted).length >= 2);
    for (const d of receiver.accepted) {
      assert.equal(d.verdicts.signature, 'valid');
      assert.equal(d.verdicts.token, 'valid', d.verdicts.tokenError);
      assert.equal(d.verdicts.claims.aud, receiver.url);
      assert.equal(d.verdicts.claims.client_id, app.clientId);
      assert.ok(d.verdicts.claims.exp - d.verdicts.claims.iat <= 300);
      assert.equal(d.headers['content-type'], 'application/json');
    }
    // Deliveries of one webhook run side by side: they may arrive in either order.
    const byType = Object.fromEntries(receiver.accepted.map((d) => [d.json.type, d.json]));
    const created = byType['item.created'], changed = byType['item.updated'];
    assert.equal(created.type, 'item.created');
    assert.equal(created.data.workspaceId, server.workspaceId);
    assert.equal(created.data.object.guid, item.guid);
    assert.equal(created.data.previous, undefined);
    assert.equal(changed.type, 'item.updated');
    assert.equal(changed.data.object.description, 'now described');
    assert.equal(changed.data.previous.description, null);
    assert.notEqual(created.data.eventGuid, changed.data.eventGuid);

    const log = await waitForLog(hook, (l) => l.length === 2 && l.every((d) => d.status === 'DELIVERED') && l);
    assert.deepEqual(log.map((d) => d.eventType).sort(), ['item.created', 'item.updated']);
    assert.equal(log.length, 2);
    assert.ok(log.every((d) => d.attempts === 1 && d.lastResponseStatus === 204));
    // The webhook-id is the delivery's guid, so receivers can drop duplicates.
    assert.deepEqual(new Set(receiver.acceptedIds()), new Set(log.map((d) => d.guid)));
    const detail = await api('GET', `/v1/settings/webhooks/${hook.guid}/deliveries/${log[0].guid}`);
    assert.equal(detail.json.attemptHistory.length, 1);
    assert.equal(detail.json.attempts, 1, 'the count, as in the list');
    assert.equal(detail.json.attemptHistory[0].requestHeaders.Authorization, 'Bearer [redacted]');
    assert.doesNotMatch(detail.text, /eyJ/);  // no token in the log

    // Rotating the app's client secret does not interrupt deliveries: their tokens are minted
    // by arenite itself.
    const rotated = await api('POST', `/v1/settings/oauthapps/${app.guid}/secrets`, { graceSeconds: 0 });
    assert.equal(rotated.status, 201, rotated.text);
    await createItem();
    await receiver.waitFor((ds) => ds.filter((d) => d.accepted).length >= 3);
    assert.equal(receiver.accepted.at(-1).verdicts.token, 'valid');

    // An app that webhooks authenticate with cannot be deleted until they are changed.
    const del = await api('DELETE', `/v1/settings/oauthapps/${app.guid}`);
    assertErrorBody(assert, del, 409, 9007);
    const none = await api('PUT', `/v1/settings/webhooks/${hook.guid}`, { authentication: { type: 'NONE' } });
    assert.equal(none.status, 200, none.text);
    assert.equal((await api('DELETE', `/v1/settings/oauthapps/${app.guid}`)).status, 204);
    assert.equal((await api('DELETE', `/v1/settings/webhooks/${hook.guid}`)).status, 204);
    assertErrorBody(assert, await api('GET', `/v1/settings/webhooks/${hook.guid}`), 404, 3012);
  } finally {
    await receiver.stop();
  }
});

test('a failed attempt is retried on the schedule (5 s, 5 min, 30 min, with jitter) until it lands', async () => {
  const receiver = await receiverFor();
  try {
    const hook = await createWebhook(receiver, { eventTypes: ['item.created'] });
    receiver.script(500, 500, 500);
    await createItem();
    const expected = [5, 300, 1800];
    for (let i = 0; i < expected.length; i++) {
      const [d] = await waitForLog(hook, (l) => l[0]?.attempts === i + 1 && l[0].status === 'RETRYING' && l);
      assert.equal(d.lastResponseStatus, 500);
      assert.equal(d.lastErrorClass, 'http_status');
      const wait = await dueIn(hook, d);
      assert.ok(wait >= expected[i] * 0.9 - 1.5 && wait <= expected[i] * 1.1 + 1.5,
        `attempt ${i + 2} due in ${wait} s, expected about ${expected[i]} s`);
      await advance(receiver, Math.ceil(expected[i] * 1.1) + 1);
    }
    const [done] = await waitForLog(hook, (l) => l[0]?.status === 'DELIVERED' && l);
    assert.equal(done.attempts, 4);
    const detail = await api('GET', `/v1/settings/webhooks/${hook.guid}/deliveries/${done.guid}`);
    assert.deepEqual(detail.json.attemptHistory.map((a) => a.responseStatus), [500, 500, 500, 204]);
    // Every attempt of one delivery had the same webhook-id.
    assert.equal(new Set(receiver.deliveries.map((d) => d.id)).size, 1);
  } finally {
    await receiver.stop();
  }
});

test('a receiver that is down gets everything once it is back; Retry-After is honoured', async () => {
  const receiver = await receiverFor();
  try {
    const hook = await createWebhook(receiver, { eventTypes: ['item.created'] });
    await receiver.down();
    const items = [await createItem(), await createItem(), await createItem()];
    await waitForLog(hook, (l) => l.length === 3 && l.every((d) => d.status === 'RETRYING') && l);
    const log = await deliveries(hook);
    assert.ok(log.every((d) => d.lastErrorClass === 'connect' && d.lastResponseStatus === null));
    await receiver.up();
    await advance(receiver, 7);
    await receiver.waitFor((ds) => ds.filter((d) => d.accepted).length === 3);
    assert.deepEqual(new Set(receiver.accepted.map((d) => d.json.data.object.guid)),
      new Set(items.map((i) => i.guid)));

    // 503 with Retry-After: 120 waits at least that long, and the webhook pauses meanwhile.
    receiver.clear();
    receiver.script({ status: 503, retryAfter: 120 });
    await createItem();
    const [d] = await waitForLog(hook, (l) => l[0]?.status === 'RETRYING' && l[0].lastResponseStatus === 503 && l);
    assert.ok(await dueIn(hook, d) >= 119, d.nextAttemptDateTime);
    await advance(receiver, 60);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(receiver.accepted.length, 0, 'not retried before Retry-After');
    await advance(receiver, 70);
    await receiver.waitFor((ds) => ds.some((x) => x.accepted));
  } finally {
    await receiver.stop();
  }
});

test('410 disables the webhook; 401 shows as auth_rejected and marks its health; slow receivers time out', async () => {
  const receiver = await receiverFor();
  try {
    const hook = await createWebhook(receiver, { eventTypes: ['item.created'] });
    receiver.script(401);
    await createItem();
    const [rejected] = await waitForLog(hook, (l) => l[0]?.status === 'RETRYING' && l);
    assert.equal(rejected.lastErrorClass, 'auth_rejected');
    assert.equal(rejected.lastResponseStatus, 401);
    const marked = await api('GET', `/v1/settings/webhooks/${hook.guid}`);
    assert.equal(marked.json.health.status, 'AUTH_REJECTED');
    assert.match(marked.json.health.reason, /401/);
    assert.match(server.stderr, /webhook \S+ is AUTH_REJECTED/);

    // Slower than --webhook-attempt-timeout (2 s here): a timeout, retried later.
    receiver.script({ status: 204, delayMs: 4000 });
    await advance(receiver, 7);
    await waitForLog(hook, (l) => l[0]?.lastErrorClass === 'timeout' && l);
    await advance(receiver, 400);
    const [ok] = await waitForLog(hook, (l) => l[0]?.status === 'DELIVERED' && l);
    assert.equal(ok.attempts, 3);
    assert.equal((await api('GET', `/v1/settings/webhooks/${hook.guid}`)).json.health.status, 'HEALTHY');

    receiver.script(410);
    await createItem();
    await waitForLog(hook, (l) => l[0]?.status === 'FAILED' && l[0].lastResponseStatus === 410 && l);
    const gone = await api('GET', `/v1/settings/webhooks/${hook.guid}`);
    assert.equal(gone.json.enabled, false);
    assert.equal(gone.json.disabledReason, 'GONE');
    assert.equal(gone.json.health.status, 'DISABLED');
    assert.match(server.stderr, /webhook \S+ disabled: the receiver answered 410/);
    // Disabled: no more deliveries are made for it.
    await createItem();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await deliveries(hook)).length, 2);
    const metrics = (await server.request('GET', '/metrics')).text;
    assert.match(metrics, /arenite_webhooks_disabled_total\{reason="GONE"\} 1/);
    assert.match(metrics, new RegExp(`arenite_webhook_auth_rejections_total\\{webhook="${hook.guid}"\\} 1`));
    const counted = (outcome) => Number(new RegExp(
      `arenite_webhook_deliveries_total\\{outcome="${outcome}",webhook="${hook.guid}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    assert.equal(counted('delivered'), 1);
    assert.equal(counted('retrying'), 2);
    assert.equal(counted('failed'), 1);
  } finally {
    await receiver.stop();
  }
});

test('a webhook failing without a success for five days is disabled', async () => {
  const receiver = await receiverFor();
  try {
    const hook = await createWebhook(receiver, { eventTypes: ['item.created'] });
    receiver.defaultAnswer = { status: 500 };
    await createItem();
    await waitForLog(hook, (l) => l[0]?.attempts === 1 && l);
    // Through the schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
    for (const step of [6, 331, 1981, 7921, 19801, 39601, 55441, 79201, 95041]) {
      const before = (await deliveries(hook))[0].attempts;
      await advance(receiver, step);
      await waitForLog(hook, (l) => (l[0].attempts > before || l[0].status === 'FAILED') && l);
    }
    const [last] = await deliveries(hook);
    const w = (await api('GET', `/v1/settings/webhooks/${hook.guid}`)).json;
    // 10 attempts over about 3.2 days: the delivery FAILED, the webhook not yet disabled.
    assert.equal(last.status, 'FAILED');
    assert.equal(last.attempts, 10);
    assert.equal(w.enabled, true);
    assert.equal(w.health.status, 'FAILING');
    // Another failure after more than five days without a success disables it.
    await advance(receiver, 2 * 86400);
    await createItem();
    const disabled = await untilDisabled(hook);
    assert.ok(disabled, 'the webhook was disabled');
    assert.equal(disabled.disabledReason, 'FAILING');
    // An event while it is disabled is not sent, but it is in the log, FAILED, to recover.
    const missed = await createItem();
    const [held] = await waitForLog(hook, (l) => l.length === 3 && l);
    assert.equal(held.status, 'FAILED');
    assert.equal(held.attempts, 0);
    assert.equal(held.lastErrorClass, 'policy');
    assert.match(held.lastError, /disabled \(FAILING\)/);
    assert.equal(receiver.accepted.length, 0);
    // Recover re-queues the failed deliveries since a time; enabling it again lets them land.
    receiver.defaultAnswer = { status: 204 };
    assert.equal((await api('PUT', `/v1/settings/webhooks/${hook.guid}`, { enabled: true })).status, 200);
    const rec = await api('POST', `/v1/settings/webhooks/${hook.guid}/recover`, { since: '2020-01-01T00:00:00Z' });
    assert.equal(rec.status, 200, rec.text);
    // The delivery that used up its attempts and the one never sent are re-queued; the one
    // still retrying goes on.
    assert.equal(rec.json.requeued, 2);
    await advance(receiver, 6);
    await waitForLog(hook, (l) => l.length === 3 && l.every((d) => d.status === 'DELIVERED') && l);
    assert.ok(receiver.accepted.some((d) => d.body.includes(missed.guid)));

    // Failing for days again, then switched off by an administrator: that is not arenite's own
    // disabling, and events no longer get deliveries.
    receiver.defaultAnswer = { status: 500 };
    const before = (await deliveries(hook)).length;
    await createItem();
    await waitForLog(hook, (l) => l.length === before + 1 && l[0].attempts >= 1 && l);
    await advance(receiver, 6 * 86400);
    await createItem();
    const again = await untilDisabled(hook);
    assert.equal(again?.disabledReason, 'FAILING');
    // A GET sent back with a change (the reason echoed) keeps arenite's disabling.
    const echoed = await api('PUT', `/v1/settings/webhooks/${hook.guid}`,
      { name: 'Hook, renamed', enabled: again.enabled, disabledReason: again.disabledReason });
    assert.equal(echoed.status, 200, echoed.text);
    assert.equal(echoed.json.disabledReason, 'FAILING');
    const off = await api('PUT', `/v1/settings/webhooks/${hook.guid}`, { enabled: false });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.json.disabledReason, null);
    const logged = (await deliveries(hook)).length;
    await createItem();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await deliveries(hook)).length, logged);
  } finally {
    await receiver.stop();
  }
});

test('test events, every event type\'s example, redelivery and the integration inventory', async () => {
  const app = await createApp(server, session, { name: 'MES bridge', grantTypes: ['client_credentials'] });
  const receiver = await receiverFor({ issuer: server.url, issuerCa: server.ca });
  try {
    const hook = await createWebhook(receiver, { authentication: { type: 'OAUTH2', oauthAppGuid: app.guid } });
    const t = await api('POST', `/v1/settings/webhooks/${hook.guid}/test`);
    assert.equal(t.status, 200, t.text);
    assert.equal(t.json.delivered, true);
    assert.equal(t.json.responseStatus, 204);
    assert.equal(typeof t.json.durationMs, 'number');
    assert.equal(receiver.accepted.at(-1).json.type, 'webhook.test');
    assert.equal(receiver.accepted.at(-1).verdicts.token, 'valid');

    const types = await api('GET', '/v1/settings/webhooks/eventtypes');
    assert.equal(types.status, 200);
    const names = types.json.results.map((x) => x.name);
    for (const n of ['item.created', 'item.updated', 'item.deleted', 'item.lifecycle_changed',
      'change.created', 'change.updated', 'change.status_changed', 'supplier.created',
      'supplier.updated', 'supplier.deleted', 'extract.completed', 'webhook.test']) {
      assert.ok(names.includes(n), n);
    }
    const sample = await api('POST', `/v1/settings/webhooks/${hook.guid}/test`, { eventType: 'change.status_changed' });
    assert.equal(sample.json.delivered, true, sample.text);
    const got = receiver.accepted.at(-1).json;
    assert.equal(got.type, 'change.status_changed');
    assert.equal(got.data.workspaceId, server.workspaceId);
    assertErrorBody(assert, await api('POST', `/v1/settings/webhooks/${hook.guid}/test`, { eventType: 'nope' }), 400);

    // A failing test is reported, not retried, and recorded in the log.
    receiver.script(500);
    const failed = await api('POST', `/v1/settings/webhooks/${hook.guid}/test`);
    assert.equal(failed.json.delivered, false);
    assert.equal(failed.json.responseStatus, 500);
    assert.equal(failed.json.errorClass, 'http_status');
    const log = await deliveries(hook, '?status=FAILED');
    assert.equal(log.length, 1);
    assert.equal(log[0].guid, failed.json.deliveryGuid);
    assert.equal((await deliveries(hook, '?eventType=change.status_changed')).length, 1);
    assertErrorBody(assert, await api('GET', `/v1/settings/webhooks/${hook.guid}/deliveries?status=LOST`), 400);

    const re = await api('POST', `/v1/settings/webhooks/${hook.guid}/deliveries/${failed.json.deliveryGuid}/redeliver`);
    assert.equal(re.status, 202, re.text);
    await waitForLog(hook, (l) => l.find((d) => d.guid === failed.json.deliveryGuid)?.status === 'DELIVERED');
    const ids = receiver.deliveries.filter((d) => d.id === failed.json.deliveryGuid);
    assert.equal(ids.length, 2, 'the redelivery kept its webhook-id');

    // An app of its own reads the webhooks with a webhooks:read token, and may not change them.
    const reader = await createApp(server, session, { name: 'Monitor', grantTypes: ['client_credentials'], scopes: ['webhooks:read'] });
    const tok = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
      { authorization: basic(reader.clientId, reader.clientSecret) });
    assert.equal(tok.status, 200, tok.text);
    const listed = await server.request('GET', '/v1/settings/webhooks', { token: tok.json.access_token });
    assert.equal(listed.status, 200, listed.text);
    assert.ok(listed.json.results.some((x) => x.guid === hook.guid));
    assertErrorBody(assert, await server.request('POST', `/v1/settings/webhooks/${hook.guid}/test`,
      { token: tok.json.access_token }), 403);

    const inv = await api('GET', '/v1/settings/integrations');
    assert.equal(inv.status, 200, inv.text);
    const row = inv.json.results.find((r) => r.guid === app.guid);
    assert.equal(row.name, 'MES bridge');
    assert.equal(row.clientId, app.clientId);
    assert.equal(row.webhooks.length, 1);
    assert.equal(row.webhooks[0].guid, hook.guid);
    assert.ok(row.webhooks[0].lastSuccessDateTime);
    assert.ok(row.lastTokenDateTime, 'minting a delivery token counts as the app getting one');
    assert.equal(row.secretAgeDays, 0);
  } finally {
    await receiver.stop();
  }
});

test('rotating the signing secret signs with both secrets during the grace period', async () => {
  const receiver = await receiverFor();
  try {
    const hook = await createWebhook(receiver, { eventTypes: ['item.created'] });
    const old = hook.signingSecret;
    const rot = await api('POST', `/v1/settings/webhooks/${hook.guid}/secrets`, { gracePeriodSeconds: 3600 });
    assert.equal(rot.status, 200, rot.text);
    assert.notEqual(rot.json.signingSecret, old);
    assert.ok(rot.json.previousSecretExpiresDateTime);
    receiver.secrets.splice(0, receiver.secrets.length, old, rot.json.signingSecret);
    await createItem();
    await receiver.waitFor((ds) => ds.some((d) => d.accepted));
    const d = receiver.accepted[0];
    assert.deepEqual(d.verdicts.signedWith, [true, true]);
    assert.equal(d.headers['webhook-signature'].split(' ').length, 2);
    // After the grace period only the new secret signs.
    await advance(receiver, 3601);
    receiver.clear();
    await createItem();
    await receiver.waitFor((ds) => ds.some((x) => x.accepted));
    assert.deepEqual(receiver.accepted[0].verdicts.signedWith, [false, true]);
  } finally {
    await receiver.stop();
  }
});

test('OAUTH2_CLIENT_CREDENTIALS gets a token from the receiver\'s own authorization server and survives its secret rotation', async () => {
  // The receiver's authorization server is another arenite workspace's token endpoint; its TLS
  // certificate is passed with --webhook-ca-file.
  const idp = await startServer({});
  const idpSession = await idp.login();
  const client = await createApp(idp, idpSession, {
    name: 'Receiver AS client', grantTypes: ['client_credentials'], scopes: ['items:read'],
  });
  const local = await startServer({
    args: [...ALLOW, '--webhook-ca-file', `${idp.dataDir}/tls/cert.pem`],
  });
  const localSession = await local.login();
  const receiver = await startReceiver({ secret: [], issuer: idp.url, issuerCa: idp.ca, audience: `${idp.url}/v1` });
  try {
    const res = await local.request('POST', '/v1/settings/webhooks', {
      session: localSession,
      body: {
        name: 'External AS', targetUrl: receiver.url, eventTypes: ['item.created'], payload: 'EVENT',
        authentication: {
          type: 'OAUTH2_CLIENT_CREDENTIALS', tokenUrl: `${idp.url}/oauth/token`,
          clientId: client.clientId, clientSecret: client.clientSecret, scope: 'items:read',
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.authentication.clientSecretSet, true);
    assert.doesNotMatch(JSON.stringify(res.json.authentication), new RegExp(client.clientSecret));
    receiver.secrets.push(res.json.signingSecret);
    const hook = res.json;
    const item = (n) => local.request('POST', '/v1/items', { session: localSession, body: { name: `CC ${n}` } });
    await item(1);
    await receiver.waitFor((ds) => ds.some((d) => d.accepted));
    const first = receiver.accepted[0];
    assert.equal(first.verdicts.token, 'valid', first.verdicts.tokenError);
    assert.equal(first.verdicts.claims.client_id, client.clientId);

    // The AS rotates the client's secret; the old one keeps working for its grace period, the
    // cached token meanwhile, and then the webhook is given the new secret.
    const rotated = await idp.request('POST', `/v1/settings/oauthapps/${client.guid}/secrets`,
      { session: idpSession, body: { graceSeconds: 600 } });
    assert.equal(rotated.status, 201, rotated.text);
    await item(2);
    await receiver.waitFor((ds) => ds.filter((d) => d.accepted).length >= 2);
    const put = await local.request('PUT', `/v1/settings/webhooks/${hook.guid}`, {
      session: localSession,
      body: { authentication: { ...hook.authentication, clientSecret: rotated.json.clientSecret } },
    });
    assert.equal(put.status, 200, put.text);
    // A 401 from the receiver drops the cached token: the same attempt tries once more with a
    // fresh one.
    receiver.script(401);
    await item(3);
    await receiver.waitFor((ds) => ds.filter((d) => d.accepted).length >= 3);
    const third = receiver.deliveries.slice(-2);
    assert.equal(third[0].id, third[1].id);
    assert.equal(third[0].answer.status, 401);
    assert.equal(third[1].answer.status, 204);
    assert.equal(third[1].verdicts.signature, 'valid');
    assert.notEqual(third[0].headers.authorization, third[1].headers.authorization);
    let retried;
    for (let i = 0; i < 100 && retried?.json.status !== 'DELIVERED'; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      retried = await local.request('GET', `/v1/settings/webhooks/${hook.guid}/deliveries/${third[1].id}`, { session: localSession });
    }
    assert.equal(retried.json.status, 'DELIVERED', retried.text);
    assert.equal(retried.json.attemptHistory.length, 1, 'one attempt, with one retry inside it');
    const log = await local.request('GET', `/v1/settings/webhooks/${hook.guid}/deliveries`, { session: localSession });
    assert.ok(log.json.results.every((d) => d.status === 'DELIVERED'), log.text);
    // The client secret is kept sealed in the store.
    const { execFileSync } = await import('node:child_process');
    const dump = execFileSync('python3', ['-c',
      'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(repr(c.execute("select auth_secret, signing_secret from webhooks").fetchall()))',
      `${local.dataDir}/arenite.db`], { encoding: 'utf8' });
    assert.doesNotMatch(dump, new RegExp(rotated.json.clientSecret));
    assert.doesNotMatch(dump, /whsec_/);
  } finally {
    await receiver.stop();
    await local.stop();
    await idp.stop();
  }
});

test('webhook settings are validated field by field', async () => {
  const receiver = await receiverFor();
  try {
    const base = { name: 'V', targetUrl: receiver.url, eventTypes: ['item.created'], payload: 'EVENT' };
    const bad = async (patch, pattern) => {
      const res = await api('POST', '/v1/settings/webhooks', { ...base, ...patch });
      assertErrorBody(assert, res, 400);
      assert.match(res.json.errors[0].message, pattern);
    };
    await bad({ name: '' }, /name/);
    await bad({ targetUrl: 'ftp://example.com/x' }, /targetUrl/);
    await bad({ eventTypes: [] }, /eventTypes/);
    await bad({ eventTypes: ['item.exploded'] }, /eventTypes/);
    await bad({ payload: 'PDF' }, /payload/);
    await bad({ payload: 'EXTRACT' }, /extract\.views/);
    await bad({ payload: 'EXTRACT', extract: { views: ['Nope'] } }, /extract\.views/);
    await bad({ authentication: { type: 'OAUTH2', oauthAppGuid: 'ABCDEFGHIJKLMNOPQRST' } }, /oauthAppGuid/);
    await bad({ authentication: { type: 'OAUTH2_CLIENT_CREDENTIALS', tokenUrl: `${server.url}/oauth/token`, clientId: 'x' } }, /clientSecret/);
    await bad({ authentication: { type: 'OAUTH2_CLIENT_CREDENTIALS', tokenUrl: 'https://as.invalid/t', clientId: 'x', clientSecret: 'y' } }, /tokenUrl/);
    await bad({ authentication: { type: 'BASIC' } }, /authentication\.type/);
    await bad({ filters: { categoryGuids: ['not a guid'] } }, /categoryGuids/);
    await bad({ maxConcurrentAttempts: 0 }, /maxConcurrentAttempts/);
    await bad({ name: 'x'.repeat(201) }, /name/);
    await bad({ eventTypes: 'item.created' }, /eventTypes/);
    await bad({ targetUrl: 'https://user:pw@example.com/x' }, /targetUrl/);
    await bad({ targetUrl: `${receiver.url}#frag` }, /targetUrl/);
    const garbage = await server.request('POST', '/v1/settings/webhooks',
      { session, raw: '{"name":', headers: { 'content-type': 'application/json' } });
    assertErrorBody(assert, garbage, 400);
    const wrongType = await server.request('POST', '/v1/settings/webhooks',
      { session, raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assertErrorBody(assert, wrongType, 415);
    const recover = await api('POST', '/v1/settings/webhooks/ABCDEFGHIJKLMNOPQRST/recover', { since: 'yesterday' });
    assertErrorBody(assert, recover, 400);
    const unknown = await api('POST', '/v1/settings/webhooks', { ...base, colour: 'red' });
    assertErrorBody(assert, unknown, 400, 3004);
    assertErrorBody(assert, await api('GET', '/v1/settings/webhooks/nope'), 400, 3011);
    assertErrorBody(assert, await api('POST', '/v1/settings/webhooks/ABCDEFGHIJKLMNOPQRST/test'), 404);
    // Only administrators, and bearer tokens only with the webhooks scopes.
    const viewer = await api('POST', '/v1/settings/users', { email: 'v@acme.test', fullName: 'V', role: 'VIEWER', password: 'viewer password 123' });
    assert.equal(viewer.status, 201, viewer.text);
    const vs = await server.login('v@acme.test', 'viewer password 123');
    assertErrorBody(assert, await server.request('GET', '/v1/settings/webhooks', { session: vs }), 403);
  } finally {
    await receiver.stop();
  }
});

test('without the allow flags, loopback, private, link-local, metadata and unspecified targets are refused', async () => {
  const strict = await startServer({});
  try {
    const s = await strict.login();
    for (const url of ['https://127.0.0.1/hook', 'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook', 'https://[::ffff:127.0.0.1]/hook', 'https://0.0.0.0/hook',
      'https://10.1.2.3/hook', 'https://localhost/hook', 'http://203.0.113.10/plain-http']) {
      const res = await strict.request('POST', '/v1/settings/webhooks', {
        session: s, body: { name: 'SSRF', targetUrl: url, eventTypes: ['item.created'], payload: 'EVENT' },
      });
      assertErrorBody(assert, res, 400);
      assert.match(res.json.errors[0].message, /targetUrl/, url);
    }
  } finally {
    await strict.stop();
  }
});

test('filters on category and lifecycle phase hold back the events of other objects', async () => {
  const receiver = await receiverFor();
  try {
    const cats = (await api('GET', '/v1/settings/items/categories')).json.results
      .filter((c) => !c.structural);
    assert.ok(cats.length >= 2, 'two assignable categories');
    const [wanted, other] = cats;
    const hook = await createWebhook(receiver, {
      eventTypes: ['item.created'], filters: { categoryGuids: [wanted.guid] },
    });
    assert.deepEqual(hook.filters.categoryGuids, [wanted.guid]);
    const no = await createItem({ category: { guid: other.guid } });
    const yes = await createItem({ category: { guid: wanted.guid } });
    await receiver.waitFor((ds) => ds.some((d) => d.accepted));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(receiver.accepted.map((d) => d.json.data.object.guid), [yes.guid]);
    assert.ok(!receiver.deliveries.some((d) => d.json?.data?.object?.guid === no.guid));
    // Unfiltered again: every item.
    const put = await api('PUT', `/v1/settings/webhooks/${hook.guid}`, { filters: null });
    assert.equal(put.status, 200, put.text);
    await createItem({ category: { guid: other.guid } });
    await receiver.waitFor((ds) => ds.filter((d) => d.accepted).length === 2);
  } finally {
    await receiver.stop();
  }
});

test('a webhook\'s limits on concurrent attempts and attempts per second hold', async () => {
  const receiver = await receiverFor();
  try {
    const hook = await createWebhook(receiver, {
      eventTypes: ['item.created'], maxConcurrentAttempts: 2, maxAttemptsPerSecond: 100,
    });
    receiver.defaultAnswer = { status: 204, delayMs: 300 };
    for (let i = 0; i < 6; i++) await createItem();
    await receiver.waitFor((ds) => ds.filter((d) => d.accepted).length === 6, 15000);
    // At most two answers were being waited for at any moment.
    const spans = receiver.deliveries.map((d) => [d.receivedAt, d.receivedAt + 300]);
    const most = Math.max(...spans.map(([s]) => spans.filter(([a, b]) => a <= s && s < b).length));
    assert.ok(most <= 2, `${most} attempts at once`);

    // At 2 attempts per second, 6 deliveries that answer at once take two seconds or more.
    const put = await api('PUT', `/v1/settings/webhooks/${hook.guid}`,
      { maxConcurrentAttempts: 16, maxAttemptsPerSecond: 2 });
    assert.equal(put.status, 200, put.text);
    receiver.clear();
    receiver.defaultAnswer = { status: 204 };
    await new Promise((r) => setTimeout(r, 1200));  // the bucket refills to its size, 2
    for (let i = 0; i < 6; i++) await createItem();
    await receiver.waitFor((ds) => ds.filter((d) => d.accepted).length === 6, 15000);
    const times = receiver.deliveries.map((d) => d.receivedAt).sort((a, b) => a - b);
    assert.ok(times.at(-1) - times[0] >= 1500, `6 deliveries in ${times.at(-1) - times[0]} ms`);
  } finally {
    await receiver.stop();
  }
});
