// The pages' only way to the server: the /v1 REST API, with the browser session cookie and,
// on every state-changing request, the session's CSRF token in X-CSRF-Token.

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function signInUrl() {
  const next = location.pathname + location.search;
  return '/settings/signin' + (next.startsWith('/settings/signin') ? '' : '?next=' + encodeURIComponent(next));
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 0, 'The server cannot be reached. Check the connection and try again.');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const first = data && Array.isArray(data.errors) ? data.errors[0] : null;
    const error = new ApiError(res.status, first ? first.code : 0,
      first ? first.message : `The server answered ${res.status}.`);
    // The session ended (expired or signed out elsewhere): back to the sign-in page.
    if (res.status === 401 && path !== '/v1/session') location.assign(signInUrl());
    throw error;
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

// '?a=1&b=x' from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// Every page of a list, for the small lookups a form offers (apps, categories).
export async function getAll(path, max = 2000) {
  const out = [];
  for (let offset = 0; offset < max; offset += 400) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}offset=${offset}&limit=400`);
    out.push(...page.results);
    if (page.count < 400) break;
  }
  return out;
}
