// Scheduling across many webhooks: 100 webhooks on the same events, one of whose receivers is
// slow and would take every sender thread if it could. The scheduler reads the due deliveries
// of all webhooks together and deals the room out in turn, and no webhook may hold more than
// three quarters of the sender threads while others exist: the other 99 get all their
// deliveries while the slow receiver still sits on its first ones, and the slow one gets its
// deliveries too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/arenite.mjs';
import { startReceiver } from '../lib/receiver.mjs';

const ARGS = ['--webhook-allow-network', '127.0.0.0/8', '--webhook-allow-http',
  '--request-limit', '1000000', '--webhook-sender-threads', '8'];
const SLOW_MS = 6000;
const ITEMS = 10;
const FAST_HOOKS = 99;

test('100 webhooks, one slow: the others get every delivery meanwhile', { timeout: 120000 }, async () => {
  const server = await startServer({ args: ARGS, testClock: false });
  const fast = await startReceiver({ secret: [] });
  const slow = await startReceiver({ secret: [] });
  slow.defaultAnswer = { status: 204, delayMs: SLOW_MS };
  try {
    const session = await server.login();
    const api = (method, p, body) => server.request(method, p, { session, body });
    const hook = async (name, url, more = {}) => {
      const res = await api('POST', '/v1/settings/webhooks', {
        name, targetUrl: url, eventTypes: ['item.created'], payload: 'EVENT',
        maxAttemptsPerSecond: 100000, ...more,
      });
      assert.equal(res.status, 201, res.text);
      return res.json;
    };
    // The slow one first, and allowed more attempts at once than there are sender threads.
    const slowHook = await hook('Slow', slow.url, { maxConcurrentAttempts: 64 });
    const fastHooks = [];
    for (let i = 0; i < FAST_HOOKS; i++) fastHooks.push(await hook(`Fast ${i}`, fast.url));

    for (let i = 0; i < ITEMS; i++) {
      const res = await api('POST', '/v1/items', { name: `Fair ${i}` });
      assert.equal(res.status, 201, res.text);
    }
    await fast.waitFor((ds) => new Set(ds.filter((d) => d.accepted).map((d) => d.id)).size
      === FAST_HOOKS * ITEMS, 60000);
    await slow.waitFor((ds) => ds.length > 0, 10000);
    // Every fast delivery landed before the slow receiver had answered even its first one.
    const firstSlowAnswer = Math.min(...slow.deliveries.map((d) => d.receivedAt)) + SLOW_MS;
    const lastFast = Math.max(...fast.accepted.map((d) => d.receivedAt));
    assert.ok(lastFast < firstSlowAnswer,
      `the last fast delivery came ${lastFast - firstSlowAnswer} ms after the slow receiver's first answer`);
    // The slow webhook held at most three quarters of the 8 sender threads.
    const spans = slow.deliveries.map((d) => d.receivedAt);
    const most = Math.max(...spans.map((s) => spans.filter((a) => a <= s && s < a + SLOW_MS).length));
    assert.ok(most <= 6, `${most} slow attempts at once`);
    assert.equal(fast.accepted.length, FAST_HOOKS * ITEMS, 'nothing was sent twice');

    // Each fast webhook got each of its deliveries, and the slow one gets its own too.
    for (const h of fastHooks) {
      const log = await api('GET', `/v1/settings/webhooks/${h.guid}/deliveries?limit=100`);
      assert.equal(log.status, 200, log.text);
      assert.equal(log.json.results.filter((d) => d.status === 'DELIVERED').length, ITEMS,
        `webhook ${h.name}`);
    }
    await slow.waitFor((ds) => ds.filter((d) => d.accepted).length === ITEMS, 60000);
    assert.equal(slowHook.maxConcurrentAttempts, 64);
  } finally {
    await server.stop();
    await fast.stop();
    await slow.stop();
  }
});
