// The daemon answers anything on its control socket with an error and keeps running; the spawned
// `supersparrow serve` survives a mixed attack and still answers `neighbors --json` at the end.
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Afi, MessageType, encodeMessage } from '../../src/bgp/index.js';
import { parseConfig } from '../../src/config/index.js';
import { startDaemon, type Daemon } from '../../src/daemon/index.js';
import { attributes, memoryLogger, prefix4, ScriptedPeer, sleep, until } from '../session/harness.js';
import { ControlLineClient } from '../helpers/control-line-client.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/supersparrow.js');
let block = 0;
function nextAddresses() {
  block++;
  return { speaker: `127.54.${block}.1`, good: `127.54.${block}.2`, attacker: `127.54.${block}.3`, stranger: (i: number) => `127.54.${block}.${4 + (i % 200)}` };
}

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-ctl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function inProcessDaemon(t: import('ava').ExecutionContext): Promise<{ daemon: Daemon; socket: string }> {
  const a = nextAddresses();
  const socket = path.join(tempDir(t), 'control.sock');
  const config = parseConfig(`
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
neighbors:
  - { address: ${a.good}, remote-as: 65001, passive: true }
control: { socket: ${socket} }
`);
  const daemon = await startDaemon(config, socket, memoryLogger().log);
  t.teardown(() => daemon.stop());
  return { daemon, socket };
}


test('junk on the control socket gets an error answer per line and the daemon keeps answering', async (t) => {
  const { socket } = await inProcessDaemon(t);
  const c = await ControlLineClient.open(socket);
  t.teardown(() => c.socket.destroy());
  const junk = [
    'hello',
    '{',
    '[]',
    'null',
    '42',
    '"neighbors"',
    '{"command":42}',
    '{"command":"nope"}',
    '{"command":"__proto__"}',
    '{"command":"constructor"}',
    '{"command":"routes"}',
    '{"command":"routes","target":"999.1.1.1"}',
    '{"command":"routes","target":"10.0.0.0/33"}',
    '{"command":"routes","target":"::ffff:zz"}',
    '{"command":"shutdown","neighbor":{"address":"127.0.0.1"}}',
    '{"command":"enable","neighbor":"192.0.2.99"}',
    '{"command":"route-refresh","neighbor":"192.0.2.99","family":"ipx"}',
    '[' .repeat(20000) + ']'.repeat(20000),
    '\u0000\u0001\ufffd garbage \u2028',
  ];
  c.socket.write(junk.join('\n') + '\n');
  const answers = await c.answers(junk.length);
  for (const [i, a] of answers.entries()) {
    t.false(a.ok, `line ${i} (${junk[i]!.slice(0, 40)}) is an error`);
    t.is(typeof a.error, 'string');
  }
  t.regex(answers[7]!.error!, /unknown command/);
  // Same connection, a good request after all that.
  c.socket.write('{"command":"neighbors"}\n');
  const [ok] = await c.answers(1);
  t.true(ok!.ok);
  t.is((ok!.result as unknown[]).length, 1);
});

test('a control client that disconnects mid-request does not disturb the daemon', async (t) => {
  const { socket } = await inProcessDaemon(t);
  for (let i = 0; i < 20; i++) {
    const c = await ControlLineClient.open(socket);
    // Half a request, or a whole one whose answer nobody reads, then gone.
    c.socket.write(i % 2 === 0 ? '{"command":"neighb' : '{"command":"neighbors"}\n{"command":"routes","target":"192.0.2.1"}\n');
    c.socket.destroy();
  }
  const c = await ControlLineClient.open(socket);
  t.teardown(() => c.socket.destroy());
  c.socket.write('{"command":"neighbors"}\n');
  const [a] = await c.answers(1);
  t.true(a!.ok);
});

test('a request line over 64 KiB is answered with an error and the connection closed, even if the client keeps sending', async (t) => {
  const { daemon, socket } = await inProcessDaemon(t);
  // allowHalfOpen: the client does not close its side when the daemon ends its own; it just keeps sending.
  const c = await new Promise<ControlLineClient>((resolve) => {
    const s = connect({ path: socket, allowHalfOpen: true });
    s.once('connect', () => resolve(new ControlLineClient(s)));
  });
  t.teardown(() => c.socket.destroy());
  const chunk = 'x'.repeat(64 * 1024);
  // Keep writing (bounded: 64 MiB or 5 s) until the daemon lets go of us; it must not keep what it reads.
  const deadline = Date.now() + 5000;
  let sent = 0;
  while (daemon.control.clientCount > 0 && Date.now() < deadline && sent < 64 << 20) {
    if (!c.socket.write(chunk)) await new Promise((r) => { c.socket.once('drain', r); setTimeout(r, 20); });
    sent += chunk.length;
  }
  await until('the daemon let go of the client', () => daemon.control.clientCount === 0, 3000);
  t.truthy(c.lines.find((l) => /longer than/.test(l)), 'the error was answered before the close');
});

test('pipelined requests from a client that never reads are bounded (the daemon stops reading it)', async (t) => {
  const { daemon, socket } = await inProcessDaemon(t);
  const flooder = await ControlLineClient.open(socket);
  t.teardown(() => flooder.socket.destroy());
  flooder.socket.pause();
  const request = '{"command":"neighbors"}\n'.repeat(4096);
  const deadline = Date.now() + 3000;
  let maxBacklog = 0;
  let maxPending = 0;
  const sample = () => {
    maxBacklog = Math.max(maxBacklog, daemon.control.backlog);
    maxPending = Math.max(maxPending, daemon.control.pendingRequests);
  };
  for (let i = 0; i < 200 && Date.now() < deadline; i++) {
    flooder.socket.write(request);
    sample();
    await sleep(5);
  }
  await sleep(200);
  sample();
  t.log({ maxBacklogKiB: Math.round(maxBacklog / 1024), maxPending });
  t.true(maxPending < 10_000, `requests read ahead of their answers stay bounded (${maxPending})`);
  t.true(maxBacklog < 2 << 20, `the daemon holds at most about 1 MiB of unread answers (held ${maxBacklog} bytes)`);
  // Another client is served meanwhile.
  const c = await ControlLineClient.open(socket);
  t.teardown(() => c.socket.destroy());
  c.socket.write('{"command":"neighbors"}\n');
  const [a] = await c.answers(1, 2000);
  t.true(a!.ok);
});

// ---- the spawned daemon -------------------------------------------------------------------------------------------

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr });
    });
  });
}

test('`supersparrow serve` survives malformed BGP, floods and control junk, and still answers neighbors --json', async (t) => {
  const a = nextAddresses();
  const dir = tempDir(t);
  const socket = path.join(dir, 'control.sock');
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
neighbors:
  - { address: ${a.good}, remote-as: 65001, passive: true }
  - { address: ${a.attacker}, remote-as: 65000, passive: true, hold-time: 3 }
control: { socket: ${socket} }
log: { level: info }
`);
  const child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const port = await until('the BGP port in the log', () => {
    const m = /"port":(\d+)[^\n]*listening for BGP connections|listening for BGP connections[^\n]*"port":(\d+)/.exec(stderr);
    return m ? Number(m[1] ?? m[2]) : null;
  }, 10_000);

  const good = await ScriptedPeer.connect(a.speaker, port, a.good);
  t.teardown(() => good.destroy());
  await good.handshake();
  good.announce([prefix4('198.51.100.0/24')], attributes([65001, 64500]));
  good.endOfRib(Afi.IPv4);

  // The attacker: an UPDATE with a broken attribute list, a KEEPALIVE with a body, a stall mid-message.
  for (const bytes of [
    encodeMessage(MessageType.Update, Buffer.from([0, 0, 0, 9, 0x40, 1, 1, 0])),
    Buffer.concat([encodeMessage(MessageType.Keepalive, Buffer.alloc(0)).subarray(0, 16), Buffer.from([0, 20, 4, 0])]),
  ]) {
    const p = await ScriptedPeer.connect(a.speaker, port, a.attacker);
    await p.readOpen();
    p.sendOpen({ as: 65000, holdTime: 3, id: '10.9.9.9' });
    await p.nextOfType(MessageType.Keepalive);
    p.sendKeepalive();
    p.send(bytes);
    const n = await p.notification();
    t.is(n.code, bytes[18] === MessageType.Update ? 3 : 1);
    p.destroy();
  }
  const staller = await ScriptedPeer.connect(a.speaker, port, a.attacker);
  t.teardown(() => staller.destroy());
  await staller.readOpen();
  staller.sendOpen({ as: 65000, holdTime: 3, id: '10.9.9.9' });
  await staller.nextOfType(MessageType.Keepalive);
  staller.sendKeepalive();
  staller.send(encodeMessage(MessageType.Update, Buffer.alloc(200)).subarray(0, 100));

  // Strangers, all at once.
  const strangers = await Promise.all(Array.from({ length: 60 }, (_, i) => new Promise<Socket>((resolve) => {
    const s = connect({ host: a.speaker, port, localAddress: a.stranger(i) });
    s.on('error', () => {});
    s.once('connect', () => { s.write('GET / HTTP/1.0\r\n\r\n'); resolve(s); });
  })));
  t.teardown(() => strangers.forEach((s) => s.destroy()));

  // Control junk, and a client that hangs up mid-request.
  const junk = await ControlLineClient.open(socket);
  junk.socket.write('not json\n{"command":"explode"}\n' + '{'.repeat(70_000));
  const half = await ControlLineClient.open(socket);
  half.socket.write('{"command":"routes","tar');
  half.socket.destroy();

  // The staller is dropped by its 3-second hold timer; meanwhile the good session must stay up.
  const n = await staller.notification(6000);
  t.deepEqual([n.code, n.subcode], [4, 0]);
  await until('the junk client cut off', () => junk.closed, 5000);
  t.true(junk.lines.length >= 2 && junk.lines.every((l) => JSON.parse(l).ok === false));

  const neighbors = await cli(['neighbors', '--json', '--socket', socket]);
  t.is(neighbors.code, 0, neighbors.stderr);
  const list = JSON.parse(neighbors.stdout) as { address: string; state: string; prefixes: { ipv4: number }; lastError: string | null }[];
  t.like(list.find((x) => x.address === a.good), { state: 'Established', prefixes: { ipv4: 1 } });
  t.regex(list.find((x) => x.address === a.attacker)!.lastError ?? '', /Hold Timer Expired/);
  const route = await cli(['routes', '--json', '--socket', socket, '198.51.100.7']);
  t.is(route.code, 0, route.stderr);
  t.like(JSON.parse(route.stdout), { prefix: '198.51.100.0/24', neighbor: a.good });

  // serve never calls process.exit: it ends when nothing of it is left running (no socket, no ref'd timer),
  // so a prompt exit after the attack shows nothing leaked.
  const stopping = Date.now();
  child.kill('SIGTERM');
  t.is(await exited, 0, stderr.slice(-2000));
  t.true(Date.now() - stopping < 5000, `exited ${Date.now() - stopping} ms after SIGTERM`);
  t.notRegex(stderr, /uncaught exception|"level":60/);
});

test('a log file that cannot be opened is a startup error, not a crash of the running daemon', async (t) => {
  const a = nextAddresses();
  const dir = tempDir(t);
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
neighbors: []
control: { socket: ${path.join(dir, 'control.sock')} }
log: { file: ${path.join(dir, 'no-such-dir', 'supersparrow.log')} }
`);
  const r = await cli(['serve', '--config', file]);
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot open the log file .*no-such-dir/);
  t.notRegex(r.stderr, /uncaught exception/);
});

test('a log file that fails on write (/dev/full) does not take the daemon down', async (t) => {
  if (!existsSync('/dev/full')) {
    t.log('skipped: /dev/full is not available on this system');
    t.pass();
    return;
  }
  const a = nextAddresses();
  const dir = tempDir(t);
  const socket = path.join(dir, 'control.sock');
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
neighbors:
  - { address: ${a.good}, remote-as: 65001, passive: true }
control: { socket: ${socket} }
log: { level: debug, file: /dev/full }
`);
  const child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  await until('the control socket', () => existsSync(socket), 10_000);
  await until('the write failure reported', () => /log file \/dev\/full failed/.test(stderr), 5000);
  const r = await cli(['neighbors', '--json', '--socket', socket]);
  t.is(r.code, 0, r.stderr);
  t.is(JSON.parse(r.stdout).length, 1);
  child.kill('SIGTERM');
  t.is(await exited, 0, stderr);
});
