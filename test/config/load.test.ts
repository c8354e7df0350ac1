import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/index.js';

function problems(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('fills in the defaults of a minimal config', (t) => {
  const c = parseConfig(
    [
      'bgp: { local-as: 65010, router-id: 127.0.0.10, listen: { address: 127.0.0.10, port: 1179 } }',
      'neighbors:',
      '  - { address: 127.0.0.1, remote-as: 65001 }',
    ].join('\n'),
  );
  t.deepEqual(c.bgp, { localAs: 65010, routerId: '127.0.0.10', listen: { address: '127.0.0.10', port: 1179 }, holdTime: 90, connectRetry: 30 });
  t.deepEqual(c.neighbors[0], {
    address: '127.0.0.1', remoteAs: 65001, port: 179, passive: false, localAddress: null, holdTime: 90, connectRetry: 30,
    maxPrefixes: null, gracefulRestart: { enabled: true, notification: true, stalePathTime: 360 }, addPath: true, description: null,
  });
  t.deepEqual(c.control, { socket: null });
  t.deepEqual(c.log, { level: 'info', file: null });
});

test('reads every per-neighbor option and lets neighbors override bgp timers', (t) => {
  const c = parseConfig(`
bgp:
  local-as: 4200000010
  router-id: 192.0.2.10
  hold-time: 30
  connect-retry: 5
neighbors:
  - address: 2001:DB8:0:0::1
    remote-as: 1.10
    port: 1179
    passive: false
    local-address: 2001:db8::10
    hold-time: 0
    max-prefixes: { limit: 1000, warning-percent: 80, restart-after: 120 }
    graceful-restart: false
    add-path: false
    description: router 1
  - { address: 192.0.2.1, remote-as: 65001, max-prefixes: 500, graceful-restart: { notification: false, stale-path-time: 120 } }
control: { socket: /tmp/x.sock }
log: { level: debug, file: /tmp/x.log }
`);
  t.is(c.bgp.listen, null, 'listen is optional: a purely active speaker');
  const [n0, n1] = c.neighbors;
  t.is(n0!.address, '2001:db8::1', 'addresses are normalised');
  t.is(n0!.remoteAs, 65546, 'asdot accepted');
  t.is(n0!.port, 1179);
  t.is(n0!.localAddress, '2001:db8::10');
  t.is(n0!.holdTime, 0);
  t.is(n0!.connectRetry, 5);
  t.deepEqual(n0!.maxPrefixes, { limit: 1000, warningPercent: 80, restartAfter: 120 });
  t.deepEqual(n0!.gracefulRestart, { enabled: false, notification: true, stalePathTime: 360 });
  t.deepEqual(n1!.gracefulRestart, { enabled: true, notification: false, stalePathTime: 120 }, 'the mapping form keeps unset defaults');
  t.false(n0!.addPath);
  t.is(n0!.description, 'router 1');
  t.is(n1!.holdTime, 30);
  t.deepEqual(n1!.maxPrefixes, { limit: 500, warningPercent: null, restartAfter: 60 });
  t.deepEqual(c.control, { socket: '/tmp/x.sock' });
  t.deepEqual(c.log, { level: 'debug', file: '/tmp/x.log' });
});

test('reports a bad remote AS with file, line, column and path', (t) => {
  const p = problems(`bgp: { local-as: 65010, router-id: 127.0.0.10 }
neighbors:
  - address: 127.0.0.1
    remote-as: 0
`);
  t.deepEqual(p, ['test.yaml:4:16: neighbors[0].remote-as: must be an AS number 1..4294967295']);
});

test('reports every problem of a file, in line order', (t) => {
  const p = problems(`bgp:
  local-as: 65010
  router-id: 300.1.1.1
  hold-time: 2
neighbors:
  - address: 127.0.0.1
    remote-as: 65001
    prot: 179
  - address: not-an-address
    remote-as: 65002
    passive: yes please
  - { address: 127.0.0.1, remote-as: 65003 }
log: { level: chatty }
`);
  t.deepEqual(p, [
    'test.yaml:3:14: bgp.router-id: must be an IPv4 address (dotted quad)',
    'test.yaml:4:14: bgp.hold-time: must be 0 (no keepalives) or 3..65535 seconds (RFC 4271 4.2)',
    'test.yaml:8:5: neighbors[0].prot: unknown key (expected one of: address, remote-as, port, passive, local-address, hold-time, connect-retry, max-prefixes, graceful-restart, add-path, description)',
    'test.yaml:9:14: neighbors[1].address: must be an IPv4 or IPv6 address',
    'test.yaml:11:14: neighbors[1].passive: must be true or false',
    'test.yaml:12:16: neighbors[2].address: duplicates neighbors[0].address',
    'test.yaml:13:15: log.level: must be one of trace, debug, info, warn, error, fatal',
  ]);
});

test('reports missing required keys at the mapping that lacks them', (t) => {
  const p = problems(`bgp:
  router-id: 127.0.0.10
neighbors:
  - port: 179
`);
  t.deepEqual(p, [
    'test.yaml:2:3: bgp.local-as: is required',
    'test.yaml:4:5: neighbors[0].address: is required',
    'test.yaml:4:5: neighbors[0].remote-as: is required',
  ]);
});

test('reports YAML syntax errors with their position', (t) => {
  const p = problems('bgp: { local-as: 65010\nneighbors: []\n');
  t.is(p.length >= 1, true);
  t.regex(p[0]!, /^test\.yaml:\d+:\d+: /);
});

test('validates max-prefixes and mismatched local-address family', (t) => {
  const p = problems(`bgp: { local-as: 65010, router-id: 127.0.0.10 }
neighbors:
  - address: 127.0.0.1
    remote-as: 65001
    local-address: ::1
    max-prefixes: { limit: 0, warning-percent: 150 }
`);
  t.deepEqual(p, [
    'test.yaml:5:20: neighbors[0].local-address: must be of the same family as address',
    'test.yaml:6:28: neighbors[0].max-prefixes.limit: must be an integer 1..4294967295',
    'test.yaml:6:48: neighbors[0].max-prefixes.warning-percent: must be an integer 1..100',
  ]);
});

test('validates the graceful-restart mapping', (t) => {
  const p = problems(`bgp: { local-as: 65010, router-id: 127.0.0.10 }
neighbors:
  - address: 127.0.0.1
    remote-as: 65001
    graceful-restart: { enabled: yes, stale-path-time: 0, helper: true }
`);
  t.deepEqual(p, [
    'test.yaml:5:34: neighbors[0].graceful-restart.enabled: must be true or false',
    'test.yaml:5:56: neighbors[0].graceful-restart.stale-path-time: must be a number of seconds 1..65535',
    'test.yaml:5:59: neighbors[0].graceful-restart.helper: unknown key (expected one of: enabled, notification, stale-path-time)',
  ]);
});

test('loadConfigFile names the file in its errors', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bad.yaml');
  writeFileSync(file, 'bgp: { local-as: 65010, router-id: 127.0.0.10, listen: { port: 70000 } }\nneighbors: []\n');
  const err = t.throws(() => loadConfigFile(file), { instanceOf: ConfigError });
  t.is(err!.message, `${file}:1:64: bgp.listen.port: must be a port 0..65535`);
  t.throws(() => loadConfigFile(path.join(dir, 'missing.yaml')), { message: /cannot read/ });
});

test('rejects a passive neighbor when the speaker does not listen', (t) => {
  const p = problems(`bgp: { local-as: 65010, router-id: 127.0.0.10 }
neighbors:
  - { address: 127.0.0.1, remote-as: 65001 }
  - { address: 127.0.0.2, remote-as: 65001, passive: true }
`);
  t.deepEqual(p, ['test.yaml:4:54: neighbors[1].passive: needs bgp.listen: without a listener nothing would ever connect']);
});

test('the example configuration in fixtures/ is valid and says what its comments say', (t) => {
  const file = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../fixtures/supersparrow.yaml');
  const c = loadConfigFile(file);
  t.is(c.bgp.localAs, 65010);
  t.deepEqual(c.bgp.listen, { address: '127.0.0.10', port: 1179 });
  t.deepEqual(c.neighbors.map((n) => [n.address, n.remoteAs, n.passive]), [['127.0.0.1', 65001, false], ['127.0.0.2', 65010, true]]);
  t.deepEqual(c.neighbors[0]!.maxPrefixes, { limit: 1000000, warningPercent: 90, restartAfter: 60 });
  t.deepEqual(c.neighbors[1]!.gracefulRestart, { enabled: true, notification: true, stalePathTime: 360 });
  t.is(c.control.socket, '/tmp/supersparrow.sock');
});
