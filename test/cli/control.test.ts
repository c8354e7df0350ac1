import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Afi } from '../../src/bgp/index.js';
import { parseConfig } from '../../src/config/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { addresses, attributes, memoryLogger, prefix4, ScriptedPeer, until } from '../session/harness.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/supersparrow.js');
const next = addresses(49);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr });
    });
  });
}

async function daemonWithRoutes(t: import('ava').ExecutionContext) {
  const a = next();
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = path.join(dir, 'control.sock');
  const config = parseConfig(`
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
neighbors:
  - { address: ${a.peer}, remote-as: 65001, passive: true, description: test peer }
control: { socket: ${socket} }
`);
  const { log } = memoryLogger();
  const daemon = await startDaemon(config, socket, log);
  t.teardown(() => daemon.stop());
  const peer = await ScriptedPeer.connect(a.speaker, daemon.speaker.listenPort!, a.peer);
  t.teardown(() => peer.destroy());
  await peer.handshake();
  peer.announce([prefix4('198.51.100.0/24')], attributes([65001, 65002], {
    med: 50,
    localPref: 200,
    communities: Uint32Array.of((65000 << 16) | 1, (65001 << 16) | 70),
  }));
  const set = attributes([65001]);
  set.asPath!.push({ type: 1, asns: [64512, 64513] } as never);
  peer.announce([prefix4('198.51.0.0/16')], set);
  peer.endOfRib(Afi.IPv4);
  await until('routes', () => daemon.rib.lookupText('198.51.100.1').found && daemon.rib.lookupText('198.51.1.1').found);
  return { a, socket, daemon, peer };
}

test('routes --json prints the best route of the longest match with the documented fields', async (t) => {
  const { a, socket } = await daemonWithRoutes(t);
  const r = await cli(['routes', '--json', '--socket', socket, '198.51.100.77']);
  t.is(r.code, 0, r.stderr);
  const route = JSON.parse(r.stdout);
  t.like(route, {
    prefix: '198.51.100.0/24',
    asPath: [65001, 65002],
    nextHop: '192.0.2.1',
    neighbor: a.peer,
    med: 50,
    communities: ['65000:1', '65001:70'],
    origin: 'igp',
  });
  t.true('localPref' in route);
});

test('routes --json shows AS_SETs as nested arrays and matches a prefix exactly', async (t) => {
  const { socket } = await daemonWithRoutes(t);
  const r = await cli(['routes', '--json', '--socket', socket, '198.51.0.0/16']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout).asPath, [65001, [64512, 64513]]);
  const none = await cli(['routes', '--json', '--socket', socket, '198.51.0.0/17']);
  t.is(none.code, 1, 'no exact match: exit status 1');
  t.is(none.stdout.trim(), 'null');
});

test('routes prints null and exits 1 when no route matches, and text without --json', async (t) => {
  const { socket } = await daemonWithRoutes(t);
  const none = await cli(['routes', '--json', '--socket', socket, '203.0.113.1']);
  t.is(none.code, 1);
  t.is(none.stdout.trim(), 'null');
  const text = await cli(['routes', '--socket', socket, '198.51.100.1']);
  t.is(text.code, 0);
  t.regex(text.stdout, /^198\.51\.100\.0\/24 via 192\.0\.2\.1 from /);
  t.regex(text.stdout, /as-path: +65001 65002/);
  const bad = await cli(['routes', '--json', '--socket', socket, 'not-an-address']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /not an IP address/);
});

test('neighbors --json lists state, uptime, prefixes per family and last error', async (t) => {
  const { a, socket } = await daemonWithRoutes(t);
  const r = await cli(['neighbors', '--json', '--socket', socket]);
  t.is(r.code, 0, r.stderr);
  const [n] = JSON.parse(r.stdout);
  t.like(n, { address: a.peer, remoteAs: 65001, state: 'Established', prefixes: { ipv4: 2, ipv6: 0 }, lastError: null });
  t.is(typeof n.uptime, 'number');
  const text = await cli(['neighbors', '--socket', socket]);
  t.regex(text.stdout, /^NEIGHBOR +AS +STATE +UPTIME +IPV4 +IPV6 +LAST ERROR\n/);
  t.regex(text.stdout, new RegExp(`${a.peer.replace(/\./g, '\\.')} +65001 +Established`));
});

test('the control socket shuts a neighbor down with a message and asks for a route refresh', async (t) => {
  const { a, socket, peer } = await daemonWithRoutes(t);
  const { controlRequest } = await import('../../src/cli/control-client.js');
  const rr = await controlRequest<{ families: string[] }>(socket, { command: 'route-refresh', neighbor: a.peer, family: 'ipv4' });
  t.deepEqual(rr.families, ['ipv4']);
  const m = await peer.nextOfType(5);
  t.is(m.message.readUInt16BE(19), 1);
  const st = await controlRequest<{ state: string }>(socket, { command: 'shutdown', neighbor: a.peer, message: 'bye' });
  t.is(st.state, 'Idle');
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode, n.shutdownMessage], [6, 2, 'bye']);
  await t.throwsAsync(controlRequest(socket, { command: 'shutdown', neighbor: '192.0.2.99' }), { message: /no configured neighbor/ });
});

test('neighbors exits 2 with a hint when no daemon answers', async (t) => {
  const r = await cli(['neighbors', '--socket', '/nonexistent/supersparrow.sock']);
  t.is(r.code, 2);
  t.regex(r.stderr, /cannot reach the daemon/);
});

test('memory shows what the RIB uses part by part and what the process uses, as text and JSON', async (t) => {
  const { socket, daemon } = await daemonWithRoutes(t);
  const r = await cli(['memory', '--json', '--socket', socket]);
  t.is(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  t.like(m.rib, { ipv4: { prefixes: 2 }, ipv6: { prefixes: 0 }, attributes: { sets: 2 }, routes: { count: 2 } });
  t.is(m.rib.total, daemon.rib.memory().total);
  t.is(m.rib.ipv4.bytes + m.rib.ipv6.bytes + m.rib.attributes.bytes + m.rib.routes.bytes, m.rib.total);
  t.true(m.rib.ipv4.bytes > 0 && m.rib.routes.bytes > 0);
  t.true(m.process.rss > m.process.heapUsed && m.process.heapTotal >= m.process.heapUsed);
  const text = await cli(['memory', '--socket', socket]);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /^RIB \(typed arrays in use\)\n {2}IPv4 prefixes +2 +\d+\.\d MiB\n/);
  t.regex(text.stdout, /\n {2}resident \(RSS\) +\d+\.\d MiB\n/);
});
