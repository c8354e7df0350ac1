// Shared by the HTTP tests: a plain node:http client (one connection a request, from a chosen source address), the
// CLI, and an in-process daemon started from a YAML text.
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../../src/config/index.js';
import { startDaemon, type Daemon } from '../../src/daemon/index.js';
import { memoryLogger, type LogRecord } from '../session/harness.js';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/supersparrow.js');

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
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 99, stdout, stderr });
    });
  });
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
