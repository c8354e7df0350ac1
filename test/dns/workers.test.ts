// DNS worker threads (`dns.workers`): each answers UDP on the daemon's port from its own replica of the RIB. The
// test drives a real daemon over BGP (a scripted peer) and asks over UDP from many source ports, so the kernel
// spreads the queries over every socket of the port: every answer must be the daemon's own decision, before and
// after a route change, a drain and a reload; the workers' counters show they answered.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { Afi } from '../../src/bgp/index.js';
import { loadConfigFile } from '../../src/config/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { loadUdpBatch, udpBatchUnavailableReason } from '../../src/dns/index.js';
import { addresses, attributes, memoryLogger, prefix4, ScriptedPeer, until } from '../session/harness.js';
import { udpQuery } from './helpers.js';

const next = addresses(64);
const ci = process.env['CI'] === 'true';
const missing = loadUdpBatch() === null ? `the native UDP socket is not built (${udpBatchUnavailableReason()})` : null;

/** One query for `name` A from a fresh socket (a fresh source port: another flow, maybe another thread). */
function ask(port: number, name = 'www.example.test'): Promise<dnsPacket.Packet> {
  return udpQuery('127.0.0.1', port, dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name }] }));
}

/** `n` queries, 20 at a time; the distinct answer sets. */
async function askMany(port: number, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i += 20) {
    const answers = await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => ask(port)));
    for (const a of answers) seen.add((a.answers ?? []).map((r) => String((r as { data: unknown }).data)).join(','));
  }
  return seen;
}

/** Polls an async condition (generous deadline: a busy 2-core machine). */
async function eventually(what: string, pred: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const title = 'DNS workers answer from replicas that follow the daemon: routes, a drain, a reload';
if (missing !== null && !ci) test(`${title} (skipped: ${missing})`, (t) => t.pass());
else
  test(title, async (t) => {
    if (missing !== null) return t.fail(`${missing}; CI=true requires it`);
    const a = next();
    const dir = mkdtempSync(path.join(tmpdir(), 'ss-dnsw-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const socket = path.join(dir, 'control.sock');
    const file = path.join(dir, 'supersparrow.yaml');
    const write = (ttl: number) =>
      writeFileSync(
        file,
        `
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
neighbors:
  - { address: ${a.peer}, remote-as: 65001, passive: true }
pops:
  x: { as: 65751, ipv4: 192.0.2.11 }
  y: { as: 64750, ipv4: 192.0.2.22 }
control: { socket: ${socket} }
dns:
  listen: [ "127.0.0.1:0" ]
  zone: example.test
  ttl: ${ttl}
  names: { www: {} }
  ns: [ ns.example.net ]
  startup: { ttl: 3, timeout: 60 }
  workers: 2
`,
      );
    write(20);
    const { log, records } = memoryLogger();
    const d = await startDaemon(loadConfigFile(file), socket, log);
    t.teardown(() => d.stop());
    t.is(d.dns!.workers!.count, 2, 'two workers answering');
    const port = d.dns!.server.bound[0]!.port;

    // Before End-of-RIB: self (x) everywhere, the workers too.
    t.deepEqual([...(await askMany(port, 40))], ['192.0.2.11']);

    // The resolver 127.0.0.1 is covered by a route whose first AS is y's: y, once the table has loaded.
    const peer = await ScriptedPeer.connect(a.speaker, d.speaker.listenPort!, a.peer);
    t.teardown(() => peer.destroy());
    await peer.handshake({ as: 65001 });
    peer.announce([prefix4('127.0.0.0/8')], attributes([64750, 64501]));
    peer.endOfRib(Afi.IPv4);
    peer.endOfRib(Afi.IPv6);
    await until('loaded', () => d.dns!.responder.loaded, 20_000);
    await eventually('every thread answers y', async () => {
      const seen = await askMany(port, 60);
      return seen.size === 1 && seen.has('192.0.2.22');
    });

    // A route change: a more-specific from AS x's path. Every thread follows within moments.
    peer.announce([prefix4('127.0.0.0/16')], attributes([65751]));
    await eventually('every thread answers x after the more-specific', async () => {
      const seen = await askMany(port, 60);
      return seen.size === 1 && seen.has('192.0.2.11');
    });

    // A drain made at the daemon reaches the workers.
    d.proximity.setDrained('x', true);
    await eventually('every thread answers y with x drained', async () => {
      const seen = await askMany(port, 60);
      return seen.size === 1 && seen.has('192.0.2.22');
    });
    d.proximity.setDrained('x', false);

    // A reload reaches them too: the new TTL in every answer.
    write(45);
    await d.reload();
    await eventually('every thread answers with the new TTL', async () => {
      const ttls = (await Promise.all(Array.from({ length: 40 }, () => ask(port)))).map((a) => (a.answers![0] as { ttl: number }).ttl);
      return ttls.every((x) => x === 45);
    });

    // The workers did answer (the kernel spread the flows), and their replicas hold the daemon's table.
    const stats = await d.dns!.workers!.stats();
    t.is(stats.length, 2);
    t.true(stats.every((s) => s.queries > 0), `queries per worker: ${stats.map((s) => s.queries).join(', ')}; the daemon: ${d.dns!.responder.stats.queries}`);
    t.true(stats.every((s) => s.prefixes.ipv4 === d.rib.prefixCount(Afi.IPv4)));
    t.true(records.some((r) => /DNS worker 1 answering/.test(r.msg)));
  });
