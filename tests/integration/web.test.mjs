// The Workspace Settings pages in a real browser: Debian's Chromium, headless, driven by
// playwright-core against a real `arenite serve`. The walk goes from sign-in to an OAuth app
// (its secret shown once), users, a DataExtract run downloaded and opened as a ZIP, and a
// webhook with OAuth 2.0 whose test event and an item edited through the API show up in the
// delivery log. axe-core checks every page; each page's screenshot goes to docs/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { Webhook } from 'standardwebhooks';
import { startServer, repoRoot, tempDir } from '../lib/arenite.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(repoRoot, 'docs', 'screenshots');
const TIMEOUT = 15000;

let server, browser, context, page, session, receiver, dir;
const received = [];
const problems = [];  // console errors (CSP violations among them) and page errors
const state = {};

function startReceiver() {
  return new Promise((resolve) => {
    const srv = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const bearer = /^Bearer \S+$/.test(req.headers.authorization || '');
        res.writeHead(bearer ? 200 : 401, { 'content-type': 'text/plain' });
        res.end(bearer ? 'ok' : 'no token');
      });
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

const api = async (method, p, body, status = 200) => {
  const res = await server.request(method, p, { session, body });
  assert.equal(res.status, status, `${method} ${p}: ${res.text}`);
  return res.json;
};

// No serious or critical axe violation; then a screenshot named `name`.
async function check(name) {
  await page.waitForLoadState('networkidle');
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [],
    `accessibility violations on ${name}`);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function waitFor(fn, what, ms = TIMEOUT) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install-deps.sh installs chromium`);
  mkdirSync(SHOTS, { recursive: true });
  dir = tempDir('arenite-web-');
  receiver = await startReceiver();
  server = await startServer({ args: ['--webhook-allow-network', '127.0.0.0/8', '--webhook-allow-http'] });
  session = await server.login();
  // A little workspace data for the extract and the webhook.
  for (const name of ['Widget, Model 1', 'Screw M3x8', 'Bracket, steel']) {
    state.item = await api('POST', '/v1/items', { name }, 201);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
  context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 },
    acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  context.setDefaultTimeout(TIMEOUT);
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

test('the pages are served with a strict CSP, no inline script and caching validators', async () => {
  const shell = await server.request('GET', '/settings/users');
  assert.equal(shell.status, 200);
  assert.match(shell.headers['content-type'], /^text\/html/);
  const csp = shell.headers['content-security-policy'];
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(shell.headers['cache-control'], 'no-cache');
  assert.doesNotMatch(shell.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in the shell');
  const again = await server.request('GET', '/settings/users', { headers: { 'if-none-match': shell.headers.etag } });
  assert.equal(again.status, 304);

  const asset = shell.text.match(/src="(\/assets\/[0-9a-f]+\/app\.js)"/)[1];
  const js = await server.request('GET', asset);
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /^text\/javascript/);
  assert.match(js.headers['cache-control'], /immutable/);
  assert.ok(js.headers.etag);
  const revalidated = await server.request('GET', asset, { headers: { 'if-none-match': js.headers.etag } });
  assert.equal(revalidated.status, 304);
  assert.equal((await server.request('GET', '/assets/0/nothing.js')).status, 404);
  // GET /v1/session without a session is 401 with the error body; the header session works.
  assert.equal((await server.request('GET', '/v1/session')).status, 401);
  const me = await api('GET', '/v1/session');
  assert.equal(me.user.email, server.email);
  assert.equal(me.csrfToken, null);
});

test('sign-in by keyboard, and a write without the CSRF token is refused', async () => {
  await page.goto(`${server.url}/settings/users`);
  await page.waitForURL(/\/settings\/signin\?next=%2Fsettings%2Fusers$/);
  await page.getByLabel('Email').waitFor();
  await check('signin');
  // A wrong password is refused on the page.
  await page.getByLabel('Email').fill(server.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
  // Keyboard only: the email field has focus, Tab to the password, Enter submits.
  await page.getByLabel('Email').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(server.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(server.password);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/settings\/users$/);
  await page.getByRole('heading', { name: 'Users' }).waitFor();

  const cookies = await context.cookies();
  const cookie = cookies.find((c) => c.name === 'arenite_session');
  assert.ok(cookie && cookie.httpOnly && cookie.secure, 'an HttpOnly, Secure session cookie');
  // The page's script cannot read the cookie, and a write without X-CSRF-Token is 403.
  const seen = await page.evaluate(() => document.cookie);
  assert.doesNotMatch(seen, /arenite_session/);
  const status = await page.evaluate(async () => (await fetch('/v1/settings/users', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'x@acme.test', password: 'long enough password' }) })).status);
  assert.equal(status, 403);
});

test('OAuth Applications: a rejected form, then the secret shown once and never again', async () => {
  await page.goto(`${server.url}/settings/oauthapps`);
  await page.getByRole('link', { name: 'New OAuth Application' }).click();
  await page.waitForURL(/\/settings\/oauthapps\/new$/);
  await page.getByLabel('Name').fill('ERP sync');
  await page.getByLabel('Redirect URIs').fill('https://erp.acme.test/callback');
  await page.getByLabel('Description').fill('Keeps the ERP item master in step.');
  // No scope chosen: the API refuses, and the page says so beside the Scopes field.
  await page.getByRole('button', { name: 'Create' }).click();
  const error = page.locator('[data-field="scopes"] .field-error');
  await error.waitFor();
  assert.match(await error.textContent(), /scopes/);
  assert.equal(await page.locator('fieldset[data-field="scopes"]').getAttribute('aria-invalid'), 'true');
  await check('oauthapp-new-error');

  for (const scope of ['items:read', 'webhooks:read', 'settings:read', 'extracts:read']) {
    await page.getByLabel(scope, { exact: true }).check();
  }
  await page.getByRole('button', { name: 'Create' }).click();
  const secretEl = page.locator('code.secret-value');
  await secretEl.waitFor();
  const secret = (await secretEl.textContent()).trim();
  const clientId = (await page.locator('code.id-value').first().textContent()).trim();
  assert.ok(secret.length >= 32, 'a client secret is shown');
  await page.getByText('will not be shown again').waitFor();
  await page.getByRole('button', { name: 'Copy client secret' }).click();
  await page.getByText('Client secret copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await check('oauthapp-secret');

  // The secret works at the token endpoint.
  const token = await server.request('POST', '/oauth/token', {
    raw: 'grant_type=client_credentials',
    headers: { 'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64') } });
  assert.equal(token.status, 200, token.text);

  // Never again: not after a reload, not in the list, not in any API answer the page reads.
  const answers = [];
  page.on('response', async (r) => {
    if (r.url().includes('/v1/')) answers.push(await r.text().catch(() => ''));
  });
  await page.reload();
  await page.getByRole('heading', { name: 'New OAuth Application' }).waitFor();
  assert.ok(!(await page.content()).includes(secret));
  await page.goto(`${server.url}/settings/oauthapps`);
  await page.getByRole('cell', { name: clientId }).waitFor();
  assert.ok(!(await page.content()).includes(secret));
  assert.ok(answers.length > 0 && answers.every((t) => !t.includes(secret)));
  await check('oauthapps');
  state.app = { clientId, secret };

  // The OAuth sign-in shares the session: signed in here, an app's authorize link goes straight
  // to its consent page.
  const challenge = createHash('sha256').update('a-verifier-of-enough-length-for-pkce-0123456789').digest('base64url');
  await page.goto(`${server.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code',
    client_id: clientId, redirect_uri: 'https://erp.acme.test/callback', scope: 'items:read',
    state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256' })}`);
  await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
  await check('oauth-consent');
  await page.goto(`${server.url}/settings/oauthapps`);
  await page.getByRole('cell', { name: clientId }).waitFor();

  // Rotate: a new secret, shown once, and the old one keeps working for the grace period.
  await page.getByRole('button', { name: 'Rotate the secret of ERP sync' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByRole('heading', { name: 'New client secret of ERP sync' }).waitFor();
  const rotated = (await page.locator('code.secret-value').textContent()).trim();
  assert.notEqual(rotated, secret);
  await page.getByText('The previous secret keeps working until').waitFor();

  // Delete with confirmation: Cancel keeps it, Delete removes it.
  const other = await api('POST', '/v1/settings/oauthapps', { name: 'Old BI tool', scopes: ['items:read'] }, 201);
  await page.reload();
  await page.getByRole('button', { name: 'Delete Old BI tool' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await server.request('GET', `/v1/settings/oauthapps/${other.guid}`, { session })).status, 200);
  await page.getByRole('button', { name: 'Delete Old BI tool' }).click();
  await page.keyboard.press('Enter');  // the dialog's confirm button has focus
  await page.getByText('Old BI tool was deleted.').waitFor();
  assert.equal((await server.request('GET', `/v1/settings/oauthapps/${other.guid}`, { session })).status, 404);
});

test('Users: a field error, create, change role, deactivate', async () => {
  await page.goto(`${server.url}/settings/users`);
  const form = page.locator('form', { has: page.getByRole('heading', { name: 'Add a user' }) });
  await form.getByLabel('Email').fill('quality@acme.test');
  await form.getByLabel('Full name').fill('Quinn Quality');
  await form.getByLabel('Initial password').fill('short');
  await form.getByRole('button', { name: 'Create user' }).click();
  const error = form.locator('[data-field="password"] .field-error');
  await error.waitFor();
  assert.match(await error.textContent(), /at least 8 characters/);
  await form.getByLabel('Initial password').fill('a long enough password');
  await form.getByLabel('Role').selectOption('EDITOR');
  await form.getByRole('button', { name: 'Create user' }).click();
  await page.getByText('quality@acme.test was added as editor.').waitFor();

  await page.getByLabel('Role of quality@acme.test').selectOption('VIEWER');
  await page.getByText('quality@acme.test is now viewer.').waitFor();
  await page.getByRole('button', { name: 'Deactivate quality@acme.test' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
  await page.getByText('quality@acme.test is deactivated.').waitFor();
  const users = await api('GET', '/v1/settings/users');
  const quinn = users.results.find((u) => u.email === 'quality@acme.test');
  assert.equal(quinn.role, 'VIEWER');
  assert.equal(quinn.active, false);
  // The last administrator cannot be demoted: the error shows beside that role.
  await page.getByLabel(`Role of ${server.email}`).selectOption('EDITOR');
  await page.locator('.inline-field .field-error:not([hidden])').waitFor();
  await check('users');
});

test('DataExtract: define, Run now, live progress, download opened as a ZIP', async () => {
  await page.goto(`${server.url}/settings/extracts`);
  const form = page.locator('form', { has: page.getByRole('heading', { name: 'New extract' }) });
  await form.getByLabel('Name').fill('Nightly ERP');
  await form.getByLabel('Items_Summary', { exact: true }).check();
  await form.getByLabel('Suppliers_Summary', { exact: true }).check();
  await form.getByRole('button', { name: 'Create extract' }).click();
  await page.getByText('Nightly ERP was created.').waitFor();
  await check('extracts');
  await page.getByRole('button', { name: 'Run Nightly ERP now' }).click();
  await page.waitForURL(/\/settings\/extracts\/[0-9A-Z]{20}$/);
  const link = page.getByRole('link', { name: /^Download Extract_\d{8}_\d{6}Z_[0-9A-Z]{20}\.zip$/ });
  await link.waitFor();
  await check('extract-runs');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const file = path.join(dir, download.suggestedFilename());
  await download.saveAs(file);
  execFileSync('unzip', ['-tq', file]);
  const names = execFileSync('python3', ['-c',
    'import zipfile,sys,json; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))', file],
  { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(names).sort(), ['Items_Summary.csv', 'Suppliers_Summary.csv', 'manifest.json']);
});

test('Webhooks: OAuth 2.0 to a receiver, Test shows delivered, an API edit reaches the log', async () => {
  await page.goto(`${server.url}/settings/webhooks`);
  await page.getByRole('link', { name: 'New Webhook' }).click();
  await page.waitForURL(/\/settings\/webhooks\/new$/);
  const target = `http://127.0.0.1:${receiver.address().port}/hooks/arenite`;
  await page.getByLabel(/^Name/).fill('ERP item sync');
  // A target URL that is not a URL: the API's field error shows beside Target URL.
  await page.getByLabel('Target URL').fill('not a url');
  await page.getByLabel('item.updated', { exact: true }).check();
  await page.getByLabel('item.created', { exact: true }).check();
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await page.locator('[data-field="targetUrl"] .field-error:not([hidden])').waitFor();
  await check('webhook-new');

  await page.getByLabel('Target URL').fill(target);
  await page.getByLabel('OAuth 2.0', { exact: false }).first().check();
  await page.getByLabel('OAuth application').selectOption({ label: `ERP sync (${state.app.clientId})` });
  await page.getByRole('button', { name: 'Create webhook' }).click();
  const secretEl = page.locator('code.secret-value');
  await secretEl.waitFor();
  const signingSecret = (await secretEl.textContent()).trim();
  assert.match(signingSecret, /^whsec_/);
  await page.getByRole('link', { name: 'Open the webhook and send a test event' }).click();
  await page.waitForURL(/\/settings\/webhooks\/[0-9A-Z]{20}$/);

  await page.getByRole('button', { name: 'Send test event' }).click();
  await page.locator('.test-result').filter({ hasText: 'Delivered.' }).waitFor();
  const test = await waitFor(() => received.find((r) => r.body.includes('webhook.test')), 'the test delivery');
  assert.match(test.headers.authorization, /^Bearer /);
  new Webhook(signingSecret).verify(test.body, test.headers);  // throws when the signature is wrong

  // An item edited through the API appears in the delivery log by itself (auto-refresh).
  await api('PUT', `/v1/items/${state.item.guid}`, { description: 'edited through the API' });
  const row = page.getByRole('row').filter({ hasText: 'item.updated' }).filter({ hasText: 'DELIVERED' });
  await row.first().waitFor({ timeout: 20000 });
  const update = await waitFor(() => received.find((r) => r.body.includes('item.updated')), 'the item.updated delivery');
  new Webhook(signingSecret).verify(update.body, update.headers);
  await row.first().getByRole('button', { name: /^Attempts of delivery/ }).click();
  await page.getByRole('heading', { name: /^Attempt 1: HTTP 200/ }).waitFor();
  // The status filter narrows the log.
  await page.getByLabel('Status').selectOption('FAILED');
  await page.getByText('No delivery matches.').waitFor();
  await page.getByLabel('Status').selectOption('');
  await page.getByRole('row').filter({ hasText: 'item.updated' }).first().waitFor();
  await check('webhook-detail');

  // Redeliver one delivery, then recover everything of the last hour.
  await page.getByRole('row').filter({ hasText: 'item.updated' }).first()
    .getByRole('button', { name: /^Redeliver/ }).click();
  await page.getByText(/^Delivery [0-9A-Z]{20} is queued again\.$/).waitFor();
  const hourAgo = new Date(Date.now() - 3600 * 1000).toISOString().slice(0, 19);
  await page.getByLabel('Since (UTC)').fill(hourAgo);
  await page.getByRole('button', { name: 'Requeue deliveries' }).click();
  await page.getByText(/^\d+ (delivery was|deliveries were) requeued\.$/).waitFor();

  // The edit page holds the webhook's values.
  const hookUrl = page.url();
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await page.waitForURL(/\/edit$/);
  assert.equal(await page.getByLabel('Target URL').inputValue(), target);
  assert.equal(await page.getByLabel('OAuth application').inputValue() !== '', true);
  await check('webhook-edit');
  await page.getByLabel('Description').fill('Items to the ERP.');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(hookUrl);
  assert.equal((await api('GET', `/v1/settings/webhooks/${hookUrl.split('/').pop()}`)).description, 'Items to the ERP.');

  await page.goto(`${server.url}/settings/webhooks`);
  await page.getByRole('link', { name: 'ERP item sync' }).waitFor();
  await page.getByText('HEALTHY').first().waitFor();
  await check('webhooks');
});

test('Integrations and the audit log', async () => {
  await page.goto(`${server.url}/settings/integrations`);
  await page.getByRole('cell', { name: /ERP sync/ }).first().waitFor();
  await page.getByRole('link', { name: 'ERP item sync' }).waitFor();
  await check('integrations');
  await page.goto(`${server.url}/settings/auditlog`);
  await page.getByRole('cell', { name: /ERP sync/ }).first().waitFor();
  await check('auditlog');
});

test('phone width: the navigation wraps and tables become labelled cards', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.url}/settings/oauthapps`);
  await page.getByRole('cell', { name: state.app.clientId }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no horizontal scrolling at phone width (${overflow}px too wide)`);
  await check('phone-oauthapps');
  await page.goto(`${server.url}/settings/users`);
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  await check('phone-users');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('an expired session leads back to sign-in; a secret past the maximum age is marked', async () => {
  await api('PUT', '/v1/settings/oauth', { maxSecretAgeDays: 1 });
  await server.advanceClock(2 * 86400);
  session = await server.login();
  await page.goto(`${server.url}/settings/oauthapps`);
  await page.waitForURL(/\/settings\/signin\?next=%2Fsettings%2Foauthapps$/);
  await page.getByLabel('Email').fill(server.email);
  await page.getByLabel('Password').fill(server.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/settings\/oauthapps$/);
  await page.getByText('past the 1-day maximum').waitFor();
  await page.getByText('Client secrets older than 1 day are marked for rotation.').waitFor();
});

test('the pages caused no script error and no CSP violation', () => {
  const unexpected = problems.filter((p) => !/status of (400|401|403|404|409)/.test(p));
  assert.deepEqual(unexpected, []);
});
