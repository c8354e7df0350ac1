// The HTTP server on its own, with sources the test controls, through real HTTP clients (node:http and curl):
// routes, HEAD, the 400/404/405 errors, metrics present or absent, readiness, and the limits on slow clients.
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import type { HttpConfig } from '../../src/config/index.js';
import { HttpServer, type HttpControlRequest, type HttpSources, type StatusJson } from '../../src/http/index.js';
import { memoryLogger } from '../session/harness.js';
import { waitFor } from '../helpers/peers/index.js';
import { request } from './helpers.js';

const run = promisify(execFile);
let host = 0;
/** This file's loopback block is 93 (daemon tests use 92). */
const nextAddress = () => `127.93.${process.pid % 200}.${++host}`;

function httpConfig(address: string, extra: Partial<HttpConfig> = {}): HttpConfig {
  return {
    listen: [{ address, port: 0 }],
    trustedProxies: [],
    redirect: null,
    maxConnections: 256,
    requestTimeoutSeconds: 10,
    headersTimeoutSeconds: 5,
    keepAliveTimeoutSeconds: 5,
    ...extra,
  };
}

const STATUS: StatusJson = {
  version: '0.0.0-test',
  startedAt: '2026-01-01T00:00:00.000Z',
  now: '2026-01-01T00:01:00.000Z',
  ready: { ready: true, reason: 'test' },
  load: { neighbors: [], prefixes: { ipv4: 0, ipv6: 0 } },
  answers: { windowSeconds: 60, total: 0, byPop: {} },
  fallback: null,
};

/** A server whose sources record the requests they got. */
async function serve(t: ExecutionContext, extra: Partial<HttpConfig> = {}, sources: Partial<HttpSources> = {}) {
  const address = nextAddress();
  const seen: HttpControlRequest[] = [];
  let ready = { ready: false, reason: 'waiting for End-of-RIB from 192.0.2.1' };
  const all: HttpSources = {
    request: (req) => {
      seen.push(req);
      if (req.command === 'query') return (req['addresses'] as string[]).map((addr) => ({ addr, pop: 'x' }));
      if (req.command === 'explain') return { address: req['address'], pop: 'x' };
      if (req.command === 'neighbors') return [{ address: '192.0.2.1', state: 'Established' }];
      if (req.command === 'pops') return Promise.resolve([{ name: 'x', up: true }]);
      throw new Error(`unexpected ${req.command}`);
    },
    decide: () => ({ pop: null, host: null, rule: 'none' }),
    readiness: () => ready,
    status: () => STATUS,
    metrics: null,
    ...sources,
  };
  const { log, records } = memoryLogger();
  const server = new HttpServer(all, httpConfig(address, extra), log);
  await server.start();
  t.teardown(() => server.stop());
  return {
    server,
    seen,
    records,
    base: `http://${address}:${server.bound[0]!.port}`,
    address,
    port: server.bound[0]!.port,
    setReady: (r: { ready: boolean; reason: string }) => (ready = r),
  };
}

test('routes: the API passes requests to the control handler and answers JSON; /healthz; /readyz follows readiness', async (t) => {
  const s = await serve(t);
  const one = await request(`${s.base}/api/v1/query?addr=192.0.2.7`);
  t.is(one.status, 200);
  t.is(one.headers['content-type'], 'application/json; charset=utf-8');
  t.deepEqual(JSON.parse(one.body), { addr: '192.0.2.7', pop: 'x' }, 'one addr: the object itself');
  const two = await request(`${s.base}/api/v1/query?addr=192.0.2.7&addr=%202001:db8::1%20`);
  t.deepEqual(JSON.parse(two.body), [{ addr: '192.0.2.7', pop: 'x' }, { addr: '2001:db8::1', pop: 'x' }], 'several: an array, addresses trimmed');
  t.deepEqual(JSON.parse((await request(`${s.base}/api/v1/explain?addr=198.51.100.1`)).body), { address: '198.51.100.1', pop: 'x' });
  t.deepEqual(JSON.parse((await request(`${s.base}/api/v1/neighbors`)).body), [{ address: '192.0.2.1', state: 'Established' }]);
  t.deepEqual(JSON.parse((await request(`${s.base}/api/v1/pops`)).body), [{ name: 'x', up: true }], 'a promise from the handler is awaited');
  t.deepEqual(JSON.parse((await request(`${s.base}/api/v1/status`)).body), STATUS);
  t.deepEqual(s.seen, [
    { command: 'query', addresses: ['192.0.2.7'] },
    { command: 'query', addresses: ['192.0.2.7', '2001:db8::1'] },
    { command: 'explain', address: '198.51.100.1' },
    { command: 'neighbors' },
    { command: 'pops' },
  ]);
  const health = await request(`${s.base}/healthz`);
  t.deepEqual([health.status, health.body], [200, 'ok\n']);
  const notReady = await request(`${s.base}/readyz`);
  t.is(notReady.status, 503);
  t.deepEqual(JSON.parse(notReady.body), { ready: false, reason: 'waiting for End-of-RIB from 192.0.2.1' });
  s.setReady({ ready: true, reason: 'End-of-RIB from every neighbor' });
  const ready = await request(`${s.base}/readyz`);
  t.deepEqual([ready.status, JSON.parse(ready.body)], [200, { ready: true, reason: 'End-of-RIB from every neighbor' }]);
  const page = await request(`${s.base}/`);
  t.is(page.status, 200);
  t.is(page.headers['content-type'], 'text/html; charset=utf-8');
  t.regex(page.body, /<title>supersparrow status<\/title>/);
  t.regex(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
  // Per-request logs are at debug level only.
  const logged = s.records.filter((r) => r.msg === 'HTTP request');
  t.true(logged.length >= 10);
  t.true(logged.every((r) => r.level === 20));
});

test('errors: 404 for unknown paths, 405 for other methods (with Allow), 400 for a missing or bad addr; HEAD has no body', async (t) => {
  const s = await serve(t);
  const json = (r: { body: string }) => JSON.parse(r.body) as { error: string };
  const missing = await request(`${s.base}/api/v1/nope`);
  t.deepEqual([missing.status, json(missing)], [404, { error: 'no such resource: /api/v1/nope' }]);
  t.is(missing.headers['content-type'], 'application/json; charset=utf-8');
  const post = await request(`${s.base}/api/v1/query?addr=192.0.2.1`, { method: 'POST' });
  t.deepEqual([post.status, post.headers['allow'], json(post).error], [405, 'GET, HEAD', 'method POST not allowed: GET or HEAD']);
  const del = await request(`${s.base}/healthz`, { method: 'DELETE' });
  t.is(del.status, 405);
  const noAddr = await request(`${s.base}/api/v1/query`);
  t.deepEqual([noAddr.status, json(noAddr).error], [400, 'the "addr" parameter (an IP address) is required']);
  const bad = await request(`${s.base}/api/v1/query?addr=192.0.2.1&addr=banana`);
  t.deepEqual([bad.status, json(bad).error], [400, 'not an IP address: "banana"']);
  const twoExplain = await request(`${s.base}/api/v1/explain?addr=192.0.2.1&addr=192.0.2.2`);
  t.deepEqual([twoExplain.status, json(twoExplain).error], [400, 'explain takes one "addr" parameter']);
  const tooMany = await request(`${s.base}/api/v1/query?${Array.from({ length: 1001 }, (_, i) => `addr=10.0.${i >> 8}.${i & 255}`).join('&')}`);
  t.is(tooMany.status, 400);
  t.deepEqual(s.seen, [], 'nothing bad reached the handler');
  const head = await request(`${s.base}/api/v1/neighbors`, { method: 'HEAD' });
  const get = await request(`${s.base}/api/v1/neighbors`);
  t.is(head.status, 200);
  t.is(head.body, '');
  t.is(head.headers['content-length'], String(Buffer.byteLength(get.body)), 'HEAD says how long GET is');
  t.is(head.headers['content-type'], get.headers['content-type']);
  // A handler that fails is a 500 with its message; the server goes on.
  const failing = await serve(t, {}, { request: () => { throw new Error('the RIB is on fire'); } });
  const e = await request(`${failing.base}/api/v1/neighbors`);
  t.deepEqual([e.status, json(e)], [500, { error: 'the RIB is on fire' }]);
  t.is((await request(`${failing.base}/healthz`)).status, 200);
});

test('metrics: 404 saying why when there is no metrics source; the source\'s text and content type when there is', async (t) => {
  const without = await serve(t);
  const r = await request(`${without.base}/metrics`);
  t.is(r.status, 404);
  t.regex(JSON.parse(r.body).error, /metrics are not available/);
  const text = '# HELP supersparrow_test a test\n# TYPE supersparrow_test gauge\nsupersparrow_test 1\n';
  const withMetrics = await serve(t, {}, { metrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', render: async () => text } });
  const m = await request(`${withMetrics.base}/metrics`);
  t.deepEqual([m.status, m.headers['content-type'], m.body], [200, 'text/plain; version=0.0.4; charset=utf-8', text]);
  // curl, as a scraper or an operator would use it.
  const { stdout } = await run('curl', ['-sS', '-i', '--max-time', '10', `${withMetrics.base}/metrics`]);
  t.regex(stdout, /^HTTP\/1\.1 200 OK\r\n/);
  t.regex(stdout, /\r\ncontent-type: text\/plain; version=0\.0\.4; charset=utf-8\r\n/i);
  t.true(stdout.endsWith(text));
});

test('limits: a silent client and one that stops mid-headers are dropped after the headers timeout while others are answered', async (t) => {
  const s = await serve(t, { requestTimeoutSeconds: 2, headersTimeoutSeconds: 1, keepAliveTimeoutSeconds: 1 });
  const closed = (socket: net.Socket) => new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  const silent = net.connect(s.port, s.address);
  silent.on('error', () => undefined);
  const partial = net.connect(s.port, s.address);
  partial.on('error', () => undefined);
  t.teardown(() => {
    silent.destroy();
    partial.destroy();
  });
  await Promise.all([new Promise((r) => silent.once('connect', r)), new Promise((r) => partial.once('connect', r))]);
  partial.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  const opened = Date.now();
  const silentClosed = closed(silent);
  const partialClosed = closed(partial);
  // Meanwhile the server answers.
  const r = await request(`${s.base}/healthz`);
  t.is(r.status, 200);
  const [a, b] = await Promise.all([silentClosed, partialClosed]);
  // Dropped by the server (1 s headers timeout, checked every second), well before the test's own 120 s.
  t.true(a - opened >= 800 && b - opened >= 800, `not before the timeout: closed after ${a - opened} and ${b - opened} ms`);
  t.true(a - opened < 30_000 && b - opened < 30_000, `closed after ${a - opened} and ${b - opened} ms`);
  t.true((await request(`${s.base}/healthz`)).status === 200, 'still serving');
});

/** A raw client that writes `opening`, then one byte of `drip` every `everyMs` until it is closed. */
async function dripper(t: ExecutionContext, address: string, port: number, opening: string, drip: string, everyMs: number) {
  const socket = net.connect(port, address);
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  let received = '';
  socket.setEncoding('utf8').on('data', (d: string) => (received += d));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  socket.write(opening);
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return;
    socket.write(drip[sent % drip.length]!);
    sent++;
  }, everyMs);
  t.teardown(() => {
    clearInterval(timer);
    socket.destroy();
  });
  return { closed, stop: () => clearInterval(timer), sent: () => sent, received: () => received };
}

test('limits: slowloris (headers dripped a byte at a time, never ending) is dropped at the headers timeout though it never goes quiet', async (t) => {
  const s = await serve(t, { requestTimeoutSeconds: 3, headersTimeoutSeconds: 1, keepAliveTimeoutSeconds: 1, maxConnections: 8 });
  const opened = Date.now();
  const lorises = await Promise.all([0, 1, 2].map(() => dripper(t, s.address, s.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ', 'abcdefgh', 250)));
  // Meanwhile the server answers others.
  t.is((await request(`${s.base}/healthz`)).status, 200);
  const closedAt = await Promise.all(lorises.map((l) => Promise.race([l.closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 30_000))])));
  for (const [i, at] of closedAt.entries()) {
    t.true(at - opened >= 800, `loris ${i}: not before the headers timeout (${at - opened} ms)`);
    t.true(at - opened < 15_000, `loris ${i}: closed after ${at - opened} ms`);
    t.true(lorises[i]!.sent() >= 3, `loris ${i} was still sending when closed`);
    t.notRegex(lorises[i]!.received(), /200 OK/, `loris ${i} got no answer`);
  }
  t.is((await request(`${s.base}/healthz`)).status, 200, 'still serving');
});

test('limits: a request whose body trickles in is dropped at the request timeout; others are answered', async (t) => {
  const s = await serve(t, { requestTimeoutSeconds: 2, headersTimeoutSeconds: 1, keepAliveTimeoutSeconds: 1, maxConnections: 8 });
  const opened = Date.now();
  const slow = await Promise.all(['POST /api/query HTTP/1.1', 'GET /healthz HTTP/1.1'].map((line) =>
    dripper(t, s.address, s.port, `${line}\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":"`, 'xxxxxxxx', 250)));
  t.is((await request(`${s.base}/healthz`)).status, 200);
  const closedAt = await Promise.all(slow.map((c) => Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 30_000))])));
  for (const [i, at] of closedAt.entries()) {
    t.true(at - opened >= 1_500, `slow body ${i}: not before the request timeout (${at - opened} ms)`);
    t.true(at - opened < 15_000, `slow body ${i}: closed after ${at - opened} ms`);
    t.true(slow[i]!.sent() >= 5, `slow body ${i} was still sending when closed`);
  }
  t.is((await request(`${s.base}/healthz`)).status, 200, 'still serving');
});

test('limits: connections beyond max-connections are refused; a slot frees when a client goes', async (t) => {
  const s = await serve(t, { maxConnections: 2, requestTimeoutSeconds: 30, headersTimeoutSeconds: 30 });
  const hold: net.Socket[] = [];
  t.teardown(() => hold.forEach((c) => c.destroy()));
  for (let i = 0; i < 2; i++) {
    const c = net.connect(s.port, s.address);
    c.on('error', () => undefined);
    hold.push(c);
    await new Promise((r) => c.once('connect', r));
  }
  // The third one queues behind the two in the listener's accept queue: it is counted after them.
  const refused = await request(`${s.base}/healthz`, { timeoutMs: 10_000 }).then(
    (r) => `answered ${r.status}`,
    (err: Error) => err.message,
  );
  t.regex(refused, /socket hang up|ECONNRESET/, 'the third connection is closed unanswered');
  t.true(s.records.some((r) => /at the connection cap/.test(r.msg)));
  hold.shift()!.destroy();
  const freed = await waitFor('a slot to free', async () => ((await request(`${s.base}/healthz`).catch(() => null))?.status === 200 ? true : undefined), 10_000, 100);
  t.true(freed);
});

test('reconfigure: a new address is bound before the old one closes; one that cannot be bound changes nothing', async (t) => {
  const s = await serve(t);
  const other = nextAddress();
  await s.server.reconfigure(httpConfig(other, { maxConnections: 5 }));
  const moved = `http://${other}:${s.server.bound[0]!.port}`;
  t.is((await request(`${moved}/healthz`)).status, 200);
  await t.throwsAsync(request(`${s.base}/healthz`), { code: 'ECONNREFUSED' });
  // A port in use: the reload fails and the server keeps its listener.
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, other, () => resolve()));
  t.teardown(() => blocker.close());
  const taken = (blocker.address() as net.AddressInfo).port;
  await t.throwsAsync(s.server.reconfigure({ ...httpConfig(other), listen: [{ address: other, port: taken }] }), { code: 'EADDRINUSE' });
  t.is((await request(`${moved}/healthz`)).status, 200);
  t.is(s.server.bound[0]!.port, Number(new URL(moved).port));
});
