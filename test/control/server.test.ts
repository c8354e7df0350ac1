// The control socket's access and limits: created owner-only with no window where it is wider (whatever the
// daemon's umask), widened only by `control.mode`; a cap on clients (the extra one is told why and closed); a client
// that starts a line and stalls is closed, while an idle client between requests is kept (Apache's batch process).
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { ControlServer, type ControlHandler, type ControlServerOptions } from '../../src/control/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { memoryLogger, sleep, until } from '../session/harness.js';
import { ControlLineClient } from '../helpers/control-line-client.js';

const isRoot = process.getuid?.() === 0;

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-ctlsrv-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const answerPing: ControlHandler = (request) =>
  (request.command as string) === 'slow' ? sleep(2_500).then(() => 'slow done') : `pong ${String((request as { n?: unknown }).n ?? '')}`;

async function startServer(t: import('ava').ExecutionContext, options: ControlServerOptions = {}): Promise<ControlServer> {
  const socketPath = path.join(tempDir(t), 'control.sock');
  const server = new ControlServer(socketPath, answerPing, memoryLogger().log, options);
  await server.start();
  t.teardown(() => server.stop());
  return server;
}

/** A control client whose socket the test tears down. */
async function openClient(t: import('ava').ExecutionContext, socketPath: string): Promise<ControlLineClient> {
  const c = await ControlLineClient.open(socketPath);
  t.teardown(() => c.socket.destroy());
  return c;
}

test.serial('the socket is owner-only from the start even when the daemon runs with umask 0', async (t) => {
  // With umask 0, bind(2) alone would create the file 0777: only the server's own umask keeps it 0600.
  const before = process.umask(0);
  t.teardown(() => { process.umask(before); });
  const server = await startServer(t);
  t.is(statSync(server.path).mode & 0o777, 0o600);
  t.is(process.umask(), 0, 'the process umask is given back after the bind');
});

test('control.mode widens the socket for the group; the daemon applies it', async (t) => {
  const dir = tempDir(t);
  const socketPath = path.join(dir, 'control.sock');
  const config = parseConfig(`
bgp: { local-as: 65010, router-id: 127.0.109.1 }
neighbors: []
control: { socket: ${socketPath}, mode: "0660" }
`);
  const daemon = await startDaemon(config, socketPath, memoryLogger().log);
  t.teardown(() => daemon.stop());
  t.is(statSync(socketPath).mode & 0o777, 0o660);
});

/** Connects as uid nobody (with the given gid and no other groups); answers 'connected' or the error code. */
function connectAs(socketPath: string, gid: number): Promise<string> {
  const script = `const s=require('node:net').connect(${JSON.stringify(socketPath)});` +
    `s.on('connect',()=>{process.stdout.write('connected');s.destroy()});s.on('error',(e)=>process.stdout.write(e.code))`;
  return new Promise((resolve, reject) => {
    execFile('setpriv', ['--reuid=65534', `--regid=${gid}`, '--clear-groups', process.execPath, '-e', script], { timeout: 20_000 }, (err, stdout) => {
      if (err && stdout === '') reject(err);
      else resolve(stdout.trim());
    });
  });
}

(isRoot ? test : test.skip)('another user cannot connect to the owner-only socket; a group member can when the mode is 0660', async (t) => {
  const privateServer = await startServer(t);
  const groupServer = await startServer(t, { mode: 0o660 });
  // Let anyone reach the folders: only the socket's own mode decides.
  chmodSync(path.dirname(privateServer.path), 0o755);
  chmodSync(path.dirname(groupServer.path), 0o755);
  const socketGid = statSync(groupServer.path).gid;
  const otherGid = socketGid === 65534 ? 1 : 65534;
  t.is(await connectAs(privateServer.path, socketGid), 'EACCES', 'owner-only: the group may not connect');
  t.is(await connectAs(groupServer.path, otherGid), 'EACCES', '0660: others may not connect');
  t.is(await connectAs(groupServer.path, socketGid), 'connected', '0660: the group may connect');
});

test('the client cap: the extra client is told why and closed; the others keep answering; a freed slot is reused', async (t) => {
  const server = await startServer(t, { maxClients: 4 });
  const clients = await Promise.all([0, 1, 2, 3].map(() => openClient(t, server.path)));
  await until('4 clients', () => server.clientCount === 4);
  const extra = await openClient(t, server.path);
  const refusal = await extra.answer();
  t.false(refusal.ok);
  t.regex(refusal.error ?? '', /too many control clients \(4\)/);
  await until('the extra client closed', () => extra.closed, 10_000);
  t.is(server.clientCount, 4);
  t.is(server.refusedClients, 1);
  for (const [i, c] of clients.entries()) {
    c.socket.write(JSON.stringify({ command: 'ping', n: i }) + '\n');
    t.deepEqual(await c.answer(), { ok: true, result: `pong ${i}` });
  }
  clients[0]!.socket.destroy();
  await until('a slot freed', () => server.clientCount === 3);
  const next = await openClient(t, server.path);
  next.socket.write('{"command":"ping","n":9}\n');
  t.deepEqual(await next.answer(), { ok: true, result: 'pong 9' });
  t.is(server.refusedClients, 1);
});

test('a client that starts a line and stalls is closed with an error; one that drips bytes is not kept alive by them', async (t) => {
  const server = await startServer(t, { lineTimeoutSeconds: 1 });
  const stalled = await openClient(t, server.path);
  stalled.socket.write('{"command":');
  const dripping = await openClient(t, server.path);
  let dripped = 0;
  const drip = setInterval(() => { if (!dripping.closed) dripping.socket.write('x'); dripped++; }, 200);
  t.teardown(() => clearInterval(drip));
  dripping.socket.write('{');
  const started = Date.now();
  const answer = await stalled.answer(10_000);
  t.false(answer.ok);
  t.regex(answer.error ?? '', /not finished within 1 s/);
  await until('the stalled client closed', () => stalled.closed, 10_000);
  await until('the dripping client closed', () => dripping.closed, 10_000);
  clearInterval(drip);
  t.true(Date.now() - started < 9_000, 'closed about when the timeout says');
  t.true(dripped >= 3, 'it was still sending when it was closed');
  t.is(server.stalledClients, 2);
});

test('an idle client between requests is kept past the line timeout, and so is one whose earlier request is slow', async (t) => {
  const server = await startServer(t, { lineTimeoutSeconds: 1 });
  const idle = await openClient(t, server.path);
  idle.socket.write('{"command":"ping","n":1}\n');
  t.deepEqual(await idle.answer(), { ok: true, result: 'pong 1' });
  idle.socket.write('\n'); // a bare newline is no half line
  await sleep(2_500);
  t.false(idle.closed);
  idle.socket.write('{"command":"ping","n":2}\n');
  t.deepEqual(await idle.answer(), { ok: true, result: 'pong 2' });

  // A slow request, then half of the next line: while the first is still being answered, the half line is not the
  // client's stall (a pipelining client may be paused by us).
  const busy = await openClient(t, server.path);
  busy.socket.write('{"command":"slow"}\n{"command":"ping",');
  await sleep(1_800);
  busy.socket.write('"n":3}\n');
  t.deepEqual(await busy.answer(), { ok: true, result: 'slow done' });
  t.deepEqual(await busy.answer(), { ok: true, result: 'pong 3' });
  t.false(busy.closed);
  t.is(server.stalledClients, 0);
});

test('control config: mode, max-clients and line-timeout, with defaults and clear errors', (t) => {
  const base = 'bgp: { local-as: 65010, router-id: 127.0.109.1 }\nneighbors: []\n';
  const defaults = parseConfig(base);
  t.deepEqual(defaults.control, { socket: null, mode: 0o600, maxClients: 64, lineTimeout: 10 });
  const set = parseConfig(base + 'control: { socket: /run/x.sock, mode: "0660", max-clients: 8, line-timeout: 30 }\n');
  t.deepEqual(set.control, { socket: '/run/x.sock', mode: 0o660, maxClients: 8, lineTimeout: 30 });
  const bare = t.throws(() => parseConfig(base + 'control: { mode: 0660 }\n'), { instanceOf: ConfigError });
  t.regex(bare.message, /control\.mode.*quoted octal/);
  const exec = t.throws(() => parseConfig(base + 'control: { mode: "0770" }\n'), { instanceOf: ConfigError });
  t.regex(exec.message, /control\.mode.*nothing execute/);
  const noOwner = t.throws(() => parseConfig(base + 'control: { mode: "0066" }\n'), { instanceOf: ConfigError });
  t.regex(noOwner.message, /control\.mode/);
  t.throws(() => parseConfig(base + 'control: { max-clients: 0 }\n'), { instanceOf: ConfigError, message: /control\.max-clients/ });
  t.throws(() => parseConfig(base + 'control: { line-timeout: 0 }\n'), { instanceOf: ConfigError, message: /control\.line-timeout/ });
});
