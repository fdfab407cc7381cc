// At-least-once delivery across a crash: `kill -9` of arenite in the middle of 10,000
// deliveries, and a restart on the same data dir. Every event must arrive, counted by
// webhook-id; only deliveries in flight at the crash may arrive twice; none may be lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ADMIN_PASSWORD } from '../lib/arenite.mjs';
import { startReceiver } from '../lib/receiver.mjs';

const EVENTS = 10000;
const SENDERS = 32;
const ARGS = ['--webhook-allow-network', '127.0.0.0/8', '--webhook-allow-http',
  '--request-limit', '1000000', '--webhook-sender-threads', String(SENDERS)];

test('kill -9 during 10,000 deliveries loses none of them', { timeout: 240000 }, async () => {
  let server = await startServer({ args: ARGS, testClock: false });
  const receiver = await startReceiver({ secret: [] });
  try {
    let session = await server.login();
    const hook = await server.request('POST', '/v1/settings/webhooks', {
      session,
      body: { name: 'Crash', targetUrl: receiver.url, eventTypes: ['item.created'], payload: 'EVENT',
        maxConcurrentAttempts: 32, maxAttemptsPerSecond: 100000 },
    });
    assert.equal(hook.status, 201, hook.text);
    receiver.secrets.push(hook.json.signingSecret);

    // Items made 16 requests at a time; the server is killed while they are being made and
    // delivered, once 2,000 deliveries have landed, and the rest are made after the restart.
    let made = 0;
    let killed = false;
    const makeItems = (srv, sess) => Array.from({ length: 16 }, async () => {
      while (made < EVENTS && !killed) {
        const n = made++;
        try {
          const res = await srv.request('POST', '/v1/items', { session: sess, body: { name: `Crash ${n}` } });
          if (res.status !== 201) throw new Error(`item ${n}: ${res.status} ${res.text}`);
        } catch (e) {
          if (!killed) throw e;
        }
      }
    });
    const creators = makeItems(server, session);
    await receiver.waitFor((ds) => ds.filter((d) => d.accepted).length >= 2000, 120000);
    killed = true;
    server.proc.kill('SIGKILL');
    await new Promise((resolve) => server.proc.once('exit', resolve));
    await Promise.all(creators);
    const beforeCrash = receiver.acceptedIds().length;
    // Without a crash nothing is sent twice.
    assert.equal(receiver.accepted.length, beforeCrash, 'no duplicates before the crash');

    server = await startServer({ dataDir: server.dataDir, init: false, args: ARGS, testClock: false });
    session = await server.login('admin@acme.test', ADMIN_PASSWORD);
    // A request cut off by the crash may or may not have been committed: the events say what was.
    const created = async () => {
      let after = 0, count = 0;
      for (;;) {
        const page = (await server.request('GET', `/v1/events?after=${after}&limit=400`, { session })).json;
        if (page.count === 0) return count;
        count += page.results.filter((e) => e.type === 'item.created').length;
        after = page.results.at(-1).sequence;
      }
    };
    made = await created();
    killed = false;
    await Promise.all(makeItems(server, session));
    const expected = await created();
    assert.ok(expected >= EVENTS);
    assert.ok(beforeCrash < expected, 'the crash came before every delivery was made');
    await receiver.waitFor(() => receiver.acceptedIds().length >= expected, 180000);
    // Let anything still in flight arrive before counting duplicates.
    await new Promise((r) => setTimeout(r, 1000));

    const ids = receiver.acceptedIds();
    assert.equal(ids.length, expected);
    assert.ok(receiver.deliveries.every((d) => d.verdicts.signature === 'valid'));
    const objects = new Set(receiver.accepted.map((d) => d.json.data.object.guid));
    assert.equal(objects.size, expected, 'one delivery per item, every item');
    const duplicates = receiver.accepted.length - ids.length;
    // Only what was sent and not yet recorded can come twice: at most 16 per sender thread.
    assert.ok(duplicates <= 16 * SENDERS, `${duplicates} deliveries arrived twice`);
    console.log(`delivered before the crash: ${beforeCrash}; duplicates after it: ${duplicates}`);

    const log = await server.request('GET', `/v1/settings/webhooks/${hook.json.guid}/deliveries?status=DELIVERED&limit=1`, { session });
    assert.equal(log.status, 200);
    const pending = await server.request('GET', `/v1/settings/webhooks/${hook.json.guid}/deliveries?status=PENDING&limit=5`, { session });
    assert.equal(pending.json.count, 0, pending.text);
  } finally {
    await receiver.stop();
    await server.stop();
  }
});
