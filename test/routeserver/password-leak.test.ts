// The route-server password never leaves the process: a daemon at log level trace using a real FRR console
// (password-protected, its MOTD printing the password), one configured with a wrong password, a reload with a broken
// file, `serve --check` on broken files, and the original invocation with --verbose --debug. Every log line, stdout,
// stderr, status answer and error message is searched for the password.
import test, { type ExecutionContext } from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FrrRouteServer, loopbackAddress, missingReason, peerTest, Supersparrow, waitFor } from '../helpers/peers/index.js';
import type { SupersparrowPop } from '../helpers/peers/supersparrow.js';

/** Loopback blocks of this file: 109 the route server, 110 the daemons. */
const RS_BLOCK = 109;
const SS_BLOCK = 110;
const OUR_AS = 65109;
const PASSWORD = 'Leaky-Pw-4417';
const WRONG_PASSWORD = 'Wrong-Pw-5520';
const POPS: Record<string, SupersparrowPop> = {
  x: { as: 65111, ipv4: '192.0.2.11' },
  y: { as: 65112, ipv4: '192.0.2.22' },
};

const missing = (await Promise.all((['frr'] as const).map((n) => missingReason(n)))).filter((m): m is string => m !== null);

let shared: FrrRouteServer | null = null;
async function routeServer(): Promise<FrrRouteServer> {
  if (shared) return shared;
  // The console prints the password itself, before it asks for it: what it says is in our errors and status.
  shared = new FrrRouteServer({ block: RS_BLOCK, as: OUR_AS, password: PASSWORD, hostname: 'leak', motd: `the vty password is ${PASSWORD}` });
  await shared.start();
  return shared;
}
test.after.always(async () => {
  await shared?.stop().catch(() => undefined);
});

function daemonWith(rs: FrrRouteServer, password: string): Supersparrow {
  return new Supersparrow({
    localAs: OUR_AS,
    address: loopbackAddress(SS_BLOCK),
    listenPort: 0,
    neighbors: [],
    logLevel: 'trace',
    pops: POPS,
    proximity: { rule: 'classic', self: 'x' },
    routeServer: { type: 'frr', host: rs.address, port: rs.vtyPort, password, timeout: 5, 'cache-timeout': 60 },
  });
}

interface RouteServerStatus { connected: boolean; commands: number; errors: number; lastError?: string | null }

async function status(ss: Supersparrow): Promise<{ parsed: RouteServerStatus; text: string }> {
  const r = await ss.cli(['route-server', '--json']);
  return { parsed: JSON.parse(r.stdout) as RouteServerStatus, text: r.stdout + r.stderr };
}

function assertClean(t: ExecutionContext, what: string, text: string, secrets = [PASSWORD, WRONG_PASSWORD]): void {
  for (const secret of secrets) t.false(text.includes(secret), `${what} holds the password:\n${text.split('\n').filter((l) => l.includes(secret)).slice(0, 5).join('\n')}`);
}

peerTest(missing, 'the password is in no log line, status or error of a daemon at trace level, right or wrong, nor after a broken reload', async (t) => {
  const rs = await routeServer();
  const good = daemonWith(rs, PASSWORD);
  const bad = daemonWith(rs, WRONG_PASSWORD);
  t.teardown(async () => {
    await Promise.allSettled([good.stop(), bad.stop()]);
  });
  await good.start();
  await bad.start();

  // The right password: the console answers (a query is a console command), the status says connected.
  await waitFor('the console to answer', async () => {
    await good.query(['10.109.1.1', '2001:db8:109::1']);
    const s = await status(good);
    if (s.parsed.connected && s.parsed.commands >= 1) return true;
    throw new Error(s.text);
  }, 30_000, 300);
  const goodLog = await waitFor('the connection in the log', async () => {
    const log = await good.log();
    if (/connected \(frr/.test(log)) return log;
    throw new Error('not yet');
  }, 10_000, 200);

  // The wrong one: an auth error, counted and logged, and self is answered.
  await waitFor('the rejection', async () => {
    const answers = await bad.query(['10.109.1.1']);
    const s = await status(bad);
    if (s.parsed.errors >= 1 && answers[0]!.pop === 'x') return true;
    throw new Error(s.text);
  }, 30_000, 300);
  const badLog = await waitFor('the rejection in the log', async () => {
    const log = await bad.log();
    if (/rejected the password/.test(log)) return log;
    throw new Error('not yet');
  }, 10_000, 200);

  // A reload with a broken file (a colon forgotten: the password becomes part of a key) is refused and logged.
  const file = good.configFile;
  const original = await readFile(file, 'utf8');
  await writeFile(file, original.replace(/^(\s*)password: .*$/m, `$1password ${PASSWORD}:`));
  t.not(await readFile(file, 'utf8'), original, 'the file was broken');
  good.signal('SIGHUP');
  const reloadLog = await waitFor('the refused reload in the log', async () => {
    const log = await good.log();
    if (/unknown key/.test(log)) return log;
    throw new Error('not yet');
  }, 15_000, 200);

  t.regex(goodLog, /route server .*connected \(frr/, 'the log speaks of the console');
  t.regex(reloadLog, /route-server\.\(a key not shown/, 'the refused reload is located');
  assertClean(t, 'the log of the daemon with the right password', reloadLog);
  assertClean(t, 'the log of the daemon with the wrong password', badLog);
  assertClean(t, 'the status of the daemon with the right password', (await status(good)).text);
  assertClean(t, 'the status of the daemon with the wrong password', (await status(bad)).text);
  t.regex((await status(bad)).text, /password/, 'the status says what went wrong');
});

peerTest(missing, 'the original invocation with --verbose --debug shows the exchange and errors, never the password', async (t) => {
  const rs = await routeServer();
  const ss = daemonWith(rs, PASSWORD); // only for exec(): no daemon is started
  const peers = ['--peer', '65111=192.0.2.11,65112=192.0.2.22', '--self', '192.0.2.11'];
  const consoleArgs = (password: string) => ['--route_server', 'frr', '--host', rs.address, '--port', String(rs.vtyPort), '--password', password];
  const right = await ss.exec([...peers, ...consoleArgs(PASSWORD), '--verbose', '--debug', '--source', '10.109.1.1']);
  t.is(right.code, 0, right.stderr);
  t.regex(right.stdout, /Password:/, 'the transcript is shown');
  t.regex(right.stdout + right.stderr, /\*{8}/, 'the password, and the console printing it, shown masked');
  assertClean(t, 'stdout and stderr with the right password', right.stdout + right.stderr);
  const wrong = await ss.exec([...peers, ...consoleArgs(WRONG_PASSWORD), '--verbose', '--debug', '--source', '10.109.1.1']);
  t.regex(wrong.stderr, /rejected the password/);
  // (The console's MOTD prints its real password here: that is the console's doing; ours is the wrong one.)
  assertClean(t, 'stdout and stderr with a wrong password', wrong.stdout + wrong.stderr, [WRONG_PASSWORD]);
});

test('serve --check on broken files names the problem, never the password', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-pwleak-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = `bgp: { local-as: 65109, router-id: ${loopbackAddress(SS_BLOCK)} }\nneighbors: []\n`;
  const broken = [
    `route-server: { type: frr, password ${PASSWORD} }\n`, // a colon forgotten in a flow mapping
    `route-server: { type: frr, ${PASSWORD} }\n`, // the key forgotten
    `route-server: { type: frr, password=${PASSWORD} }\n`,
    `route-server:\n  type: frr\n  password:${PASSWORD}\n`,
    `route-server:\n  type: frr\n  password: "${PASSWORD}\n`,
    `route-server:\n  type: frr\n  password: [${PASSWORD}]\n`,
    `route-server:\n  type: frr\n  password: { ${PASSWORD}: 1 }\n`,
    `route-server:\n  type: frr\n   password: ${PASSWORD}\n`,
    `route-server:\n  type: frr\n  password: ${PASSWORD}: x\n`,
    `route-server:\n  type: frr\n  password: ${PASSWORD}\n  password: ${PASSWORD}\n`,
    `route-server:\n  type: frr\n  password: ${PASSWORD}\n  port: 70000\n  host: [\n`,
    `route-server:\n  type: frr\n  password: ${PASSWORD}\n  username: *${PASSWORD}\n`,
    `route-server:\n  type: frr\n  ${PASSWORD}\n`,
  ];
  const ss = new Supersparrow({ localAs: OUR_AS, address: loopbackAddress(SS_BLOCK), listenPort: 0, neighbors: [] });
  for (const [i, text] of broken.entries()) {
    const file = path.join(dir, `broken-${i}.yaml`);
    await writeFile(file, base + text);
    const r = await ss.exec(['serve', '--config', file, '--check']);
    t.not(r.code, 0, `case ${i} is refused: ${JSON.stringify(text)}`);
    t.regex(r.stderr, new RegExp(`broken-${i}\\.yaml:\\d+:\\d+`), `case ${i} is located`);
    assertClean(t, `case ${i} ${JSON.stringify(text)}`, r.stdout + r.stderr, [PASSWORD]);
  }
});
