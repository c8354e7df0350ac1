// Shared by the HTTP tests: a plain node:http client (one connection a request, from a chosen source address), the
// CLI, and an in-process daemon started from a YAML text.
import type { ExecutionContext } from 'ava';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../src/config/index.js';
import { startDaemon, type Daemon } from '../../src/daemon/index.js';
import { Afi } from '../../src/bgp/index.js';
import { run } from '../helpers/peers/index.js';
import { SUPERSPARROW_BIN } from '../helpers/peers/supersparrow.js';
import { attributes, memoryLogger, prefix4, ScriptedPeer, type LogRecord } from '../session/harness.js';


export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on its own connection; never rejects on an HTTP error status. */
export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; localAddress?: string; timeoutMs?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, localAddress: opts.localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error(`no answer from ${url} in ${opts.timeoutMs ?? 15_000} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Runs the CLI; resolves with its exit status and output. */
export function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [SUPERSPARROW_BIN, ...args], { allowFailure: true, timeoutMs: 30_000 });
}

/**
 * Connects the two routers of the HTTP tests' configs (x's from `peer`, y's from `stranger`) to the daemon and has
 * each announce its routes, then End-of-RIB for both families.
 */
export async function connectRouters(
  t: ExecutionContext,
  d: TestDaemon,
  a: { speaker: string; peer: string; stranger: string },
  routes: { x: [string, number[]][]; y: [string, number[]][] },
): Promise<{ px: ScriptedPeer; py: ScriptedPeer }> {
  const port = d.daemon.speaker.listenPort!;
  const px = await ScriptedPeer.connect(a.speaker, port, a.peer);
  t.teardown(() => px.destroy());
  await px.handshake({ as: 65751, id: '10.0.0.1' });
  const py = await ScriptedPeer.connect(a.speaker, port, a.stranger);
  t.teardown(() => py.destroy());
  await py.handshake({ as: 64750, id: '10.0.0.2' });
  for (const [prefix, path] of routes.x) px.announce([prefix4(prefix)], attributes(path));
  for (const [prefix, path] of routes.y) py.announce([prefix4(prefix)], attributes(path));
  for (const peer of [px, py]) {
    peer.endOfRib(Afi.IPv4);
    peer.endOfRib(Afi.IPv6);
  }
  return { px, py };
}

export interface TestDaemon {
  daemon: Daemon;
  dir: string;
  file: string;
  socket: string;
  records: LogRecord[];
  /** Rewrites the config file (then daemon.reload()). */
  write(yaml: string): void;
  /** http://ADDRESS:PORT of the daemon's first HTTP listener. */
  base(): string;
}

/** A daemon in this process from `yaml` (its control socket is added), stopped and cleaned up after the test. */
export async function daemonFrom(t: ExecutionContext, yaml: string): Promise<TestDaemon> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-http-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.yaml');
  const socket = path.join(dir, 'control.sock');
  const write = (text: string) => writeFileSync(file, `${text}\ncontrol: { socket: ${socket} }\n`);
  write(yaml);
  const { log, records } = memoryLogger();
  const daemon = await startDaemon(loadConfigFile(file), socket, log);
  t.teardown(() => daemon.stop());
  const base = () => {
    const b = daemon.http!.bound[0]!;
    return `http://${b.address.includes(':') ? `[${b.address}]` : b.address}:${b.port}`;
  };
  return { daemon, dir, file, socket, records, write, base };
}
