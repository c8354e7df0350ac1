import test, { type ExecutionContext } from 'ava';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { HealthCheck } from '../../src/daemon/health.js';
import type { PopCheckConfig } from '../../src/proximity/index.js';

// Loopback only, ports from listen(0). The machine may be busy: probes every 50 ms, but no assertion on timing;
// conditions are awaited with a generous deadline and the tests assert counts and transitions.

const DEADLINE_MS = 10_000;

async function until<T>(what: string, pred: () => T | undefined | null | false, timeoutMs = DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function checkSpec(over: Partial<PopCheckConfig> & Pick<PopCheckConfig, 'kind' | 'port'>): PopCheckConfig {
  return { address: '127.0.0.1', path: null, host: null, intervalMs: 50, timeoutMs: 2000, rise: 2, fall: 3, ...over };
}

/** A check whose listener calls are recorded with the state the listener saw. */
function recordedCheck(t: ExecutionContext, spec: PopCheckConfig) {
  const calls: { up: boolean; reason: string; successes: number; failures: number }[] = [];
  const check: HealthCheck = new HealthCheck(spec, (up, reason) => {
    const s = check.state;
    calls.push({ up, reason, successes: s.successes, failures: s.failures });
  });
  t.teardown(() => check.stop());
  return { check, calls };
}

/** A TCP listener that tracks its connections, so that closing it closes them too. */
class TcpListener {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  accepted = 0;
  closedByPeer = 0;

  private constructor() {
    this.server = createTcpServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.resume(); // read and drop what comes, or the peer's FIN would never surface as 'end'/'close'
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.closedByPeer++;
      });
      // Never writes: for an http check this server accepts and never answers.
    });
  }

  static async open(t: ExecutionContext, host = '127.0.0.1', port = 0): Promise<TcpListener> {
    const l = new TcpListener();
    await l.listen(host, port);
    t.teardown(() => l.close());
    return l;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
  }
}

/** An HTTP server answering `status`, recording the Host header and path of each request. */
async function httpServer(t: ExecutionContext, host = '127.0.0.1') {
  const seen: { host: string | undefined; path: string | undefined; agent: string | undefined }[] = [];
  const ctl = { status: 200, seen, port: 0 };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ host: req.headers.host, path: req.url, agent: req.headers['user-agent'] });
    res.writeHead(ctl.status, { 'content-type': 'text/plain' });
    res.end(ctl.status === 200 ? 'healthy\n' : 'draining\n');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  ctl.port = (server.address() as AddressInfo).port;
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return ctl;
}

test('a fresh check is up and unprobed', (t) => {
  const { check, calls } = recordedCheck(t, checkSpec({ kind: 'tcp', port: 1 }));
  t.deepEqual(check.state, { up: true, reason: 'not probed yet', successes: 0, failures: 0, lastProbeAt: 0, lastProbeMs: -1 });
  t.is(calls.length, 0);
});

test('tcp: stays up while the port answers, falls after `fall` refusals, rises after `rise` successes', async (t) => {
  const listener = await TcpListener.open(t);
  const port = listener.port;
  const { check, calls } = recordedCheck(t, checkSpec({ kind: 'tcp', port, rise: 2, fall: 3 }));
  check.start();
  await until('3 successful probes', () => check.state.successes >= 3);
  t.like(check.state, { up: true, reason: 'ok', failures: 0 });
  t.true(check.state.lastProbeAt > 0);
  t.true(check.state.lastProbeMs >= 0);
  t.is(calls.length, 0, 'no transition while up');

  await listener.close();
  await until('down', () => !check.state.up);
  t.is(calls.length, 1);
  t.like(calls[0], { up: false, failures: 3 }, 'down exactly when the third consecutive failure came in');
  t.regex(calls[0]!.reason, /^tcp 127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)$/);

  await listener.listen('127.0.0.1', port);
  await until('up again', () => check.state.up);
  t.is(calls.length, 2);
  t.deepEqual(calls[1], { up: true, reason: 'ok', successes: 2, failures: 0 }, 'up exactly at the second success');
  await until('a probe more', () => check.state.successes >= 3);
  t.is(calls.length, 2, 'no repeated callback while up');
});

test('one failed probe does not flip a check with fall > 1; a success resets the failures', async (t) => {
  const server = await httpServer(t);
  const { check, calls } = recordedCheck(t, checkSpec({ kind: 'http', port: server.port, path: '/health', rise: 2, fall: 3 }));
  const failed = { ok: false, reason: `http 127.0.0.1:${server.port}/health: status 503` };
  const ok = { ok: true, reason: 'ok' };

  server.status = 503;
  t.deepEqual(await check.probeOnce(), failed);
  t.deepEqual(await check.probeOnce(), failed);
  t.like(check.state, { up: true, failures: 2, reason: failed.reason }, 'two failures of three: still up');
  server.status = 200;
  t.deepEqual(await check.probeOnce(), ok);
  t.like(check.state, { up: true, failures: 0, successes: 1 }, 'a success resets the failures');

  server.status = 503;
  await check.probeOnce();
  await check.probeOnce();
  t.is(calls.length, 0);
  await check.probeOnce();
  t.like(check.state, { up: false, failures: 3 });
  t.deepEqual(calls, [{ up: false, reason: failed.reason, successes: 0, failures: 3 }]);

  await check.probeOnce();
  t.is(calls.length, 1, 'no repeated callback while down');
  server.status = 200;
  await check.probeOnce();
  t.like(check.state, { up: false, successes: 1 }, 'one success of two: still down');
  server.status = 503;
  await check.probeOnce();
  t.like(check.state, { up: false, successes: 0, failures: 1 }, 'a failure resets the successes');
  server.status = 200;
  await check.probeOnce();
  await check.probeOnce();
  t.like(check.state, { up: true, successes: 2, reason: 'ok' });
  t.deepEqual(calls.map((c) => [c.up, c.reason]), [[false, failed.reason], [true, 'ok']]);
});

test('fall 1 and rise 1 flip on every change', async (t) => {
  const server = await httpServer(t);
  const { check, calls } = recordedCheck(t, checkSpec({ kind: 'http', port: server.port, rise: 1, fall: 1 }));
  server.status = 500;
  await check.probeOnce();
  server.status = 204;
  await check.probeOnce();
  t.deepEqual(calls.map((c) => [c.up, c.reason]), [[false, `http 127.0.0.1:${server.port}/: status 500`], [true, 'ok']]);
});

test('http: sends the configured Host and path, and falls on 503 after `fall` probes', async (t) => {
  const server = await httpServer(t);
  const spec = checkSpec({ kind: 'http', port: server.port, path: '/health?from=supersparrow', host: 'pop1.example.net', rise: 2, fall: 3 });
  const { check, calls } = recordedCheck(t, spec);
  check.start();
  await until('3 successful probes', () => check.state.successes >= 3);
  t.like(check.state, { up: true, reason: 'ok' });
  t.deepEqual(server.seen[0], { host: 'pop1.example.net', path: '/health?from=supersparrow', agent: 'supersparrow-health' });

  server.status = 503;
  await until('down', () => !check.state.up);
  const reason = `http 127.0.0.1:${server.port}/health?from=supersparrow: status 503`;
  t.deepEqual(calls, [{ up: false, reason, successes: 0, failures: 3 }]);
  t.is(check.state.reason, reason);
  t.true(server.seen.every((r) => r.host === 'pop1.example.net' && r.path === '/health?from=supersparrow'));
});

test('http: without a configured host, sends the address and port as Host', async (t) => {
  const server = await httpServer(t);
  const { check } = recordedCheck(t, checkSpec({ kind: 'http', port: server.port }));
  t.deepEqual(await check.probeOnce(), { ok: true, reason: 'ok' });
  t.deepEqual(server.seen, [{ host: `127.0.0.1:${server.port}`, path: '/', agent: 'supersparrow-health' }]);
});

test('http: a server that accepts but never answers fails with a timeout, and its connection is closed', async (t) => {
  const listener = await TcpListener.open(t);
  const { check } = recordedCheck(t, checkSpec({ kind: 'http', port: listener.port, timeoutMs: 200 }));
  t.deepEqual(await check.probeOnce(), { ok: false, reason: 'timeout after 200 ms' });
  t.like(check.state, { up: true, failures: 1, reason: 'timeout after 200 ms' });
  t.is(listener.accepted, 1);
  await until('the server sees the connection closed', () => listener.closedByPeer === 1);
});

test('IPv6: tcp and http checks of ::1', async (t) => {
  let listener: TcpListener;
  try {
    listener = await TcpListener.open(t, '::1');
  } catch (err) {
    t.log(`skipped: cannot listen on ::1 (${(err as Error).message})`);
    t.pass();
    return;
  }
  const port = listener.port;
  const tcp = recordedCheck(t, checkSpec({ kind: 'tcp', address: '::1', port }));
  t.deepEqual(await tcp.check.probeOnce(), { ok: true, reason: 'ok' });
  await until('the server saw the probe', () => listener.accepted === 1);
  await listener.close();
  t.deepEqual(await tcp.check.probeOnce(), { ok: false, reason: `tcp [::1]:${port}: connection refused (ECONNREFUSED)` });

  const server = await httpServer(t, '::1');
  const http = recordedCheck(t, checkSpec({ kind: 'http', address: '::1', port: server.port, path: '/up' }));
  t.deepEqual(await http.check.probeOnce(), { ok: true, reason: 'ok' });
  t.deepEqual(server.seen, [{ host: `[::1]:${server.port}`, path: '/up', agent: 'supersparrow-health' }]);
  server.status = 503;
  t.deepEqual(await http.check.probeOnce(), { ok: false, reason: `http [::1]:${server.port}/up: status 503` });
});

test('stop() destroys the probe in flight, which is neither counted nor reported; stop is idempotent', async (t) => {
  const listener = await TcpListener.open(t);
  // fall 1: any counted failure would call the listener at once.
  const { check, calls } = recordedCheck(t, checkSpec({ kind: 'http', port: listener.port, timeoutMs: 60_000, rise: 1, fall: 1 }));
  check.start();
  const joined = check.probeOnce(); // joins the probe start() began: probes never overlap
  await until('the probe connected', () => listener.accepted === 1);
  check.stop();
  check.stop();
  await until('the server sees the connection closed', () => listener.closedByPeer === 1);
  t.deepEqual(await joined, { ok: false, reason: 'stopped' });
  await sleep(300); // several intervals: nothing more may happen
  t.is(listener.accepted, 1, 'no probe after stop');
  t.is(calls.length, 0);
  t.deepEqual(check.state, { up: true, reason: 'not probed yet', successes: 0, failures: 0, lastProbeAt: 0, lastProbeMs: -1 });
});

test('stop() on a failing check: no callback afterwards, even from a probe that was in flight', async (t) => {
  const listener = await TcpListener.open(t);
  const port = listener.port;
  await listener.close(); // refused from now on
  const { check, calls } = recordedCheck(t, checkSpec({ kind: 'tcp', port, rise: 1, fall: 2 }));
  check.start();
  await until('one failure', () => check.state.failures >= 1);
  check.stop(); // may land while the next probe is in flight
  const callsAtStop = calls.length;
  const stateAtStop = check.state;
  await sleep(300); // several intervals
  t.is(calls.length, callsAtStop);
  t.deepEqual(check.state, stateAtStop, 'no probe counted after stop');
});

// Serial: runs before the concurrent tests, so nothing else in this file holds sockets or timers meanwhile.
test.serial('leaves no socket or timer behind after stop()', async (t) => {
  const count = () => {
    const n = { sockets: 0, timers: 0 };
    for (const r of process.getActiveResourcesInfo()) {
      if (r === 'TCPSocketWrap') n.sockets++;
      else if (r === 'Timeout') n.timers++;
    }
    return n;
  };
  const before = count();
  const server = await httpServer(t);
  const listener = await TcpListener.open(t);
  const silent = await TcpListener.open(t);
  const checks = [
    new HealthCheck(checkSpec({ kind: 'tcp', port: listener.port }), () => {}),
    new HealthCheck(checkSpec({ kind: 'http', port: server.port }), () => {}),
    new HealthCheck(checkSpec({ kind: 'http', port: silent.port, timeoutMs: 60_000 }), () => {}), // stays in flight
  ];
  for (const c of checks) c.start();
  await until('probes done', () => checks[0]!.state.successes >= 3 && checks[1]!.state.successes >= 3 && silent.accepted === 1);
  for (const c of checks) c.stop();
  await listener.close();
  await silent.close();
  await until('sockets and timers released', () => {
    const n = count();
    return n.sockets <= before.sockets && n.timers <= before.timers;
  });
  t.pass();
});
