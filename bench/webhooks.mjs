// Webhook delivery throughput and latency, for the goals in docs/BENCHMARKS.md. nginx on
// loopback answers 204 at once; wrk measures its own POST rate to that receiver in the same
// run, as the baseline. Then:
//   1. one webhook: N deliveries queued durably (the webhook held at 1 attempt per second while
//      the events are made), released at once; deliveries per second until the last 204;
//   2. 100 webhooks on the same events: the same, N deliveries in all;
//   3. sustained, for 1 and for 100 webhooks: items made through the API continuously at a
//      set rate (at most 64 requests outstanding, so an API slower than the rate makes fewer),
//      deliveries counted over a window after a warm-up, with the queue depth at the window's
//      start and end (a rate is sustained only if the queue does not grow); and for 1 webhook
//      the same with the events made by releasing changes of BENCH_RELEASE_ITEMS (50) affected
//      items each, prepared before the run, so that the API's cost per event is lower than one
//      request;
//   4. latency from commit (the API's answer to the POST that made the event) to the
//      receiver, at 1,000 events per second, to a Node receiver in this process.
// Every state change is durable (synchronous=FULL). Prints a markdown table; asserts nothing.
// Usage: node bench/webhooks.mjs [deliveries (20000)] [latency seconds (10)]
// Environment: BENCH_ONLY_HUNDRED=1 skips the one-webhook drain and sustained runs (for
// profiling the 100-webhook ones); BENCH_ONLY=drain|sustained|latency runs one part, and
// BENCH_ONLY=release only the sustained run fed by change releases; BENCH_SUSTAINED_SECONDS
// (20, after a 5 s warm-up); the offered rates are BENCH_SUSTAINED_RATE_1 (6000 events/s, more
// than the API makes while delivering), BENCH_SUSTAINED_RATE_100 (60 events/s, 6,000
// deliveries/s) and BENCH_RELEASE_RATE (6000 events/s); BENCH_RELEASE_ITEMS (50) affected
// items per released change.
import { spawn, execFileSync } from 'node:child_process';
import {
  mkdtempSync, writeFileSync, readFileSync, existsSync, openSync, fstatSync, readSync, closeSync,
  rmSync,
} from 'node:fs';
import http from 'node:http';
import { tmpdir, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { startServer } from '../tests/lib/arenite.mjs';

const N = Number(process.argv[2] ?? 20000);
const LATENCY_SECONDS = Number(process.argv[3] ?? 10);
const RELEASE_ITEMS = Number(process.env.BENCH_RELEASE_ITEMS ?? 50);
const work = mkdtempSync(path.join(tmpdir(), 'arenite-bench-wh-'));
const nginxBin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? 'nginx';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return Number(execFileSync('python3', ['-c',
    'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'],
  { encoding: 'utf8' }).trim());
}

// nginx answering 204 to every POST on /hook, logging each request's time to access.log.
async function startNginx() {
  const port = freePort();
  const dir = path.join(work, 'nginx');
  execFileSync('mkdir', ['-p', dir]);
  const user = process.getuid() === 0 ? 'user root;' : '';
  writeFileSync(path.join(dir, 'nginx.conf'), `${user}
worker_processes ${cpus().length};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  log_format t '$msec';
  access_log ${dir}/access.log t buffer=64k flush=100ms;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location = /hook { return 204; }
  }
}
`);
  const proc = spawn(nginxBin, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  await sleep(500);
  return { proc, url: `http://127.0.0.1:${port}/hook`, log: path.join(dir, 'access.log') };
}

// CPU seconds (user + system) a process has used so far, from /proc.
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

const maxOf = (xs) => xs.reduce((m, x) => (x > m ? x : m), -Infinity);

// Every request time nginx logged so far; the log is read on from where the last call stopped,
// so that polling it does not take the CPU from the server being measured.
const logState = { offset: 0, rest: '', times: [] };
function logTimes(file) {
  if (!existsSync(file)) return logState.times;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > logState.offset) {
      const buf = Buffer.alloc(size - logState.offset);
      readSync(fd, buf, 0, buf.length, logState.offset);
      logState.offset = size;
      const lines = (logState.rest + buf.toString('utf8')).split('\n');
      logState.rest = lines.pop();
      for (const line of lines) if (line) logState.times.push(Number(line));
    }
  } finally {
    closeSync(fd);
  }
  return logState.times;
}

function wrkPostRate(url) {
  const script = path.join(work, 'post.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = string.rep("x", 1024)\n` +
    `wrk.headers["Content-Type"] = "application/json"\n`);
  const out = execFileSync('wrk', ['-t2', '-c32', '-d5s', '-s', script, url], { encoding: 'utf8' });
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
}

async function makeItems(server, session, count, concurrency = 32) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const n = next++;
      const res = await server.request('POST', '/v1/items', { session, body: { name: `Bench ${n}` } });
      if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
    }
  }));
}

async function queueDepth(server) {
  const text = (await server.request('GET', '/metrics')).text;
  return Number(/^arenite_webhook_queue_depth (\S+)/m.exec(text)?.[1] ?? 0);
}

// Queues `events` events for `hooks` webhooks (held back), releases them, and times the drain.
async function drain(server, session, nginx, hooks, events) {
  const guids = [];
  for (let i = 0; i < hooks; i++) {
    const res = await server.request('POST', '/v1/settings/webhooks', {
      session,
      body: { name: `Bench ${i}`, targetUrl: nginx.url, eventTypes: ['item.created'], payload: 'EVENT',
        maxConcurrentAttempts: 64, maxAttemptsPerSecond: 1 },
    });
    if (res.status !== 201) throw new Error(res.text);
    guids.push(res.json.guid);
  }
  const already = logTimes(nginx.log).length;
  await makeItems(server, session, events);
  const total = hooks * events;
  while (await queueDepth(server) < total * 0.95) await sleep(500);
  const start = Date.now() / 1000;
  const cpuStart = cpuSeconds(server.proc.pid);
  await Promise.all(guids.map((g) => server.request('PUT', `/v1/settings/webhooks/${g}`,
    { session, body: { maxAttemptsPerSecond: 100000 } })));
  for (;;) {
    const times = logTimes(nginx.log);
    if (times.length - already >= total * 0.999) {
      const cpu = cpuSeconds(server.proc.pid) - cpuStart;
      const end = maxOf(times.slice(already));
      await Promise.all(guids.map((g) => server.request('DELETE', `/v1/settings/webhooks/${g}`, { session })));
      const n = times.length - already;
      return { rate: n / (end - start), perCpu: n / cpu };
    }
    await sleep(200);
  }
}

// Calls `make(n)` (which resolves to the number of events it made) at `rate` calls per second
// for `seconds`, at most `cap` outstanding; resolves to the number of events made.
async function produce(rate, seconds, cap, make) {
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  let made = 0;
  let outstanding = 0;
  let n = 0;
  const inflight = new Set();
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (n < due && outstanding < cap) {
      outstanding++;
      const p = make(n++)
        .then((events) => { made += events; })
        .finally(() => { outstanding--; inflight.delete(p); });
      inflight.add(p);
    }
    if (n < due) n = due;  // the API is slower than the rate: what it could not take is dropped
    await sleep(outstanding >= cap ? 1 : 5);
  }
  await Promise.all([...inflight]);
  return made;
}

// Items made through the API, one event each.
function itemSource(server, session, label) {
  return {
    eventTypes: ['item.created'],
    perCall: 1,
    cap: 64,
    prepare: async () => {},
    make: async (n) => {
      const res = await server.request('POST', '/v1/items', { session, body: { name: `${label} ${n}` } });
      if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
      return 1;
    },
  };
}

// Engineering changes released through the API: each call approves a submitted
// PERMANENT_ON_APPROVAL change of `perChange` affected items, which in one transaction makes
// every item's working revision effective and writes one item.updated event per item (what an
// ECO release does to the integrations downstream). The changes are made and submitted before
// the run; `prepare(calls)` makes as many as the run can use.
function releaseSource(server, session, perChange) {
  const ready = [];
  return {
    eventTypes: ['item.updated', 'item.lifecycle_changed'],
    perCall: perChange,
    cap: 8,
    prepare: async (calls) => {
      let next = 0;
      const ok = async (method, url, body, want) => {
        const res = await server.request(method, url, { session, body });
        if (res.status !== want) throw new Error(`${method} ${url}: ${res.status} ${res.text}`);
        return res.json;
      };
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < calls) {
          const n = next++;
          const change = await ok('POST', '/v1/changes', { title: `Bench release ${n}` }, 201);
          for (let i = 0; i < perChange; i++) {
            const item = await ok('POST', '/v1/items', { name: `Release ${n}.${i}` }, 201);
            await ok('POST', `/v1/changes/${change.guid}/items`, { newItemRevision: { guid: item.guid } }, 201);
          }
          await ok('POST', '/v1/changes/statuschanges', { change: { guid: change.guid }, status: 'SUBMITTED' }, 201);
          ready.push(change.guid);
        }
      }));
    },
    make: async () => {
      const guid = ready.pop();
      if (!guid) return 0;  // more calls than were prepared: nothing more to release
      const res = await server.request('POST', '/v1/changes/statuschanges',
        { session, body: { change: { guid }, status: 'APPROVED' } });
      if (res.status !== 201 || res.json.status !== 'EFFECTIVE') throw new Error(`${res.status} ${res.text}`);
      return perChange;
    },
  };
}

// Events produced continuously for `hooks` webhooks by `source` at `rate` events per second;
// deliveries counted by nginx over a window.
async function sustained(server, session, nginx, hooks, rate, source) {
  const WARMUP = 5;
  const WINDOW = Number(process.env.BENCH_SUSTAINED_SECONDS ?? 20);
  const seconds = WARMUP + WINDOW + 1;
  const callRate = rate / source.perCall;
  await source.prepare(Math.ceil(callRate * seconds) + 8);
  const guids = [];
  for (let i = 0; i < hooks; i++) {
    const res = await server.request('POST', '/v1/settings/webhooks', {
      session,
      body: { name: `Sustained ${i}`, targetUrl: nginx.url, eventTypes: source.eventTypes,
        payload: 'EVENT', maxConcurrentAttempts: 64, maxAttemptsPerSecond: 100000 },
    });
    if (res.status !== 201) throw new Error(res.text);
    guids.push(res.json.guid);
  }
  const already = logTimes(nginx.log).length;
  const t0 = Date.now() / 1000;
  const producing = produce(callRate, seconds, source.cap, source.make);
  await sleep(WARMUP * 1000);
  const depthStart = await queueDepth(server);
  const cpuStart = cpuSeconds(server.proc.pid);
  await sleep(WINDOW * 1000);
  const cpu = cpuSeconds(server.proc.pid) - cpuStart;
  const depthEnd = await queueDepth(server);
  const made = await producing;
  const from = t0 + WARMUP;
  const to = from + WINDOW;
  // The access log is flushed every 100 ms: wait for the window's last lines.
  await sleep(500);
  const times = logTimes(nginx.log).slice(already);
  const inWindow = times.filter((t) => t >= from && t < to).length;
  // The rest drains before the webhooks go, so the next run starts from an empty queue.
  const total = made * hooks;
  for (let i = 0; i < 600 && logTimes(nginx.log).length - already < total; i++) await sleep(100);
  const delivered = logTimes(nginx.log).length - already;
  const drainedAfter = maxOf(logTimes(nginx.log).slice(already)) - (t0 + seconds);
  await Promise.all(guids.map((g) => server.request('DELETE', `/v1/settings/webhooks/${g}`, { session })));
  return { rate, events: made / seconds, deliveries: inWindow / WINDOW, depthStart,
    depthEnd, drainedAfter, window: WINDOW, perCpu: inWindow / cpu, cpu: cpu / WINDOW,
    made: made * hooks, delivered };
}

async function latency(server, session) {
  const arrivals = new Map();
  const receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        arrivals.set(body.data.object.guid, now);
      } catch { /* not an event */ }
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = await server.request('POST', '/v1/settings/webhooks', {
    session,
    body: { name: 'Latency', targetUrl: `http://127.0.0.1:${receiver.address().port}/hook`,
      eventTypes: ['item.created'], payload: 'EVENT', maxAttemptsPerSecond: 100000 },
  });
  const committed = new Map();
  const pending = [];
  const cpuStart = cpuSeconds(server.proc.pid);
  const perTick = 10; // 10 events every 10 ms
  const end = performance.now() + LATENCY_SECONDS * 1000;
  let n = 0;
  while (performance.now() < end) {
    const tick = performance.now();
    for (let i = 0; i < perTick; i++) {
      pending.push(server.request('POST', '/v1/items', { session, body: { name: `Latency ${n++}` } })
        .then((res) => { committed.set(res.json.guid, performance.now()); }));
    }
    await sleep(Math.max(0, 10 - (performance.now() - tick)));
  }
  await Promise.all(pending);
  const cpu = (cpuSeconds(server.proc.pid) - cpuStart) / LATENCY_SECONDS;
  for (let i = 0; i < 100 && arrivals.size < committed.size; i++) await sleep(100);
  const lat = [];
  for (const [guid, t] of committed) {
    if (arrivals.has(guid)) lat.push(Math.max(0, arrivals.get(guid) - t));
  }
  lat.sort((a, b) => a - b);
  receiver.close();
  await server.request('DELETE', `/v1/settings/webhooks/${hook.json.guid}`, { session });
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { rate: n / LATENCY_SECONDS, p50: q(0.5), p99: q(0.99), lost: committed.size - lat.length,
    cpu };
}

const nginx = await startNginx();
const server = await startServer({
  args: ['--webhook-allow-network', '127.0.0.0/8', '--webhook-allow-http', '--request-limit',
    '1000000000', '--log-level', 'warn', '--webhook-sender-threads', '64'],
  testClock: false,
});
try {
  const session = await server.login();
  const loadStart = loadavg().map((l) => l.toFixed(2)).join(' ');
  const only = process.env.BENCH_ONLY ?? '';
  const run = (part) => !only || only === part;
  const skipOne = Boolean(process.env.BENCH_ONLY_HUNDRED);
  const baseline = wrkPostRate(nginx.url);
  // nginx writes its access log out every 100 ms: the last of wrk's lines would otherwise be
  // read later and counted as deliveries (up to a buffer of 64 KiB per worker, thousands).
  await sleep(500);
  logTimes(nginx.log);
  const none = { rate: 0, perCpu: 0 };
  const one = run('drain') && !skipOne ? await drain(server, session, nginx, 1, N) : none;
  const hundred = run('drain') ? await drain(server, session, nginx, 100, Math.ceil(N / 100)) : none;
  const sOne = run('sustained') && !skipOne
    ? await sustained(server, session, nginx, 1, Number(process.env.BENCH_SUSTAINED_RATE_1 ?? 6000),
      itemSource(server, session, 'Sustained1'))
    : null;
  const sRelease = (run('sustained') || only === 'release') && !skipOne
    ? await sustained(server, session, nginx, 1, Number(process.env.BENCH_RELEASE_RATE ?? 6000),
      releaseSource(server, session, RELEASE_ITEMS))
    : null;
  const sHundred = run('sustained')
    ? await sustained(server, session, nginx, 100, Number(process.env.BENCH_SUSTAINED_RATE_100 ?? 60),
      itemSource(server, session, 'Sustained100'))
    : null;
  const lat = run('latency') ? await latency(server, session) : null;
  console.log('| webhook deliveries (nginx answering 204 on loopback) | figure |');
  console.log('| --- | --- |');
  console.log(`| wrk POST rate to the receiver (baseline) | ${baseline.toFixed(0)}/s |`);
  if (run('drain')) {
    const line = (label, d) => console.log(`| ${label} | ${d.rate.toFixed(0)}/s (${(d.rate / baseline).toFixed(3)} of wrk; ${d.perCpu.toFixed(0)} per arenite CPU-s) |`);
    if (!skipOne) line(`drain: 1 webhook, ${N} durable deliveries`, one);
    line(`drain: 100 webhooks, ${100 * Math.ceil(N / 100)} durable deliveries`, hundred);
  }
  const sources = [[1, 'items made', sOne], [1, `items released by changes of ${RELEASE_ITEMS}`, sRelease],
    [100, 'items made', sHundred]];
  for (const [hooks, label, s] of sources) {
    if (!s) continue;
    console.log(`| sustained: ${hooks} webhook${hooks > 1 ? 's' : ''}, ${label}: ${s.events.toFixed(0)} events/s (${s.rate} offered), deliveries over ${s.window} s | ${s.deliveries.toFixed(0)}/s (${s.perCpu.toFixed(0)} per arenite CPU-s; arenite used ${s.cpu.toFixed(2)} CPUs) |`);
    console.log(`| same: queue depth at the window's start and end; drained ${s.drainedAfter.toFixed(1)} s after the last event; delivered of made | ${s.depthStart} -> ${s.depthEnd}; ${s.delivered} of ${s.made} |`);
  }
  if (lat) {
    console.log(`| commit-to-receiver latency at ${lat.rate.toFixed(0)} events/s: p50 | ${lat.p50.toFixed(1)} ms |`);
    console.log(`| same: p99 | ${lat.p99.toFixed(1)} ms |`);
    console.log(`| same: events not delivered within 10 s of the last commit | ${lat.lost} |`);
    console.log(`| same: CPUs arenite used meanwhile | ${lat.cpu.toFixed(2)} |`);
  }
  console.log(`\nload average (1, 5, 15 min) at the start: ${loadStart}; at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await server.stop();
  nginx.proc.kill('SIGTERM');
  await new Promise((r) => (nginx.proc.exitCode !== null ? r() : nginx.proc.once('exit', r)));
  rmSync(work, { recursive: true, force: true });  // nginx's log of every delivery, above all
}
