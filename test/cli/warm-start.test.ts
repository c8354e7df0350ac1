// Warm start: a daemon started with a snapshot answers from it before any session is up, and the session's own
// table replaces it family by family at End-of-RIB (or the hold time removes it when no session comes).
import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Afi, parseIpv4, parseIpv6 } from '../../src/bgp/index.js';
import { controlRequest } from '../../src/cli/control-client.js';
import { parseConfig } from '../../src/config/index.js';
import type { PopJson, QueryJson } from '../../src/control/index.js';
import { saveRibSnapshot, startDaemon, type Daemon } from '../../src/daemon/index.js';
import { createRib, parsePrefix } from '../../src/rib/index.js';
import type { NeighborStatus } from '../../src/session/index.js';
import { waitFor } from '../helpers/peers/index.js';
import { addresses, attributes, memoryLogger, prefix4, ScriptedPeer, type LogRecord, type TestAddresses } from '../session/harness.js';

const next = addresses(90);

/**
 * POP x is AS 65751 (and tied to the neighbor), y is AS 64750: a best path whose first AS is a POP's answers that
 * POP (classic), anything else self, z. The neighbor is iBGP, so that its paths may start with either AS.
 */
function configText(a: TestAddresses, socket: string, extra = ''): string {
  return `
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
neighbors:
  - { address: ${a.peer}, remote-as: 65010, passive: true, pop: x }
pops:
  x: { as: 65751, ipv4: 192.0.2.11 }
  y: { as: 64750, ipv4: 192.0.2.22 }
  z: { as: 64999, ipv4: 192.0.2.33 }
proximity: { rule: classic, self: z }
control: { socket: ${socket} }
${extra}`;
}

/**
 * A snapshot as a daemon would save it: the neighbor's routes (198.51.100.0/24 and 203.0.113.0/24 via POP x's AS,
 * 2001:db8:100::/40 via y's), and a peer no configuration names (its routes must be ignored).
 */
async function writeSnapshot(a: TestAddresses, file: string): Promise<void> {
  const { writer, reader } = createRib({ sizing: 'small' });
  const n = writer.addNeighbor({ address: a.peer, remoteAs: 65010, localAs: 65010, routerId: parseIpv4('10.0.0.2') });
  const stranger = writer.addNeighbor({ address: a.stranger, remoteAs: 65002, localAs: 65010, routerId: parseIpv4('10.0.0.3') });
  const put = (id: number, prefix: string, asPath: number[], v6 = false) => {
    const p = parsePrefix(prefix);
    const set = writer.intern(attributes(asPath, v6 ? { nextHop: -1, mpNextHop: parseIpv6('2001:db8::2') } : {}));
    writer.announce(id, p.afi, 0, p.a, p.b, p.c, p.d, p.length, set);
    writer.release(set);
  };
  put(n, '198.51.100.0/24', [65751, 65001]);
  put(n, '203.0.113.0/24', [65751, 65001]);
  put(n, '2001:db8:100::/40', [64750, 65001], true);
  put(stranger, '192.0.2.0/24', [65002, 64750]);
  put(stranger, '203.0.113.0/25', [65002, 64750]);
  await saveRibSnapshot(reader, file, { routerId: '10.255.0.1', timestamp: 1_750_000_000 });
}

async function setUp(t: ExecutionContext, options: { holdSeconds?: number; snapshot?: (a: TestAddresses, file: string) => Promise<void> } = {}) {
  const a = next();
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-warm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = path.join(dir, 'control.sock');
  const file = path.join(dir, 'rib.mrt');
  await (options.snapshot ?? writeSnapshot)(a, file);
  const { log, records } = memoryLogger();
  const daemon = await startDaemon(parseConfig(configText(a, socket)), socket, log, { warmStart: file, warmStartHoldSeconds: options.holdSeconds });
  t.teardown(() => daemon.stop());
  const query = async (address: string): Promise<QueryJson> => (await controlRequest<QueryJson[]>(socket, { command: 'query', addresses: [address] }))[0]!;
  const pop = async (name: string): Promise<PopJson> => (await controlRequest<PopJson[]>(socket, { command: 'pops' })).find((p) => p.name === name)!;
  const neighbor = async (): Promise<NeighborStatus> => (await controlRequest<NeighborStatus[]>(socket, { command: 'neighbors' }))[0]!;
  return { a, file, socket, daemon, records, query, pop, neighbor };
}

async function connectPeer(t: ExecutionContext, a: TestAddresses, daemon: Daemon): Promise<ScriptedPeer> {
  const peer = await ScriptedPeer.connect(a.speaker, daemon.speaker.listenPort!, a.peer);
  t.teardown(() => peer.destroy());
  await peer.handshake({ id: '10.0.0.2', as: 65010 });
  return peer;
}

const messages = (records: LogRecord[]) => records.map((r) => r.msg);

test('before any session, a warm-started daemon answers from the snapshot, counts as ready, and its POP is up', async (t) => {
  const { a, daemon, records, query, pop, neighbor } = await setUp(t);
  t.not(daemon.warmStart, null);
  t.deepEqual(daemon.warmStart!.prefixes, { ipv4: 2, ipv6: 1 });
  t.is(daemon.warmStart!.paths, 3);
  t.deepEqual(daemon.warmStart!.neighbors, [a.peer]);
  t.deepEqual(daemon.warmStart!.ignored, [{ address: a.stranger, as: 65002, paths: 2 }]);
  t.true(messages(records).some((m) => /snapshot peer .* is no configured neighbor: 2 routes ignored/.test(m)), 'the ignored peer is logged');
  t.true(messages(records).some((m) => /^warm start: 2 IPv4 \+ 1 IPv6 prefixes, 3 paths from .* in [\d.]+ s/.test(m)), 'the load is logged');

  const answer = await query('203.0.113.7');
  t.like(answer, { pop: 'x', rule: 'first-as', prefix: '203.0.113.0/24' }, JSON.stringify(answer));
  t.deepEqual(answer.asPath, [65751, 65001]);
  t.is((await query('192.0.2.5')).prefix, null, 'the ignored peer\'s routes are not in the RIB');
  t.like(await query('2001:db8:100::1'), { pop: 'y', prefix: '2001:db8:100::/40' });

  const n = await neighbor();
  t.not(n.state, 'Established');
  t.deepEqual(n.prefixes, { ipv4: 2, ipv6: 1 });
  t.deepEqual(n.staleFamilies.sort(), ['ipv4', 'ipv6']);
  const x = await pop('x');
  t.true(x.up, `POP x tied to the neighbor counts as up while its snapshot routes are held: ${JSON.stringify(x)}`);
  const ready = daemon.ready();
  t.true(ready.ready);
  t.regex(ready.reason, /warm-start snapshot .*rib\.mrt of 2025-06-15T/);
});

test('the session\'s End-of-RIB sweeps the snapshot routes per family, and the answers follow the new table', async (t) => {
  const { a, daemon, query, neighbor } = await setUp(t);
  const peer = await connectPeer(t, a, daemon);
  await waitFor('Established', async () => (await neighbor()).state === 'Established', 10_000, 50);
  // The new table: 203.0.113.0/24 now leads to POP y; 198.51.100.0/24 is gone.
  peer.announce([prefix4('203.0.113.0/24')], attributes([64750, 65001], { localPref: 100 }));
  await waitFor('the new route', async () => (await query('203.0.113.7')).pop === 'y', 10_000, 50);
  t.is((await query('198.51.100.7')).prefix, '198.51.100.0/24', 'stale routes stay until End-of-RIB');
  peer.endOfRib(Afi.IPv4);
  await waitFor('IPv4 swept', async () => (await query('198.51.100.7')).prefix === null, 10_000, 50);
  t.deepEqual((await query('203.0.113.7')).asPath, [64750, 65001]);
  t.like(await query('2001:db8:100::1'), { pop: 'y', prefix: '2001:db8:100::/40' }, 'IPv6 waits for its own End-of-RIB');
  t.deepEqual((await neighbor()).staleFamilies, ['ipv6']);
  peer.endOfRib(Afi.IPv6);
  await waitFor('IPv6 swept', async () => (await query('2001:db8:100::1')).prefix === null, 10_000, 50);
  const n = await neighbor();
  t.deepEqual(n.staleFamilies, []);
  t.deepEqual(n.prefixes, { ipv4: 1, ipv6: 0 });
  t.like(daemon.ready(), { ready: true, reason: 'End-of-RIB from every neighbor' });
});

test('without a session, the snapshot routes go after the hold time and the neighbor\'s POP goes down', async (t) => {
  const { daemon, query, pop, records } = await setUp(t, { holdSeconds: 1 });
  t.is((await query('203.0.113.7')).pop, 'x');
  await waitFor('routes removed', async () => (await query('203.0.113.7')).prefix === null, 15_000, 50);
  const x = await pop('x');
  t.false(x.up, JSON.stringify(x));
  t.true(messages(records).some((m) => /warm-start hold time over without a session/.test(m)));
  t.is(daemon.rib.routeCount, 0);
});

test('a garbled or truncated snapshot is an error naming the file and the count read; the daemon serves, cold', async (t) => {
  const truncate = async (a: TestAddresses, file: string) => {
    await writeSnapshot(a, file);
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, whole.length - 7));
  };
  const garble = async (a: TestAddresses, file: string) => {
    await writeSnapshot(a, file);
    const bytes = readFileSync(file);
    bytes.writeUInt16BE(99, bytes.readUInt32BE(8) + 12 + 4); // the second record's MRT type
    writeFileSync(file, bytes);
  };
  for (const [what, make, pattern] of [
    ['truncated', truncate, /warm start from .*rib\.mrt failed after 4 RIB entries: truncated MRT file/],
    ['garbled', garble, /warm start from .*rib\.mrt failed after 0 RIB entries: garbled MRT file .* unknown MRT type 99/],
    ['missing', async () => undefined, /warm start from .*rib\.mrt failed after 0 RIB entries: cannot open MRT file/],
  ] as const) {
    const { daemon, records, query, neighbor } = await setUp(t, { snapshot: make });
    t.is(daemon.warmStart, null, what);
    const error = records.find((r) => r.level >= 50);
    t.truthy(error, `${what}: an error is logged`);
    t.regex(error!.msg, pattern, what);
    t.regex(error!.msg, /starting cold$/);
    t.is(daemon.rib.routeCount, 0, `${what}: nothing of the snapshot is kept`);
    t.is((await query('203.0.113.7')).prefix, null, `${what}: the daemon answers`);
    t.deepEqual((await neighbor()).staleFamilies, []);
    t.false(daemon.ready().ready, `${what}: a cold start waits for End-of-RIB`);
  }
});

test('control requests wait while a warm start loads: a neighbor shut down meanwhile leaves the other\'s routes held', async (t) => {
  const a = next();
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-warm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = path.join(dir, 'control.sock');
  const file = path.join(dir, 'rib.mrt');
  // Two configured neighbors with the same 60k prefixes each: the load takes many turns of the event loop.
  const PREFIXES = 60_000;
  const { writer, reader } = createRib();
  const ids = [a.peer, a.stranger].map((address, i) => writer.addNeighbor({ address, remoteAs: 65010, localAs: 65010, routerId: parseIpv4(`10.0.0.${i + 2}`) }));
  for (const [i, id] of ids.entries()) {
    const set = writer.intern(attributes([i === 0 ? 65751 : 64750, 65001]));
    for (let p = 0; p < PREFIXES; p++) writer.announce(id, Afi.IPv4, 0, (0x0a000000 + p * 256) | 0, 0, 0, 0, 24, set);
    writer.release(set);
  }
  await saveRibSnapshot(reader, file, { routerId: '10.255.0.1' });
  const config = `
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
neighbors:
  - { address: ${a.peer}, remote-as: 65010, passive: true, pop: x }
  - { address: ${a.stranger}, remote-as: 65010, passive: true }
pops:
  x: { as: 65751, ipv4: 192.0.2.11 }
  z: { as: 64999, ipv4: 192.0.2.33 }
proximity: { rule: classic, self: z }
control: { socket: ${socket} }
`;
  const { log, records } = memoryLogger();
  const starting = startDaemon(parseConfig(config), socket, log, { warmStart: file });
  // The control socket is up before the snapshot loads: send the request as soon as it is.
  await waitFor('the control socket', async () => existsSync(socket), 30_000, 1);
  const loadedBeforeRequest = records.some((r) => /^warm start: /.test(r.msg));
  const shutdown = controlRequest<NeighborStatus>(socket, { command: 'shutdown', neighbor: a.stranger });
  const daemon = await starting;
  t.teardown(() => daemon.stop());
  t.false(loadedBeforeRequest, 'the request went in while the snapshot was loading');
  const stopped = await shutdown;
  t.true(stopped.adminDown);
  t.deepEqual(stopped.prefixes, { ipv4: 0, ipv6: 0 }, 'the shut-down neighbor\'s routes are gone');
  t.not(daemon.warmStart, null, JSON.stringify(records.filter((r) => r.level >= 50).map((r) => r.msg)));
  const held = (await controlRequest<NeighborStatus[]>(socket, { command: 'neighbors' })).find((n) => n.address === a.peer)!;
  t.deepEqual(held.prefixes, { ipv4: PREFIXES, ipv6: 0 }, 'the other neighbor\'s snapshot routes are held');
  t.is(daemon.rib.routeCount, PREFIXES, 'no route is left without its neighbor');
});
