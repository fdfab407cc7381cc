// Raw HTTP/1.1 over TLS (or plain TCP) for the tests that must send what no HTTP client library
// would: broken request lines, oversized headers, a body trickled byte by byte. Each exchange
// opens its own connection to the server started by tests/lib/arenite.mjs.
import tls from 'node:tls';
import net from 'node:net';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Opens a connection (TLS when the server is HTTPS) and resolves once it can carry data.
export function connect(server) {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const options = { host: u.hostname, port: Number(u.port) };
    let socket;
    if (u.protocol === 'https:') {
      socket = tls.connect({ ...options, ca: server.ca, servername: 'localhost' },
        () => resolve(socket));
    } else {
      socket = net.connect(options, () => resolve(socket));
    }
    socket.once('error', reject);
  });
}

// Splits an HTTP/1.1 response into status, headers (lower-case names), body and its JSON.
export function parseResponse(text) {
  const end = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/') || end < 0) return null;
  const lines = text.slice(0, end).split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = text.slice(end + 4);
  if (headers['content-length'] !== undefined) {
    body = body.slice(0, Number(headers['content-length']));
  }
  let json;
  try { json = JSON.parse(body); } catch { json = undefined; }
  return { status, headers, text: body, json };
}

// Sends `chunks` (strings or Buffers; `pauseMs` between them) on a new connection and collects
// what comes back until the server closes the connection, or until `waitMs` have passed.
// Resolves with {response (parsed, or null), raw, closed, error}.
export async function exchange(server, chunks, { pauseMs = 0, waitMs = 5000 } = {}) {
  const socket = await connect(server);
  let raw = '';
  let closed = false;
  let error = null;
  const done = new Promise((resolve) => {
    socket.on('data', (d) => { raw += d.toString('latin1'); });
    socket.on('error', (e) => { error = e; });
    socket.on('close', () => { closed = true; resolve(); });
  });
  const list = Array.isArray(chunks) ? chunks : [chunks];
  for (const chunk of list) {
    if (closed) break;
    socket.write(chunk);
    if (pauseMs) await sleep(pauseMs);
  }
  const timer = sleep(waitMs);
  await Promise.race([done, timer]);
  const wasClosed = closed;
  socket.destroy();
  return { response: parseResponse(raw), raw, closed: wasClosed, error };
}
