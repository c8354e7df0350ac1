// The daemon's Prometheus metrics (src/http/metrics.ts, fed by src/daemon/metrics.ts): a real daemon fed a table
// over BGP by the built-in router peer (BgpFeeder), asked over UDP DNS and the control socket, drained and
// reloaded; every figure of the exposition is checked against what the daemon itself says (NeighborStatus, the
// RIB, the control socket's answers) or against the traffic the test made.
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { Afi, AsPathSegment, PathAttributes } from '../../src/bgp/index.js';
import { controlRequest } from '../../src/cli/control-client.js';
import { loadConfigFile } from '../../src/config/index.js';
import type { PopJson, QueryJson } from '../../src/control/index.js';
import { startDaemon, type Daemon } from '../../src/daemon/index.js';
import { loadUdpBatch, udpBatchUnavailableReason } from '../../src/dns/index.js';
import { DaemonMetrics, type MetricSources } from '../../src/http/index.js';
import type { ExplanationJson } from '../../src/proximity/index.js';
import { BgpFeeder, packTable, type RouteGroup } from '../../src/replay/index.js';
import type { NeighborStatus } from '../../src/session/index.js';
import { freePort } from '../helpers/peers/index.js';
import { udpQuery } from '../dns/helpers.js';
import { addresses, memoryLogger, until } from '../session/harness.js';

const next = addresses(94);

// ---------------------------------------------------------------- the exposition format, read back

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  samples: Sample[];
  /** # TYPE of each family. */
  types: Map<string, string>;
  helps: Set<string>;
  text: string;
}

/** Reads Prometheus text format 0.0.4 (what prom-client writes); throws on a line it does not understand. */
function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') types.set(meta[2]!, meta[3]!);
      else helps.add(meta[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const labelText = m[2] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let l: RegExpExecArray | null;
    let consumed = 0;
    while ((l = re.exec(labelText)) !== null) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      consumed = re.lastIndex;
    }
    if (consumed !== labelText.length) throw new Error(`bad labels: ${line}`);
    // prom-client writes NaN as "Nan" (an event-loop delay mean before any sample); Prometheus reads NaN in any case.
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : /^nan$/i.test(m[3]!) ? NaN : Number(m[3]);
    if (Number.isNaN(value) && !/^nan$/i.test(m[3]!)) throw new Error(`bad value: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types, helps, text };
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The value of one series; undefined when absent. */
function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return e.samples.find((s) => s.name === name && sameLabels(s.labels, labels))?.value;
}

/** The value of one series; fails the test when absent. */
function need(t: ExecutionContext, e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const v = valueOf(e, name, labels);
  if (v === undefined) t.fail(`no ${name}${JSON.stringify(labels)} in the exposition`);
  return v ?? NaN;
}

/** Every series of a counter or of a histogram's counts, by name and labels. */
function monotonic(e: Exposition): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of e.samples) {
    const family = s.name.replace(/_(bucket|count|sum)$/, '');
    const type = e.types.get(s.name) ?? e.types.get(family);
    if (type === 'counter' || (type === 'histogram' && !s.name.endsWith('_sum'))) out.set(`${s.name}${JSON.stringify(s.labels)}`, s.value);
  }
  return out;
}

/** What any exposition must be: one HELP and TYPE per family, histograms' buckets cumulative up to +Inf = count. */
function checkWellFormed(t: ExecutionContext, e: Exposition): void {
  for (const s of e.samples) {
    const family = e.types.has(s.name) ? s.name : s.name.replace(/_(bucket|count|sum)$/, '');
    t.true(e.types.has(family) && e.helps.has(family), `${s.name} has its HELP and TYPE`);
  }
  for (const [family, type] of e.types) {
    if (type !== 'histogram') continue;
    const buckets = e.samples.filter((s) => s.name === `${family}_bucket`);
    const groups = new Map<string, Sample[]>();
    for (const b of buckets) {
      const { le: _le, ...rest } = b.labels;
      const key = JSON.stringify(rest);
      groups.set(key, [...(groups.get(key) ?? []), b]);
    }
    for (const [key, list] of groups) {
      const bounds = list.map((b) => (b.labels['le'] === '+Inf' ? Infinity : Number(b.labels['le'])));
      t.deepEqual(bounds, [...bounds].sort((a, b) => a - b), `${family} buckets in order`);
      t.is(bounds.at(-1), Infinity, `${family} ends with +Inf`);
      t.true(list.every((b, i) => i === 0 || b.value >= list[i - 1]!.value), `${family}${key} buckets cumulative`);
      const count = e.samples.find((s) => s.name === `${family}_count` && JSON.stringify(s.labels) === key);
      t.is(list.at(-1)!.value, count?.value ?? NaN, `${family}${key}: +Inf bucket = count`);
    }
  }
  // promtool is an extra: checked when installed.
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: e.text, encoding: 'utf8' });
  if (promtool.error === undefined) t.is(promtool.status, 0, `promtool check metrics: ${promtool.stdout}${promtool.stderr}`);
}

async function scrape(t: ExecutionContext, d: Daemon): Promise<Exposition> {
  const e = parseExposition(await d.metrics.render());
  checkWellFormed(t, e);
  return e;
}

// ---------------------------------------------------------------- a daemon, a table, DNS queries

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-metrics-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function ipv4Word(text: string): number {
  return text.split('.').reduce((w, octet) => w * 256 + Number(octet), 0);
}

/** The table the feeder sends: 127.0.0.0/8 (the test's resolver) from POP y's AS, /24s and /48s of various paths. */
function table(): ReturnType<typeof packTable> {
  const attrs = (path: number[], v6 = false) => {
    const a = new PathAttributes();
    a.origin = 0;
    a.asPath = [new AsPathSegment(2, path)];
    if (v6) a.mpNextHop = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    else a.nextHop = ipv4Word('192.0.2.1');
    return a;
  };
  const groups: RouteGroup[] = [{ attributes: attrs([64750, 64501]), prefixes: [{ afi: Afi.IPv4, pathId: 0, a: ipv4Word('127.0.0.0'), b: 0, c: 0, d: 0, length: 8 }] }];
  for (let g = 0; g < 40; g++) {
    groups.push({
      attributes: attrs([65001, 64600 + g, 64900 + (g % 7)]),
      prefixes: Array.from({ length: 25 }, (_, i) => ({ afi: Afi.IPv4, pathId: 0, a: ipv4Word(`10.${g}.${i}.0`), b: 0, c: 0, d: 0, length: 24 })),
    });
  }
  for (let g = 0; g < 5; g++) {
    groups.push({
      attributes: attrs([65001, 64700 + g], true),
      prefixes: Array.from({ length: 6 }, (_, i) => ({ afi: Afi.IPv6, pathId: 0, a: 0x20010db8, b: ((g * 8 + i) << 16) >>> 0, c: 0, d: 0, length: 48 })),
    });
  }
  return packTable(groups);
}

interface Setup {
  speaker: string;
  peer: string;
  socket: string;
  file: string;
}

function writeConfig(s: Setup, o: { ttl?: number; holdTime?: number; popsFirst?: 'x' | 'y'; dnsWorkers?: number; routeServerPort?: number; extra?: string } = {}): void {
  const x = 'x: { as: 65751, ipv4: 192.0.2.11, ipv6: "2001:db8::11" }';
  const y = 'y: { as: 64750, ipv4: 192.0.2.22, ipv6: "2001:db8::22" }';
  writeFileSync(
    s.file,
    `
bgp: { local-as: 65010, router-id: ${s.speaker}, listen: { address: ${s.speaker}, port: 0 } }
neighbors:
  - { address: ${s.peer}, remote-as: 65001, passive: true, hold-time: ${o.holdTime ?? 90} }
pops:
  ${o.popsFirst === 'y' ? `${y}\n  ${x}` : `${x}\n  ${y}`}
proximity: { rule: classic, self: x }
control: { socket: ${s.socket} }
dns:
  listen: [ "127.0.0.1:0" ]
  zone: example.test
  ttl: ${o.ttl ?? 20}
  names: { www: {} }
  ns: [ ns.example.net ]
  startup: { ttl: 3, timeout: 60 }
  workers: ${o.dnsWorkers ?? 0}
${o.routeServerPort === undefined ? '' : `route-server: { type: frr, host: ${s.speaker}, port: ${o.routeServerPort}, timeout: 2 }`}
${o.extra ?? ''}
`,
  );
}

async function daemon(t: ExecutionContext, o: Parameters<typeof writeConfig>[1] = {}): Promise<{ d: Daemon; s: Setup }> {
  const a = next();
  const dir = tempDir(t);
  const s: Setup = { speaker: a.speaker, peer: a.peer, socket: path.join(dir, 'control.sock'), file: path.join(dir, 'supersparrow.yaml') };
  writeConfig(s, o);
  const d = await startDaemon(loadConfigFile(s.file), s.socket, memoryLogger().log);
  t.teardown(() => d.stop());
  return { d, s };
}

async function feeder(t: ExecutionContext, d: Daemon, s: Setup): Promise<BgpFeeder> {
  const f = await BgpFeeder.connect({ host: s.speaker, port: d.speaker.listenPort!, localAddress: s.peer, localAs: 65001, routerId: s.peer });
  t.teardown(() => f.stop());
  return f;
}

/** One query from a fresh socket (a fresh source port). */
function ask(d: Daemon, name: string, type: 'A' | 'AAAA'): Promise<dnsPacket.Packet> {
  return udpQuery('127.0.0.1', d.dns!.server.bound[0]!.port, dnsPacket.encode({ type: 'query', id: 9, questions: [{ type, name }] }));
}

function neighborStatus(d: Daemon, address: string): NeighborStatus {
  return d.speaker.status().find((n) => n.address === address)!;
}

// ---------------------------------------------------------------- the tests

test('BGP, RIB, DNS, decisions, POPs and reloads are counted as the daemon sees them; counters never go down', async (t) => {
  const { d, s } = await daemon(t);
  const packed = table();
  const f = await feeder(t, d, s);
  await f.send(packed.chunks, packed.messages);
  await f.sendEndOfRib();
  await until('the table is loaded', () => d.speaker.tablesLoaded, 20_000);

  // BGP: per neighbor, as NeighborStatus says and as the feeder sent.
  let m = await scrape(t, d);
  const n = neighborStatus(d, s.peer);
  t.is(n.prefixes.ipv4, packed.ipv4);
  t.is(n.prefixes.ipv6, packed.ipv6);
  t.is(need(t, m, 'supersparrow_prefixes', { neighbor: s.peer, family: 'ipv4' }), packed.ipv4);
  t.is(need(t, m, 'supersparrow_prefixes', { neighbor: s.peer, family: 'ipv6' }), packed.ipv6);
  t.is(need(t, m, 'supersparrow_bgp_updates_received_total', { neighbor: s.peer }), packed.messages + 2, 'the table and two End-of-RIBs');
  t.is(n.updatesReceived, packed.messages + 2);
  t.is(need(t, m, 'supersparrow_bgp_session_up', { neighbor: s.peer }), 1);
  t.is(need(t, m, 'supersparrow_bgp_session_state', { neighbor: s.peer, state: 'Established' }), 1);
  t.is(need(t, m, 'supersparrow_bgp_session_state', { neighbor: s.peer, state: 'Active' }), 0);
  t.is(m.samples.filter((x) => x.name === 'supersparrow_bgp_session_state' && x.labels['neighbor'] === s.peer).length, 6, 'one series per state');
  const load = need(t, m, 'supersparrow_table_load_seconds', { neighbor: s.peer });
  t.true(load >= 0 && load === n.tableLoadSeconds, `table load ${load} s`);
  t.true(need(t, m, 'supersparrow_bgp_session_established_seconds', { neighbor: s.peer }) >= 0);
  t.is(need(t, m, 'supersparrow_bgp_notifications_total', { neighbor: s.peer, direction: 'sent' }), 0);
  t.is(need(t, m, 'supersparrow_rib_prefixes', { family: 'ipv4' }), d.rib.prefixCount(Afi.IPv4));
  t.is(need(t, m, 'supersparrow_rib_prefixes', { family: 'ipv6' }), d.rib.prefixCount(Afi.IPv6));
  t.is(need(t, m, 'supersparrow_rib_routes'), d.rib.routeCount);
  t.is(need(t, m, 'supersparrow_rib_attribute_sets'), d.rib.attributeSetCount);
  t.is(need(t, m, 'supersparrow_pop_up', { pop: 'y' }), 1);
  t.is(need(t, m, 'supersparrow_pop_drained', { pop: 'y' }), 0);
  t.is(valueOf(m, 'supersparrow_pop_check_up', { pop: 'y' }), undefined, 'no check, no series');
  t.is(need(t, m, 'supersparrow_config_reloads_total', { result: 'ok' }), 0);
  t.true(m.types.has('process_cpu_user_seconds_total'), "prom-client's process metrics, standard names");

  // DNS: queries by type, responses by rcode, decisions by POP and rule, the latency histogram.
  const answers = await Promise.all([
    ...Array.from({ length: 5 }, () => ask(d, 'www.example.test', 'A')),
    ...Array.from({ length: 3 }, () => ask(d, 'www.example.test', 'AAAA')),
    ask(d, 'nope.example.test', 'A'),
    ask(d, 'nope.example.test', 'A'),
    ask(d, 'www.elsewhere.test', 'A'),
  ]);
  const decided = answers.slice(0, 8);
  t.true(decided.every((a) => ['192.0.2.22', '2001:db8::22'].includes(String((a.answers?.[0] as { data: unknown } | undefined)?.data))), 'y answers 127.0.0.1');
  m = await scrape(t, d);
  t.is(need(t, m, 'supersparrow_dns_queries_total', { qtype: 'A' }), 8);
  t.is(need(t, m, 'supersparrow_dns_queries_total', { qtype: 'AAAA' }), 3);
  t.is(need(t, m, 'supersparrow_dns_queries_total', { qtype: 'SOA' }), 0);
  t.is(need(t, m, 'supersparrow_dns_responses_total', { rcode: 'NOERROR' }), 8);
  t.is(need(t, m, 'supersparrow_dns_responses_total', { rcode: 'NXDOMAIN' }), 2);
  t.is(need(t, m, 'supersparrow_dns_responses_total', { rcode: 'REFUSED' }), 1);
  t.is(need(t, m, 'supersparrow_dns_dropped_total'), 0);
  t.is(need(t, m, 'supersparrow_decisions_total', { pop: 'y', rule: 'first-as', source: 'dns' }), 8);
  t.is(need(t, m, 'supersparrow_dns_answer_seconds_count'), 11, 'every answer timed');
  t.true(need(t, m, 'supersparrow_dns_answer_seconds_sum') > 0);

  // The control socket: each decision of query, answers and explain, with the POP and rule it answered.
  const queried = await controlRequest<QueryJson[]>(s.socket, { command: 'query', addresses: ['127.1.2.3', '10.3.4.5', '192.0.2.99'] });
  await controlRequest<string[]>(s.socket, { command: 'answers', addresses: ['127.9.9.9', 'not an address'] });
  const explained = await controlRequest<ExplanationJson>(s.socket, { command: 'explain', address: '127.0.0.7' });
  const expected = new Map<string, number>();
  for (const [pop, rule] of [...queried.map((q) => [q.pop, q.rule]), ['y', 'first-as'], [explained.pop, explained.decidedBy]]) {
    expected.set(`${pop}/${rule}`, (expected.get(`${pop}/${rule}`) ?? 0) + 1);
  }
  t.deepEqual([...expected.keys()].sort(), ['x/self', 'y/first-as'], 'the clients were decided two ways');
  m = await scrape(t, d);
  for (const [key, count] of expected) {
    const [pop, rule] = key.split('/');
    t.is(need(t, m, 'supersparrow_decisions_total', { pop: pop!, rule: rule!, source: 'control' }), count, key);
  }
  t.is(valueOf(m, 'supersparrow_decisions_total', { pop: 'y', rule: 'first-as', source: 'api' }), undefined, 'nothing came through the API');

  // A drain: the POP's gauges, and DNS answers x as the fallback.
  const drained = await controlRequest<PopJson>(s.socket, { command: 'pop-drain', pop: 'y' });
  t.false(drained.up);
  t.is((await ask(d, 'www.example.test', 'A')).answers?.length, 1);
  m = await scrape(t, d);
  t.is(need(t, m, 'supersparrow_pop_up', { pop: 'y' }), 0);
  t.is(need(t, m, 'supersparrow_pop_drained', { pop: 'y' }), 1);
  t.is(need(t, m, 'supersparrow_pop_up', { pop: 'x' }), 1);
  t.is(need(t, m, 'supersparrow_decisions_total', { pop: 'x', rule: 'fallback', source: 'dns' }), 1);
  await controlRequest<PopJson>(s.socket, { command: 'pop-undrain', pop: 'y' });
  t.is(need(t, await scrape(t, d), 'supersparrow_pop_up', { pop: 'y' }), 1);

  // A reload that changes the neighbor (it restarts: Cease to the feeder), the POPs' order and the DNS TTL.
  const before = monotonic(await scrape(t, d));
  writeConfig(s, { ttl: 30, holdTime: 60, popsFirst: 'y' });
  const reloaded = await d.reload();
  t.deepEqual(reloaded.changed, [s.peer]);
  await until('the feeder is told', () => f.state === 'Closed', 10_000);
  m = await scrape(t, d);
  for (const [series, value] of before) {
    const now = monotonic(m).get(series);
    t.true(now !== undefined && now >= value, `${series}: ${value} before the reload, ${now} after`);
  }
  t.is(need(t, m, 'supersparrow_config_reloads_total', { result: 'ok' }), 1);
  t.is(need(t, m, 'supersparrow_bgp_notifications_total', { neighbor: s.peer, direction: 'sent' }), 1, 'Cease / Other Configuration Change');
  t.is(need(t, m, 'supersparrow_bgp_updates_received_total', { neighbor: s.peer }), packed.messages + 2, 'carried over to the restarted neighbor');
  t.is(need(t, m, 'supersparrow_bgp_session_up', { neighbor: s.peer }), 0);
  t.is(need(t, m, 'supersparrow_prefixes', { neighbor: s.peer, family: 'ipv4' }), 0);
  // The POPs' indices changed; the counts stayed with their names. Without routes now, 127.0.0.1 gets self.
  await ask(d, 'www.example.test', 'A');
  m = await scrape(t, d);
  t.is(need(t, m, 'supersparrow_decisions_total', { pop: 'y', rule: 'first-as', source: 'dns' }), 8);
  t.is(need(t, m, 'supersparrow_decisions_total', { pop: 'x', rule: 'fallback', source: 'dns' }), 1);
  t.is(need(t, m, 'supersparrow_decisions_total', { pop: 'x', rule: 'self', source: 'dns' }), 1);

  // A new session on the restarted neighbor goes on counting; its end is a NOTIFICATION received.
  const again = await feeder(t, d, s);
  await again.sendEndOfRib();
  await until('End-of-RIB counted', () => neighborStatus(d, s.peer).updatesReceived === packed.messages + 4, 10_000);
  await again.stop('metrics test done');
  await until('the Cease is counted', () => neighborStatus(d, s.peer).notifications.received === 1, 10_000);
  m = await scrape(t, d);
  t.is(need(t, m, 'supersparrow_bgp_updates_received_total', { neighbor: s.peer }), packed.messages + 4);
  t.is(need(t, m, 'supersparrow_bgp_notifications_total', { neighbor: s.peer, direction: 'received' }), 1);

  // A reload that fails is counted as such.
  writeFileSync(s.file, 'bgp: [ not, a, config\n');
  await t.throwsAsync(() => d.reload());
  m = await scrape(t, d);
  t.is(need(t, m, 'supersparrow_config_reloads_total', { result: 'failed' }), 1);
  t.is(need(t, m, 'supersparrow_config_reloads_total', { result: 'ok' }), 1);
});

const workersMissing = loadUdpBatch() === null ? `the native UDP socket is not built (${udpBatchUnavailableReason()})` : null;
const workersTitle = "the DNS worker threads' counters are summed in: every query, answer and decision, once";
if (workersMissing !== null && process.env['CI'] !== 'true') test.skip(`${workersTitle} (skipped: ${workersMissing})`, () => undefined);
else
  test(workersTitle, async (t) => {
    if (workersMissing !== null) return t.fail(`${workersMissing}; CI=true requires it`);
    const { d } = await daemon(t, { dnsWorkers: 2 });
    t.is(d.dns!.workers!.count, 2);
    // Queries from many source ports: the kernel spreads them over the daemon's socket and the workers'.
    const total = 90;
    for (let i = 0; i < total; i += 15) await Promise.all(Array.from({ length: 15 }, () => ask(d, 'www.example.test', 'A')));
    const byWorker = await d.dns!.workers!.stats();
    t.true(byWorker.some((w) => w.queries > 0), `the workers answered some (${byWorker.map((w) => w.queries).join(', ')}; the daemon ${d.dns!.responder.stats.queries})`);
    const m = await scrape(t, d);
    t.is(need(t, m, 'supersparrow_dns_queries_total', { qtype: 'A' }), total);
    t.is(need(t, m, 'supersparrow_dns_responses_total', { rcode: 'NOERROR' }), total);
    t.is(need(t, m, 'supersparrow_dns_answer_seconds_count'), total);
    // No End-of-RIB yet: every answer is self's (x), the startup answer.
    t.is(need(t, m, 'supersparrow_decisions_total', { pop: 'x', rule: 'self', source: 'dns' }), total);
    // A second scrape adds nothing that did not happen.
    const again = await scrape(t, d);
    t.is(need(t, again, 'supersparrow_dns_queries_total', { qtype: 'A' }), total);
    t.is(need(t, again, 'supersparrow_dns_answer_seconds_count'), total);
  });

test('the route-server fallback: active without a session, its console lookups by result', async (t) => {
  const closed = await freePort('127.0.0.1');
  const { d, s } = await daemon(t, { routeServerPort: closed });
  let m = await scrape(t, d);
  t.is(need(t, m, 'supersparrow_routeserver_active'), 1, 'no BGP session is Established');
  t.is(need(t, m, 'supersparrow_routeserver_connected'), 0);
  t.is(need(t, m, 'supersparrow_routeserver_cache_size'), 0);
  t.is(need(t, m, 'supersparrow_routeserver_queries_total', { result: 'asked' }), 0);
  // The console cannot be reached: the lookup is asked and fails, and the answer is self's.
  const [q] = await controlRequest<QueryJson[]>(s.socket, { command: 'query', addresses: ['198.51.100.7'] });
  t.is(q!.pop, 'x');
  m = await scrape(t, d);
  const status = d.fallback!.status();
  t.true(status.misses >= 1 && status.errors >= 1, JSON.stringify(status));
  t.is(need(t, m, 'supersparrow_routeserver_queries_total', { result: 'asked' }), status.misses);
  t.is(need(t, m, 'supersparrow_routeserver_queries_total', { result: 'failed' }), status.errors);
  t.is(need(t, m, 'supersparrow_routeserver_queries_total', { result: 'hit' }), status.hits);
  t.is(need(t, m, 'supersparrow_decisions_total', { pop: 'x', rule: q!.rule, source: 'control' }), 1);
});

test('counters follow cumulative totals across a source that starts again; gauges drop what is gone; HTTP requests', async (t) => {
  // Sources by hand: a neighbor whose counters restart (a new neighbor object) and that is then removed.
  const status = (updates: number): NeighborStatus => ({
    address: '192.0.2.1', port: 179, remoteAs: 65001, description: null, state: 'Established', uptime: 5, prefixes: { ipv4: 10, ipv6: 0 },
    lastError: null, routerId: '192.0.2.1', holdTime: 90, families: ['ipv4'], staleFamilies: [], capabilitiesAdvertised: true,
    gracefulRestart: null, adminDown: false, updatesReceived: updates, notifications: { sent: 0, received: 0 }, tableLoadSeconds: null,
  });
  let neighbors = [status(10)];
  let reloads = { ok: 2, failed: 0 };
  const sources: MetricSources = {
    neighbors: () => neighbors,
    ribCounts: () => ({ prefixes: { ipv4: 10, ipv6: 0 }, routes: 10, attributeSets: 1 }),
    pops: () => [],
    decisions: () => [],
    dnsStats: () => null,
    fallback: () => null,
    reloads: () => reloads,
  };
  const metrics = new DaemonMetrics(sources, { defaultMetrics: false });
  const read = async () => {
    const e = parseExposition(await metrics.render());
    checkWellFormed(t, e);
    return e;
  };
  let m = await read();
  t.is(need(t, m, 'supersparrow_bgp_updates_received_total', { neighbor: '192.0.2.1' }), 10);
  t.is(need(t, m, 'supersparrow_config_reloads_total', { result: 'ok' }), 2);
  t.false([...m.types.keys()].some((name) => name.startsWith('process_')), 'process metrics off');
  t.false(m.types.has('supersparrow_dns_queries_total'), 'no DNS, no DNS metrics');
  t.false(m.types.has('supersparrow_routeserver_active'), 'no fallback, no route-server metrics');
  neighbors = [status(3)];
  reloads = { ok: 3, failed: 0 };
  m = await read();
  t.is(need(t, m, 'supersparrow_bgp_updates_received_total', { neighbor: '192.0.2.1' }), 13, 'a smaller total is a source that started again');
  t.is(need(t, m, 'supersparrow_config_reloads_total', { result: 'ok' }), 3);
  neighbors = [];
  m = await read();
  t.is(valueOf(m, 'supersparrow_bgp_session_up', { neighbor: '192.0.2.1' }), undefined, 'a removed neighbor has no state');
  t.is(valueOf(m, 'supersparrow_prefixes', { neighbor: '192.0.2.1', family: 'ipv4' }), undefined);
  t.is(need(t, m, 'supersparrow_bgp_updates_received_total', { neighbor: '192.0.2.1' }), 13, 'its counter stays');

  metrics.observeHttpRequest('/api/v1/query', 200, 0.002);
  metrics.observeHttpRequest('/api/v1/query', 200, 0.02);
  metrics.observeHttpRequest('/api/v1/query', 400, 0.001);
  m = await read();
  t.is(need(t, m, 'supersparrow_http_requests_total', { route: '/api/v1/query', code: '200' }), 2);
  t.is(need(t, m, 'supersparrow_http_requests_total', { route: '/api/v1/query', code: '400' }), 1);
  t.is(need(t, m, 'supersparrow_http_request_seconds_count', { route: '/api/v1/query' }), 3);
  t.is(need(t, m, 'supersparrow_http_request_seconds_bucket', { route: '/api/v1/query', le: '0.005' }), 2);
});
