import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Afi } from '../../src/bgp/index.js';
import { parseConfig } from '../../src/config/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { attrs } from '../rib/helpers/routes.js';
import { writeTableDumpV2 } from '../helpers/mrt-write.js';
import { addresses, attributes, memoryLogger, prefix4, ScriptedPeer, until } from '../session/harness.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/supersparrow.js');
const next = addresses(60);

/** Runs the CLI with optional stdin; resolves with its exit status and output. */
function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 99, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-decide-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A daemon with POPs x (AS 65751, self) and y (AS 64750), each with its own neighbor (x: a.peer, y: a.stranger),
 * rule as given. x's router sends 203.0.113.0/24 by a long path, y's by a short one; only x has 198.51.100.0/24,
 * with y's AS first.
 */
async function twoPops(t: ExecutionContext, rule: 'classic' | 'multi-view') {
  const a = next();
  const dir = tempDir(t);
  const socket = path.join(dir, 'control.sock');
  const config = parseConfig(`
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
pops:
  x: { as: 65751, ipv4: 192.0.2.11, ipv6: "2001:db8::11", host: x.example.test }
  y: { as: 64750, ipv4: 192.0.2.22, ipv6: "2001:db8::22", host: y.example.test }
proximity: { rule: ${rule}, self: x }
overrides: { "192.0.2.128/25": y }
neighbors:
  - { address: ${a.peer}, remote-as: 65751, passive: true, pop: x }
  - { address: ${a.stranger}, remote-as: 64750, passive: true, pop: y }
control: { socket: ${socket} }
`);
  const { log } = memoryLogger();
  const daemon = await startDaemon(config, socket, log);
  t.teardown(() => daemon.stop());
  const px = await ScriptedPeer.connect(a.speaker, daemon.speaker.listenPort!, a.peer);
  t.teardown(() => px.destroy());
  await px.handshake({ as: 65751, id: '10.0.0.1' });
  const py = await ScriptedPeer.connect(a.speaker, daemon.speaker.listenPort!, a.stranger);
  t.teardown(() => py.destroy());
  await py.handshake({ as: 64750, id: '10.0.0.2' });
  px.announce([prefix4('203.0.113.0/24')], attributes([65751, 3356, 1299, 64500]));
  px.announce([prefix4('198.51.100.0/24')], attributes([64750, 64501]));
  py.announce([prefix4('203.0.113.0/24')], attributes([64750, 64500]));
  px.endOfRib(Afi.IPv4);
  py.endOfRib(Afi.IPv4);
  await until('routes', () => daemon.rib.lookupText('198.51.100.1').found && daemon.rib.paths(Afi.IPv4, daemon.rib.lookupText('203.0.113.1').prefix).length === 2);
  await until('both POPs up', () => daemon.proximity.isUp(0) && daemon.proximity.isUp(1));
  return { a, socket, daemon, px, py, dir };
}

test('query: classic rule per the daemon\'s POPs, one line per address, --json with the documented fields', async (t) => {
  const { socket } = await twoPops(t, 'classic');
  const r = await cli(['query', '--socket', socket, '203.0.113.9', '198.51.100.1', '10.9.9.9', '192.0.2.200']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), [
    '203.0.113.9 y 192.0.2.22', // the Loc-RIB's best path is y's (the shorter), first AS 64750
    '198.51.100.1 y 192.0.2.22', // x's router's path, but y's AS first
    '10.9.9.9 x 192.0.2.11', // no route: self
    '192.0.2.200 y 192.0.2.22', // the override
  ]);
  const j = await cli(['query', '--json', '--socket', socket, '198.51.100.1', '2001:db8:ffff::1']);
  t.is(j.code, 0, j.stderr);
  const [v4, v6] = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.deepEqual(v4, { addr: '198.51.100.1', pop: 'y', answer: '192.0.2.22', rule: 'first-as', prefix: '198.51.100.0/24', asPath: [64750, 64501], scope: 24, ranking: ['y', 'x'] });
  t.like(v6, { addr: '2001:db8:ffff::1', pop: 'x', answer: '2001:db8::11', rule: 'self', prefix: null, asPath: null });
  const bad = await cli(['query', '--socket', socket, 'not-an-address']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /not an IP address/);
});

test('multi-view: answers follow each POP\'s own view and move when a neighbor goes down', async (t) => {
  const { socket, py } = await twoPops(t, 'multi-view');
  const r = await cli(['query', '--json', '--socket', socket, '203.0.113.9', '198.51.100.1']);
  t.is(r.code, 0, r.stderr);
  const [a, b] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.like(a, { pop: 'y', rule: 'route', asPath: [64750, 64500], ranking: ['y', 'x'] });
  t.like(b, { pop: 'x', rule: 'route', prefix: '198.51.100.0/24' }, 'only x\'s view has the route');
  const e = await cli(['explain', '--socket', socket, '203.0.113.9']);
  t.is(e.code, 0, e.stderr);
  t.regex(e.stdout, /203\.0\.113\.9 -> y \(192\.0\.2\.22\)\s+rule: multi-view, decided by: route/);
  t.regex(e.stdout, /loses to y on AS path length \(4 vs 2\)/);
  py.destroy();
  await until('y down', async () => (await cli(['query', '--socket', socket, '203.0.113.9'])).stdout.includes(' x '));
  const pops = JSON.parse((await cli(['pops', '--json', '--socket', socket])).stdout);
  t.like(pops[1], { name: 'y', up: false, down: ['sessions down'] });
  t.like(pops[0], { name: 'x', up: true, self: true });
});

test('pops, pop drain and undrain: a drained POP is not answered, and says why', async (t) => {
  const { socket } = await twoPops(t, 'classic');
  const before = await cli(['pops', '--socket', socket]);
  t.is(before.code, 0, before.stderr);
  t.regex(before.stdout, /^POP\s+AS\s+STATE/);
  t.regex(before.stdout, /y\s+AS64750\s+up/);
  const d = await cli(['pop', 'drain', '--socket', socket, 'y']);
  t.is(d.code, 0, d.stderr);
  t.regex(d.stdout, /y\s+AS64750\s+down .* drained/);
  t.is((await cli(['query', '--socket', socket, '198.51.100.1'])).stdout.trim(), '198.51.100.1 x 192.0.2.11');
  const e = JSON.parse((await cli(['explain', '--json', '--socket', socket, '198.51.100.1'])).stdout);
  t.like(e, { pop: 'x', decidedBy: 'fallback', firstAs: 64750 });
  t.deepEqual(e.candidates.find((c: { pop: string }) => c.pop === 'y').down, ['drained']);
  t.is((await cli(['pop', 'undrain', '--socket', socket, 'y'])).code, 0);
  t.is((await cli(['query', '--socket', socket, '198.51.100.1'])).stdout.trim(), '198.51.100.1 y 192.0.2.22');
  const unknown = await cli(['pop', 'drain', '--socket', socket, 'nope']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /no POP named "nope"/);
});

test('batch: one answer per input line, in order; bad lines get self; --format name and host', async (t) => {
  const { socket } = await twoPops(t, 'classic');
  const input = ['198.51.100.1', 'garbage', '', '203.0.113.9', '2001:db8::1', '192.0.2.129', '::ffff:198.51.100.1'].join('\n') + '\n';
  const r = await cli(['batch', '--socket', socket], input);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.split('\n'), ['192.0.2.22', '192.0.2.11', '192.0.2.11', '192.0.2.22', '2001:db8::11', '192.0.2.22', '192.0.2.22', '']);
  const names = await cli(['batch', '--format', 'name', '--socket', socket], '198.51.100.1\n10.0.0.1');
  t.deepEqual(names.stdout.split('\n'), ['y', 'x', ''], 'a last line without a newline is answered too');
  const hosts = await cli(['batch', '--format', 'host', '--socket', socket], '198.51.100.1\n');
  t.is(hosts.stdout, 'y.example.test\n');
  const huge = await cli(['batch', '--socket', socket], `198.51.100.1\n${'9'.repeat(300_000)}\n198.51.100.1\n`);
  t.is(huge.stdout, '192.0.2.22\n192.0.2.11\n192.0.2.22\n', 'a 300 kB line is junk (self), and costs nothing else');
  const away = await cli(['batch', '--socket', path.join(tempDir(t), 'none.sock')], '198.51.100.1\n10.0.0.1\n');
  t.is(away.code, 0);
  t.is(away.stdout, 'NULL\nNULL\n', 'no daemon: NULL for every line, and the reason on stderr');
  t.regex(away.stderr, /cannot reach the daemon/);
});

test('the original invocation against the daemon: --peer/--self/--source, --verbose, --batch with exactly one answer a line', async (t) => {
  const { socket } = await twoPops(t, 'classic');
  const peers = ['--peer', '65751=192.168.192.13,64750=192.168.193.11', '--self', '192.168.192.13', '--socket', socket];
  const one = await cli([...peers, '--source', '198.51.100.7']);
  t.is(one.code, 0, one.stderr);
  t.is(one.stdout, '192.168.193.11\n');
  const verbose = await cli([...peers, '--source', '198.51.100.7', '--verbose']);
  t.is(verbose.stdout, 'PEERS: 65751=192.168.192.13 64750=192.168.193.11\nASPATH: 64750 64501\n192.168.193.11\n');
  const self = await cli([...peers, '-s', '192.168.192.99', '--source', '10.0.0.1']);
  t.is(self.stdout, '192.168.192.99\n', '-s overrides: self answers when no peer AS is first');
  const mapped = await cli([...peers, '--source', '::ffff:198.51.100.7', '--verbose']);
  t.is(mapped.stdout, 'PEERS: 65751=192.168.192.13 64750=192.168.193.11\nASPATH: 64750 64501\n192.168.193.11\n', 'an IPv4-mapped source is the IPv4 client');
  const lines = Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? '198.51.100.7' : i % 3 === 1 ? '10.1.2.3' : i % 6 === 2 ? 'bad line' : '::ffff:198.51.100.7'));
  const batch = await cli([...peers, '--batch'], lines.join('\n') + '\n');
  t.is(batch.code, 0, batch.stderr);
  const out = batch.stdout.split('\n');
  t.is(out.length, 501);
  t.deepEqual(out.slice(0, 6), ['192.168.193.11', '192.168.192.13', '192.168.192.13', '192.168.193.11', '192.168.192.13', '192.168.193.11']);
  const usage = await cli(['--peer', '65751=192.168.192.13', '--self', '192.168.192.13', '--socket', socket]);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /--source ADDRESS is required/);
});

test('the seed transcript, offline from an MRT dump: two paths for 192.168.193.0/24, best 64750 -> 192.168.193.11', async (t) => {
  const dir = tempDir(t);
  const mrt = path.join(dir, 'jasmine.mrt');
  // The route server's table in the original's --verbose transcript (Thu Oct 5 2000).
  writeTableDumpV2(
    mrt,
    [
      { address: '192.168.192.1', as: 64754, routerId: '192.168.192.12' },
      { address: '192.168.193.11', as: 64750, routerId: '192.168.193.11' },
    ],
    [
      {
        prefix: '192.168.193.0/24',
        paths: [
          { peer: 0, attributes: attrs([64754, 64755, 64752], { med: 1, nextHop: 0xc0a8c001 }) },
          { peer: 1, attributes: attrs([64750], { med: 1, nextHop: 0xc0a8c10b }) },
        ],
      },
    ],
  );
  const args = ['--peer', '65751=192.168.192.13,64750=192.168.193.11', '--self', '192.168.192.13', '--source', '192.168.193.15', '--mrt', mrt];
  const r = await cli([...args, '--verbose']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'PEERS: 65751=192.168.192.13 64750=192.168.193.11\nASPATH: 64750\n192.168.193.11\n');
  // The same from /etc/supersparrow.conf-style file, command line overriding it.
  const conf = path.join(dir, 'supersparrow.conf');
  writeFileSync(conf, `# the POP X of the original's configuration page\npeer 65751=192.168.192.13,64750=192.168.193.11\ns 192.168.192.13   # self\n\nsource 10.0.0.1\nmrt ${mrt}\n`);
  t.is((await cli(['-f', conf])).stdout, '192.168.192.13\n', 'source from the file: no route, self');
  t.is((await cli(['-f', conf, '--source', '192.168.193.15'])).stdout, '192.168.193.11\n', 'the command line overrides the file');
  const badConf = path.join(dir, 'bad.conf');
  writeFileSync(badConf, 'peer 65751=192.168.192.13\nfrobnicate 1\n');
  const bad = await cli(['-f', badConf, '--source', '10.0.0.1']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /bad\.conf:2: unknown option "frobnicate"/);
});
