// The daemon's POPs: health checks take a POP down after `fall` failures and back after `rise` successes, the
// state changes are logged and counted, `down: true` keeps a POP out, and a reload applies a new POP table.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Afi } from '../../src/bgp/index.js';
import { loadConfigFile } from '../../src/config/index.js';
import { DecisionRequests } from '../../src/control/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { addresses, attributes, memoryLogger, prefix4, ScriptedPeer, until } from '../session/harness.js';

const next = addresses(62);

function listen(host: string, port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
}

function close(s: Server): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

async function daemon(t: ExecutionContext, popsYaml: (checkPort: number) => string, checkHost: string, checkPort: number) {
  const a = next();
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-pops-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = path.join(dir, 'control.sock');
  const file = path.join(dir, 'supersparrow.yaml');
  const write = (pops: string) =>
    writeFileSync(
      file,
      `
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
${pops}
neighbors:
  - { address: ${a.peer}, remote-as: 65001, passive: true }
control: { socket: ${socket} }
`,
    );
  write(popsYaml(checkPort));
  const { log, records } = memoryLogger();
  const d = await startDaemon(loadConfigFile(file), socket, log);
  t.teardown(() => d.stop());
  const peer = await ScriptedPeer.connect(a.speaker, d.speaker.listenPort!, a.peer);
  t.teardown(() => peer.destroy());
  await peer.handshake({ as: 65001 });
  peer.announce([prefix4('198.51.100.0/24')], attributes([64750, 64501]));
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001, 64999]));
  peer.endOfRib(Afi.IPv4);
  await until('routes', () => d.rib.lookupText('198.51.100.1').found && d.rib.lookupText('203.0.113.1').found);
  const requests = new DecisionRequests(d.proximity);
  const answer = (addr: string) => requests.query([addr])[0]!.pop;
  return { d, records, write, answer, requests, checkHost };
}

test('a failing health check takes its POP down after `fall` failures, a passing one brings it back after `rise`', async (t) => {
  const host = '127.62.200.1';
  const server = await listen(host);
  const port = (server.address() as { port: number }).port;
  const { d, records, answer, requests, write } = await daemon(
    t,
    (p) => `
pops:
  x: { as: 65751, ipv4: 192.0.2.11 }
  y: { as: 64750, ipv4: 192.0.2.22, check: { tcp: ${p}, address: ${host}, interval: 0.3, timeout: 0.3, rise: 2, fall: 2 } }
proximity: { rule: classic, self: x }`,
    host,
    port,
  );
  t.is(answer('198.51.100.1'), 'y');
  await close(server);
  await until('y down', () => !d.proximity.isUp(1), 10_000);
  t.is(answer('198.51.100.1'), 'x', 'the answers move');
  const y = requests.pops()[1]!;
  t.like(y, { name: 'y', up: false, drained: false });
  t.regex(y.down[0]!, /^check failed: tcp 127\.62\.200\.1:\d+: .*ECONNREFUSED/);
  t.true(records.some((r) => r.msg.startsWith('POP y is down: check failed') && r.level === 40), 'logged as a warning');
  const reopened = await listen(host, port);
  await until('y up', () => d.proximity.isUp(1), 10_000);
  t.is(answer('198.51.100.1'), 'y');
  const transitions = requests.pops()[1]!.transitions;
  t.true(transitions >= 2 && transitions % 2 === 0, `down and up again (${transitions} changes)`);
  t.true(records.some((r) => r.msg.startsWith('POP y is up')));
  // The port closes again: y goes down. A reload that points its check at an open port brings y back at once
  // (a changed check starts anew, up, as every check does), without waiting for `rise` probes of the new one.
  await close(reopened);
  await until('y down again', () => !d.proximity.isUp(1), 10_000);
  const fixed = await listen(host);
  t.teardown(() => close(fixed));
  write(`
pops:
  x: { as: 65751, ipv4: 192.0.2.11 }
  y: { as: 64750, ipv4: 192.0.2.22, check: { tcp: ${(fixed.address() as { port: number }).port}, address: ${host}, interval: 0.3, timeout: 0.3, rise: 2, fall: 2 } }
proximity: { rule: classic, self: x }`);
  await d.reload();
  t.true(d.proximity.isUp(1), 'the changed check starts up');
  t.is(answer('198.51.100.1'), 'y');
});

test('`down: true` keeps a POP out; a reload applies a new POP table and keeps an operator’s drain', async (t) => {
  const { d, write, answer, requests } = await daemon(
    t,
    () => `
pops:
  x: { as: 65751, ipv4: 192.0.2.11 }
  y: { as: 64750, ipv4: 192.0.2.22, down: true }
  z: { as: 65001, ipv4: 192.0.2.33 }
proximity: { rule: classic, self: x }`,
    '',
    0,
  );
  t.is(answer('198.51.100.1'), 'x', 'y is down by configuration');
  t.deepEqual(requests.pops()[1]!.down, ['down in the configuration']);
  t.is(answer('203.0.113.1'), 'z');
  requests.drain('z', true);
  t.is(answer('203.0.113.1'), 'x');
  write(`
pops:
  x: { as: 65751, ipv4: 192.0.2.11 }
  y: { as: 64750, ipv4: 192.0.2.22 }
  z: { as: 65001, ipv4: 192.0.2.33 }
  w: { as: 64999, ipv4: 192.0.2.44 }
proximity: { rule: classic, self: w }
overrides: { "10.0.0.0/8": y }`);
  await d.reload();
  t.is(answer('198.51.100.1'), 'y', 'no longer down');
  t.is(answer('203.0.113.1'), 'w', 'z stays drained; the new self answers');
  t.is(answer('10.1.2.3'), 'y', 'the new override');
  t.deepEqual(requests.pops().map((p) => [p.name, p.up, p.self]), [
    ['x', true, false],
    ['y', true, false],
    ['z', false, false],
    ['w', true, true],
  ]);
  // A bad file changes nothing.
  write(`
pops:
  x: { as: 65751, ipv4: 192.0.2.11 }
proximity: { rule: classic, self: nope }`);
  await t.throwsAsync(() => d.reload(), { message: /proximity\.self/ });
  t.is(answer('10.1.2.3'), 'y');
});
