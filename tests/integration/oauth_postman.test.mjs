// Runs the Postman collection (docs/postman) with newman against a started server: Postman's
// OAuth 2.0 client-credentials settings get a token, then the collection calls the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { startServer, repoRoot } from '../lib/arenite.mjs';
import { createApp } from '../lib/oauth.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('the Postman collection passes under newman', async () => {
  let newman;
  try {
    newman = (await import('newman')).default;
  } catch {
    assert.fail('newman is not installed: run npm install in tests/');
  }
  const session = await server.login();
  const app = await createApp(server, session, { name: 'Postman', scopes: ['settings:read'],
    grantTypes: ['client_credentials'] });
  const dir = path.join(repoRoot, 'docs', 'postman');
  const environment = JSON.parse(readFileSync(path.join(dir, 'arenite.postman_environment.json')));
  const set = { baseUrl: server.url, clientId: app.clientId, clientSecret: app.clientSecret };
  environment.values = environment.values.map((v) => ({ ...v, value: set[v.key] ?? v.value }));
  const summary = await new Promise((resolve, reject) => newman.run({
    collection: path.join(dir, 'arenite.postman_collection.json'),
    environment,
    sslExtraCaCerts: path.join(server.dataDir, 'tls', 'cert.pem'),
    reporters: [],
  }, (err, s) => (err ? reject(err) : resolve(s))));
  const failures = summary.run.failures.map((f) => `${f.source?.name}: ${f.error?.message}`);
  assert.deepEqual(failures, []);
  assert.ok(summary.run.stats.assertions.total >= 6);
});
