// Helpers for the OAuth integration tests: a fetch for oauth4webapi that trusts the test
// server's certificate, app registration, and a minimal "browser" that fills in the sign-in and
// consent forms with a cookie jar (no JavaScript is needed by the pages).
import https from 'node:https';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';

// A fetch with the harness's agent (and so its CA), in the shape oauth4webapi's customFetch wants.
export function fetchFor(server) {
  return (url, options = {}) => new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers = {};
    new Headers(options.headers ?? {}).forEach((v, k) => { headers[k] = v; });
    const body = options.body === undefined || options.body === null ? undefined
      : options.body.toString();
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request(u, { method: options.method ?? 'GET', headers, agent: server.agent },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
          }
          const status = res.statusCode;
          const buf = Buffer.concat(chunks);
          const response = new Response([101, 204, 205, 304].includes(status) ? null : buf,
            { status, headers: h });
          Object.defineProperty(response, 'url', { value: u.href });
          resolve(response);
        });
      });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function discover(server) {
  const issuer = new URL(server.url);
  const res = await oauth.discoveryRequest(issuer,
    { [oauth.customFetch]: fetchFor(server), algorithm: 'oauth2' });
  return oauth.processDiscoveryResponse(issuer, res);
}

// Registers an app as the admin session; returns the created body.
export async function createApp(server, session, body) {
  const res = await server.request('POST', '/v1/settings/oauthapps', {
    session,
    body: { name: 'Test app', scopes: ['items:read', 'settings:read'], ...body },
  });
  if (res.status !== 201) throw new Error(`create app: ${res.status} ${res.text}`);
  return res.json;
}

export function basic(id, secret) {
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64');
}

// POSTs a form to an OAuth endpoint.
export function postForm(server, path, form, headers = {}) {
  return server.request('POST', path, {
    raw: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

const decodeHtml = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
  .replace(/&gt;/g, '>').replace(/&amp;/g, '&');

// The first form of a page: its action and its named inputs.
export function parseForm(html) {
  const form = html.match(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/);
  if (!form) return null;
  const fields = {};
  for (const m of form[2].matchAll(/<input ([^>]*)>/g)) {
    const name = m[1].match(/name="([^"]*)"/)?.[1];
    const value = m[1].match(/value="([^"]*)"/)?.[1] ?? '';
    if (name) fields[name] = decodeHtml(value);
  }
  return { action: decodeHtml(form[1]), fields };
}

// A cookie jar of name -> value, fed from Set-Cookie headers.
export class Browser {
  constructor(server) { this.server = server; this.cookies = new Map(); }
  cookieHeader() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
  remember(res) {
    for (const line of [res.headers['set-cookie'] ?? []].flat()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attrs.some((a) => /max-age=0/i.test(a)) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
  async get(path) {
    const headers = this.cookies.size ? { cookie: this.cookieHeader() } : {};
    return this.remember(await this.server.request('GET', path, { headers }));
  }
  async post(path, form) {
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    if (this.cookies.size) headers.cookie = this.cookieHeader();
    return this.remember(await this.server.request('POST', path,
      { raw: new URLSearchParams(form).toString(), headers }));
  }
}

// Runs GET /oauth/authorize, the sign-in form (when shown) and the consent form; resolves with
// the final redirect as a URL (or the last response when the flow stopped on a page).
export async function authorize(server, browser, params, { email, password, decision = 'allow' } = {}) {
  const query = new URLSearchParams(params).toString();
  let res = await browser.get(`/oauth/authorize?${query}`);
  if (res.status === 303 || res.status === 302) return { redirect: new URL(res.headers.location), res };
  let form = parseForm(res.text);
  if (form?.action === '/oauth/authorize/signin') {
    res = await browser.post(form.action, { ...form.fields, email: email ?? server.email,
      password: password ?? server.password });
    if (res.status !== 303) return { res };
    res = await browser.get(res.headers.location);
    if (res.status === 303) return { redirect: new URL(res.headers.location), res };
    form = parseForm(res.text);
  }
  if (form?.action !== '/oauth/authorize/consent') return { res };
  res = await browser.post(form.action, { ...form.fields, decision });
  if (res.status !== 303) return { res };
  return { redirect: new URL(res.headers.location), res };
}
