// The baseline of bench/oauth_token.sh: node-oidc-provider (npm `oidc-provider`, installed into
// bench/node_modules) as an OAuth 2.0 server for client credentials only, over HTTPS on a
// loopback port. One confidential client authenticates with client_secret_basic; its access
// tokens are ES256-signed JWTs (RFC 9068) for one resource, like arenite's, from an EC P-256 key
// made at start. node's cluster module runs WORKERS processes (default: one per core) that share
// the port, since one node process uses one core; with 1 it runs in this process alone. Prints
// "ready" once every worker listens.
// Usage: node bench/oidc_provider.mjs PORT CERT KEY CLIENT_ID CLIENT_SECRET [WORKERS]
import cluster from 'node:cluster';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import Provider from 'oidc-provider';

const [port, certFile, keyFile, clientId, clientSecret, workersArg] = process.argv.slice(2);
const workers = Number(workersArg ?? os.availableParallelism?.() ?? os.cpus().length);
const issuer = `https://127.0.0.1:${port}`;
const resource = 'https://bench.test/api';

// One signing key for every worker, so that every token verifies against the same JWKS.
function makeJwks() {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    keys: [
      { ...ec.privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' },
      // The provider's defaults (ID tokens, not issued here) want an RS256 key as well.
      { ...rsa.privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', alg: 'RS256', use: 'sig' },
    ],
  };
}

if (cluster.isPrimary && workers > 1) {
  const jwks = makeJwks();
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork({ BENCH_JWKS: JSON.stringify(jwks) }).on('message', (m) => {
      if (m === 'listening' && ++listening === workers) console.log('ready');
    });
  }
  cluster.on('exit', (w, code, signal) => {
    if (!shuttingDown) {
      console.error(`oidc-provider worker ${w.process.pid} exited (${code ?? signal})`);
      process.exit(1);
    }
  });
  let shuttingDown = false;
  const stop = () => {
    shuttingDown = true;
    for (const w of Object.values(cluster.workers)) w.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'items:read',
    }],
    jwks: cluster.isPrimary ? makeJwks() : JSON.parse(process.env.BENCH_JWKS),
    scopes: ['items:read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'items:read',
          audience: resource,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error', err));
  const server = https.createServer(
    { cert: readFileSync(certFile), key: readFileSync(keyFile), keepAliveTimeout: 60000 },
    provider.callback(),
  );
  server.keepAliveTimeout = 60000;
  server.listen(Number(port), '127.0.0.1', () => {
    if (cluster.isPrimary) console.log('ready');
    else process.send('listening');
  });
}
