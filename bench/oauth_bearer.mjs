// Compares the cost of an API read with a bearer access token against the same read with a
// session (arena_session_id): N sequential GET /v1/settings/users each, interleaved in rounds
// so that both see the same machine load. Prints a table; asserts nothing.
// Usage: node bench/oauth_bearer.mjs [requests per round] [rounds]
import { startServer } from '../tests/lib/arenite.mjs';
import { createApp, postForm, basic } from '../tests/lib/oauth.mjs';

const perRound = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 5);
const server = await startServer({ args: ['--request-limit', '100000000', '--log-level', 'warn'] });
try {
  const session = await server.login();
  const app = await createApp(server, session, { scopes: ['settings:read'],
    grantTypes: ['client_credentials'] });
  const token = (await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(app.clientId, app.clientSecret) })).json.access_token;
  const run = async (opts) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) {
      const res = await server.request('GET', '/v1/settings/users', opts);
      if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
    }
    return Number(process.hrtime.bigint() - start) / 1e3 / perRound;
  };
  await run({ session });
  await run({ token });
  const s = [], b = [];
  for (let r = 0; r < rounds; r++) {
    s.push(await run({ session }));
    b.push(await run({ token }));
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const ms = median(s), mb = median(b);
  console.log('| auth | median µs per sequential read |');
  console.log('| --- | --- |');
  console.log(`| session (arena_session_id) | ${ms.toFixed(1)} |`);
  console.log(`| bearer (ES256 JWT) | ${mb.toFixed(1)} |`);
  console.log(`| bearer / session | ${(mb / ms).toFixed(3)} |`);
} finally {
  await server.stop();
}
