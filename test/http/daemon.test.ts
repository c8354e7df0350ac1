// The HTTP front end of a real daemon (in this process), through real HTTP clients: the API answers exactly what
// the CLI's --json prints, /readyz turns 200 once a BGP feeder sends End-of-RIB, redirect mode (with trusted proxies
// and spoofed X-Forwarded-For), the status JSON, and reloads that move, stop and start the server.
import test, { type ExecutionContext } from 'ava';
import net from 'node:net';
import { Afi } from '../../src/bgp/index.js';
import { ConfigError } from '../../src/config/index.js';
import { TrustedProxies, type StatusJson } from '../../src/http/index.js';
import { BgpFeeder } from '../../src/replay/index.js';
import { run, waitFor } from '../helpers/peers/index.js';
import { addresses, until } from '../session/harness.js';
import { cli, connectRouters, daemonFrom, request } from './helpers.js';

/** Loopback block 92 (server.test.ts uses 93). */
const next = addresses(92);

/** POPs x (self) and y with hosts, z without; x's and y's routers as passive neighbors. */
function config(a: ReturnType<typeof next>, http: string, extra = ''): string {
  return `
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
pops:
  x: { as: 65751, ipv4: 192.0.2.11, ipv6: "2001:db8::11", host: x.example.test }
  y: { as: 64750, ipv4: 192.0.2.22, host: y.example.test }
  z: { as: 64999, ipv4: 192.0.2.33 }
proximity: { rule: classic, self: x }
neighbors:
  - { address: ${a.peer}, remote-as: 65751, passive: true, pop: x, description: router of x }
  - { address: ${a.stranger}, remote-as: 64750, passive: true, pop: y }
${http}
${extra}`;
}

/**
 * The daemon with both routers connected: 203.0.113.0/24 is best through y (shorter), 198.51.100.0/24 has z's AS
 * first, anything else has no route (self, x).
 */
async function withRoutes(t: ExecutionContext, http: string) {
  const a = next();
  const d = await daemonFrom(t, config(a, http.replace(/SPEAKER/g, a.speaker)));
  const { px, py } = await connectRouters(t, d, a, {
    x: [['203.0.113.0/24', [65751, 3356, 64500]], ['198.51.100.0/24', [64999, 64501]]],
    y: [['203.0.113.0/24', [64750, 64500]]],
  });
  await until('routes', () => d.daemon.rib.lookupText('198.51.100.1').found && d.daemon.rib.paths(Afi.IPv4, d.daemon.rib.lookupText('203.0.113.1').prefix).length === 2, 10_000);
  await until('the POPs up', () => d.daemon.proximity.isUp(0) && d.daemon.proximity.isUp(1), 10_000);
  await until('the table loaded', () => d.daemon.ready().ready, 10_000);
  return { ...d, a, px, py };
}

async function getJson(url: string): Promise<unknown> {
  const r = await request(url);
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.body}`);
  return JSON.parse(r.body);
}

/** Uptime and route age tick between two reads: compared as present, not by value. */
function steady<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (k, v) => (k === 'uptime' || k === 'ageSeconds' ? typeof v : v)) as T;
}

test('the API answers exactly what the CLI prints with --json, for the same daemon', async (t) => {
  const d = await withRoutes(t, 'http: { listen: [ "SPEAKER:0" ] }');
  const base = d.base();
  const socket = ['--socket', d.socket];

  const q = await cli(['query', '--json', ...socket, '203.0.113.9', '198.51.100.1', '10.1.2.3', '2001:db8:ffff::1']);
  t.is(q.code, 0, q.stderr);
  const lines = q.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.deepEqual(await getJson(`${base}/api/v1/query?addr=203.0.113.9&addr=198.51.100.1&addr=10.1.2.3&addr=2001:db8:ffff::1`), lines);
  t.deepEqual(await getJson(`${base}/api/v1/query?addr=203.0.113.9`), lines[0]);
  t.like(lines[0], { pop: 'y', rule: 'first-as', prefix: '203.0.113.0/24' }, 'the routes decide as set up');
  t.like(lines[1], { pop: 'z' });

  for (const addr of ['203.0.113.9', '198.51.100.1', '10.1.2.3']) {
    const e = await cli(['explain', '--json', ...socket, addr]);
    t.is(e.code, 0, e.stderr);
    t.deepEqual(steady(await getJson(`${base}/api/v1/explain?addr=${addr}`)), steady(JSON.parse(e.stdout)), `explain ${addr}`);
  }
  const n = await cli(['neighbors', '--json', ...socket]);
  t.is(n.code, 0, n.stderr);
  const neighbors = await getJson(`${base}/api/v1/neighbors`);
  t.deepEqual(steady(neighbors), steady(JSON.parse(n.stdout)));
  t.is((neighbors as { state: string }[]).filter((x) => x.state === 'Established').length, 2);
  const p = await cli(['pops', '--json', ...socket]);
  t.is(p.code, 0, p.stderr);
  t.deepEqual(await getJson(`${base}/api/v1/pops`), JSON.parse(p.stdout));

  // The status page's own JSON.
  const s = (await getJson(`${base}/api/v1/status`)) as StatusJson;
  t.regex(s.version, /^\d+\.\d+\.\d+/);
  t.true(Date.parse(s.startedAt) <= Date.parse(s.now));
  t.deepEqual(s.ready, { ready: true, reason: 'End-of-RIB from every neighbor' });
  t.deepEqual(s.load.prefixes, { ipv4: 2, ipv6: 0 });
  t.deepEqual(s.load.neighbors.map((x) => [x.address, x.description, x.pop, x.state, x.tableLoaded, x.prefixes]), [
    [d.a.peer, 'router of x', 'x', 'Established', true, { ipv4: 2, ipv6: 0 }],
    [d.a.stranger, null, 'y', 'Established', true, { ipv4: 1, ipv6: 0 }],
  ]);
  t.true(s.load.neighbors.every((x) => typeof x.loadSeconds === 'number' && x.loadSeconds >= 0 && x.loadSeconds < 60));
  t.deepEqual(s.answers.byPop, {}, 'nothing answered to clients yet (API queries do not count)');
  t.is(s.fallback, null);
});

test('/readyz: 503 while a neighbor has not sent End-of-RIB, 200 once the feeder sends it; also without dns:', async (t) => {
  const a = next();
  const d = await daemonFrom(t, `
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
neighbors:
  - { address: ${a.peer}, remote-as: 65001, passive: true }
http: { listen: [ "${a.speaker}:0" ] }`);
  const before = await request(`${d.base()}/readyz`);
  t.is(before.status, 503);
  t.like(JSON.parse(before.body), { ready: false });
  t.regex(JSON.parse(before.body).reason, new RegExp(`waiting for End-of-RIB from ${a.peer.replace(/\./g, '\\.')} \\(at most \\d+ s more\\)`));
  t.false(d.daemon.ready().ready);
  const feeder = await BgpFeeder.connect({ host: a.speaker, port: d.daemon.speaker.listenPort!, localAddress: a.peer, localAs: 65001, remoteAs: 65010, routerId: '10.0.0.9', families: ['ipv4', 'ipv6'] });
  t.teardown(() => feeder.stop());
  t.is((await request(`${d.base()}/readyz`)).status, 503, 'Established is not loaded');
  await feeder.sendEndOfRib(['ipv4']);
  await new Promise((r) => setTimeout(r, 200));
  t.is((await request(`${d.base()}/readyz`)).status, 503, 'one family is not the table');
  await feeder.sendEndOfRib(['ipv6']);
  const after = await waitFor('/readyz to answer 200', async () => {
    const r = await request(`${d.base()}/readyz`);
    return r.status === 200 ? r : undefined;
  }, 10_000, 50);
  t.deepEqual(JSON.parse(after.body), { ready: true, reason: 'End-of-RIB from every neighbor' });
  t.deepEqual(d.daemon.ready(), { ready: true, reason: 'End-of-RIB from every neighbor' });
  // curl -f as a load balancer's probe would use it.
  const { stdout } = await run('curl', ['-sSf', '--max-time', '10', `${d.base()}/readyz`]);
  t.deepEqual(JSON.parse(stdout), { ready: true, reason: 'End-of-RIB from every neighbor' });
});

test('/readyz: the startup timeout (dns.startup.timeout) makes the daemon ready when a neighbor never comes', async (t) => {
  const a = next();
  const d = await daemonFrom(t, `
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
pops: { x: { as: 65751, ipv4: 192.0.2.11 } }
neighbors:
  - { address: ${a.peer}, remote-as: 65001, passive: true }
dns: { listen: [ "${a.speaker}:0" ], zone: example.test, names: { www: {} }, ns: [ ns.example.net ], startup: { timeout: 1 } }
http: { listen: [ "${a.speaker}:0" ] }`);
  const r = await waitFor('/readyz to answer 200', async () => {
    const x = await request(`${d.base()}/readyz`);
    return x.status === 200 ? x : undefined;
  }, 15_000, 100);
  t.regex(JSON.parse(r.body).reason, new RegExp(`the startup timeout \\(1 s\\) passed; no End-of-RIB yet from ${a.peer.replace(/\./g, '\\.')}`));
  t.true(d.daemon.dns!.responder.loaded, 'DNS follows the same readiness');
});

test('redirect mode: the closest POP with a host, trusted proxies only from their prefixes, spoofing ignored', async (t) => {
  const d = await withRoutes(t, `http:
  listen: [ "SPEAKER:0" ]
  trusted-proxies: [ 127.92.250.5/32, 10.0.0.0/8 ]
  redirect: { hosts: [ www.example.test ], scheme: https }`);
  const base = d.base();
  const proxy = '127.92.250.5';
  const stranger = '127.92.250.6';
  const go = (opts: { from: string; xff?: string; host?: string; path?: string; method?: string }) =>
    request(`${base}${opts.path ?? '/a/b?c=d&e'}`, {
      localAddress: opts.from,
      method: opts.method,
      headers: { Host: opts.host ?? 'www.example.test', ...(opts.xff !== undefined ? { 'X-Forwarded-For': opts.xff } : {}) },
    });

  // A direct client on loopback has no route: self, x. Path and query go along.
  const direct = await go({ from: stranger });
  t.is(direct.status, 302);
  t.is(direct.headers['location'], 'https://x.example.test/a/b?c=d&e');
  t.is(direct.headers['x-supersparrow-pop'], 'x');
  t.is(direct.headers['cache-control'], 'no-store');
  // Spoofing from an untrusted peer changes nothing.
  const spoofed = await go({ from: stranger, xff: '203.0.113.9' });
  t.deepEqual([spoofed.headers['location'], spoofed.headers['x-supersparrow-pop']], ['https://x.example.test/a/b?c=d&e', 'x']);
  // From the trusted proxy: the right-most address that is no trusted proxy is the client.
  const proxied = await go({ from: proxy, xff: '198.51.100.7, 203.0.113.9, 10.1.2.3' });
  t.deepEqual([proxied.status, proxied.headers['location'], proxied.headers['x-supersparrow-pop']], [302, 'https://y.example.test/a/b?c=d&e', 'y']);
  // An IPv4-mapped client counts as its IPv4 address; Host matches without port and case.
  const mapped = await go({ from: proxy, xff: '::ffff:203.0.113.9', host: 'WWW.Example.TEST:8443', path: '/' });
  t.deepEqual([mapped.headers['location'], mapped.headers['x-supersparrow-pop']], ['https://y.example.test/', 'y']);
  // z is closest for 198.51.100.0/24 but has no host: the next ranked POP that has one.
  const noHost = await go({ from: proxy, xff: '198.51.100.7' });
  t.is(noHost.status, 302);
  const pop = noHost.headers['x-supersparrow-pop'] as string;
  t.true(pop === 'x' || pop === 'y', pop);
  t.is(noHost.headers['location'], `https://${pop}.example.test/a/b?c=d&e`);
  const ranking = (await getJson(`${base}/api/v1/query?addr=198.51.100.7`)) as { pop: string; ranking: string[] };
  t.is(ranking.pop, 'z');
  t.is(pop as string | undefined, ranking.ranking.find((p) => p !== 'z'), 'the first ranked POP with a host');
  // HEAD redirects as GET does, without a body.
  const head = await go({ from: proxy, xff: '203.0.113.9', method: 'HEAD' });
  t.deepEqual([head.status, head.headers['location'], head.body], [302, 'https://y.example.test/a/b?c=d&e', '']);
  // curl from the trusted proxy's address (--interface), as a real client.
  const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '--interface', proxy, '-H', 'Host: www.example.test', '-H', 'X-Forwarded-For: 203.0.113.9', '--max-time', '10', `${base}/x?y=1`]);
  t.is(stdout, '302 https://y.example.test/x?y=1');
  // Another Host gets the ordinary routes.
  const other = await request(`${base}/healthz`, { headers: { Host: 'status.example.test' } });
  t.deepEqual([other.status, other.body], [200, 'ok\n']);
  // The redirects count as answers given, for the status page.
  const s = (await getJson(`${base}/api/v1/status`)) as StatusJson;
  t.deepEqual(s.answers.byPop, { x: pop === 'x' ? 3 : 2, y: pop === 'y' ? 5 : 4 });
  t.is(s.answers.total, 7);
  // And in the metrics: each redirect as a decision of the POP it sent to, and as an HTTP request of its own route.
  const metrics = (await request(`${base}/metrics`)).body;
  const sample = (name: string, labels: Record<string, string>): number =>
    [...metrics.matchAll(new RegExp(`^supersparrow_${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))]
      .filter((m) => Object.entries(labels).every(([k, v]) => m[1]!.includes(`${k}="${v}"`)))
      .reduce((sum, m) => sum + Number(m[2]), 0);
  t.is(sample('decisions_total', { source: 'redirect', pop: 'x' }), pop === 'x' ? 3 : 2);
  t.is(sample('decisions_total', { source: 'redirect', pop: 'y' }), pop === 'y' ? 5 : 4);
  t.is(sample('decisions_total', { source: 'redirect', pop: 'z' }), 0, 'z has no host: never redirected to');
  t.is(sample('decisions_total', { source: 'redirect', rule: 'fallback' }), 1, 'the redirect that skipped z');
  t.is(sample('http_requests_total', { route: 'redirect', code: '302' }), 7);
  t.is(sample('decisions_total', { source: 'api' }), 1, 'the one /api/v1/query');
  t.true(sample('http_requests_total', { route: '/api/v1/query', code: '200' }) >= 1);
});

test('redirect mode: 503 with a text body when no POP has a host', async (t) => {
  const a = next();
  const d = await daemonFrom(t, `
bgp: { local-as: 65010, router-id: ${a.speaker} }
pops: { x: { as: 65751, ipv4: 192.0.2.11 }, y: { as: 64750, ipv4: 192.0.2.22 } }
neighbors: []
http: { listen: [ "${a.speaker}:0" ], redirect: { hosts: [ www.example.test ], status: 307 } }`);
  const r = await request(`${d.base()}/`, { headers: { Host: 'www.example.test' } });
  t.is(r.status, 503);
  t.regex(String(r.headers['content-type']), /^text\/plain/);
  t.is(r.body, 'No POP with a host name is available to redirect to.\n');
  t.is(r.headers['x-supersparrow-pop'], 'x', 'the POP decided, for the record');
});

test('reload: a new http port answers and the old one closes; a bad file or a taken port keeps it serving; removed and added live', async (t) => {
  const a = next();
  const free = async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, a.speaker, () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  };
  const base = `
bgp: { local-as: 65010, router-id: ${a.speaker} }
neighbors: []`;
  const d = await daemonFrom(t, `${base}\nhttp: { listen: [ "${a.speaker}:0" ] }`);
  const first = d.base();
  t.is((await request(`${first}/healthz`)).status, 200);

  const port = await free();
  d.write(`${base}\nhttp: { listen: [ "${a.speaker}:${port}" ], max-connections: 10 }`);
  t.like(await d.daemon.reload(), { needsRestart: [] });
  const second = `http://${a.speaker}:${port}`;
  t.is(d.base(), second);
  t.is((await request(`${second}/healthz`)).status, 200);
  await t.throwsAsync(request(`${first}/healthz`), { code: 'ECONNREFUSED' });

  // A bad file: a ConfigError with line and column, and the running server stays.
  d.write(`${base}\nhttp: { listen: [ "${a.speaker}:${port}" ], max-connections: lots }`);
  const err = await t.throwsAsync(d.daemon.reload(), { instanceOf: ConfigError });
  t.regex(err!.message, /config\.yaml:4:\d+: http\.max-connections: must be a number of connections/);
  t.is((await request(`${second}/healthz`)).status, 200);

  // A port that is taken: the reload fails, nothing changed.
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, a.speaker, () => r()));
  t.teardown(() => blocker.close());
  const taken = (blocker.address() as net.AddressInfo).port;
  d.write(`${base}\nhttp: { listen: [ "${a.speaker}:${taken}" ] }`);
  await t.throwsAsync(d.daemon.reload(), { message: /HTTP: cannot listen on/ });
  t.is(d.base(), second);
  t.is((await request(`${second}/healthz`)).status, 200);

  // Removed: stopped. Added again: started.
  d.write(base);
  await d.daemon.reload();
  t.is(d.daemon.http, null);
  await waitFor('the old port to close', () => request(`${second}/healthz`).then(() => undefined, (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED' || undefined), 10_000, 100);
  d.write(`${base}\nhttp: { listen: [ "${a.speaker}:0" ] }`);
  await d.daemon.reload();
  t.is((await request(`${d.base()}/healthz`)).status, 200);
});

test('trusted proxies: prefixes of both families, IPv4-mapped peers as IPv4, the right-most untrusted entry', (t) => {
  const p = new TrustedProxies(['127.0.0.0/8', '10.0.0.0/8', '2001:db8::/32', '192.0.2.1/32']);
  t.true(p.contains('127.1.2.3'));
  t.true(p.contains('::ffff:127.1.2.3'), 'IPv4-mapped counts as IPv4');
  t.true(p.contains('2001:db8:1::1'));
  t.false(p.contains('2001:db9::1'));
  t.false(p.contains('192.0.2.2'));
  t.false(p.contains('banana'));
  t.is(p.clientOf('198.51.100.1', '203.0.113.1'), '198.51.100.1', 'an untrusted peer is the client whatever it says');
  t.is(p.clientOf('::ffff:10.1.1.1', '203.0.113.1, 10.2.2.2'), '203.0.113.1');
  t.is(p.clientOf('10.1.1.1', ['198.51.100.9, 203.0.113.1', '192.0.2.1']), '203.0.113.1', 'several headers read as one list');
  t.is(p.clientOf('10.1.1.1', '[2001:db9::5]:443, 10.0.0.9'), '2001:db9::5', 'ports as some proxies write them');
  t.is(p.clientOf('10.1.1.1', '203.0.113.1, garbage, 10.0.0.9'), '10.0.0.9', 'no address: the hop that added it');
  t.is(p.clientOf('10.1.1.1', '10.0.0.7, 10.0.0.9'), '10.0.0.7', 'all trusted: the left-most');
  t.is(p.clientOf('10.1.1.1', undefined), '10.1.1.1');
  t.is(p.clientOf(undefined, '203.0.113.1'), null);
  t.is(new TrustedProxies([]).clientOf('10.1.1.1', '203.0.113.1'), '10.1.1.1', 'no trusted proxies: no header is believed');
});

/** A port free on `address` now (bound and released). */
async function freePortOn(address: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, address, () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('reload: an HTTP address added beside one that stays (kept, not bound twice), then the first one removed', async (t) => {
  const a = next();
  const [one, two] = [await freePortOn(a.speaker), await freePortOn(a.peer)];
  const base = `
bgp: { local-as: 65010, router-id: ${a.speaker} }
neighbors: []`;
  const d = await daemonFrom(t, `${base}\nhttp: { listen: [ "${a.speaker}:${one}" ] }`);
  const first = `http://${a.speaker}:${one}`;
  const second = `http://${a.peer}:${two}`;
  t.is((await request(`${first}/healthz`)).status, 200);
  const server = d.daemon.http;

  d.write(`${base}\nhttp: { listen: [ "${a.speaker}:${one}", "${a.peer}:${two}" ], max-connections: 10 }`);
  t.like(await d.daemon.reload(), { needsRestart: [] });
  t.is(d.daemon.http, server, 'the same server, reconfigured');
  t.deepEqual(d.daemon.http!.bound, [{ address: a.speaker, port: one }, { address: a.peer, port: two }]);
  t.is((await request(`${first}/healthz`)).status, 200, 'the address that stayed still answers');
  t.is((await request(`${second}/healthz`)).status, 200, 'the added one answers');

  d.write(`${base}\nhttp: { listen: [ "${a.peer}:${two}" ] }`);
  await d.daemon.reload();
  t.deepEqual(d.daemon.http!.bound, [{ address: a.peer, port: two }]);
  await t.throwsAsync(request(`${first}/healthz`), { code: 'ECONNREFUSED' });
  t.is((await request(`${second}/healthz`)).status, 200);
});

test('stop during a reload: the HTTP listener the reload binds is closed by the stop; a later reload is refused', async (t) => {
  const a = next();
  const port = await freePortOn(a.speaker);
  const base = `
bgp: { local-as: 65010, router-id: ${a.speaker} }
neighbors: []`;
  const d = await daemonFrom(t, base);
  t.is(d.daemon.http, null);
  d.write(`${base}\nhttp: { listen: [ "${a.speaker}:${port}" ] }`);
  // SIGHUP then at once SIGTERM: the reload is under way (binding) when the stop begins.
  const [reloaded, stopped] = await Promise.allSettled([d.daemon.reload(), d.daemon.stop()]);
  t.is(stopped.status, 'fulfilled');
  t.is(reloaded.status, 'fulfilled', 'the reload that began first finishes');
  await t.throwsAsync(request(`http://${a.speaker}:${port}/healthz`, { timeoutMs: 5000 }), { code: 'ECONNREFUSED' }, 'nothing listens after the stop');
  await t.throwsAsync(d.daemon.reload(), { message: /stopping/ });
});

test('readiness: a reload that removes the neighbor still awaited makes the table loaded at once, for DNS too', async (t) => {
  const a = next();
  const base = `
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
pops: { x: { as: 65751, ipv4: 192.0.2.11 } }
dns: { listen: [ "${a.speaker}:0" ], zone: example.test, names: { www: {} }, ns: [ ns.example.net ], startup: { timeout: 600 } }
http: { listen: [ "${a.speaker}:0" ] }`;
  const d = await daemonFrom(t, `${base}\nneighbors:\n  - { address: ${a.peer}, remote-as: 65001, passive: true }`);
  t.is((await request(`${d.base()}/readyz`)).status, 503);
  t.false(d.daemon.dns!.responder.loaded);
  d.write(`${base}\nneighbors: []`);
  t.like(await d.daemon.reload(), { removed: [a.peer] });
  t.is((await request(`${d.base()}/readyz`)).status, 200);
  t.true(d.daemon.ready().ready);
  t.true(d.daemon.dns!.responder.loaded, 'DNS answers from the decision without waiting for the startup timeout');
});

test('trusted proxies: an IPv4-mapped prefix matches the IPv4 peers it maps (addresses are compared unmapped)', (t) => {
  const p = new TrustedProxies(['::ffff:10.0.0.0/104', '::ffff:192.0.2.1/128']);
  t.true(p.contains('10.1.2.3'));
  t.true(p.contains('::ffff:10.1.2.3'));
  t.true(p.contains('192.0.2.1'));
  t.false(p.contains('192.0.2.2'));
  t.false(p.contains('11.0.0.1'));
  t.is(p.clientOf('::ffff:10.9.9.9', '203.0.113.1'), '203.0.113.1', 'a proxy seen on a dual-stack socket is trusted');
  t.is(p.clientOf('11.0.0.1', '203.0.113.1'), '11.0.0.1');
});
