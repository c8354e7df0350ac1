import { accessSync, constants, existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { ControlRequest, ControlResponse } from '../control/index.js';

/**
 * Where the daemon's control socket is by default: /run/supersparrow.sock when we may write /run (root),
 * /tmp/supersparrow.sock otherwise. SUPERSPARROW_SOCKET overrides; the config's control.socket wins for serve.
 */
export function defaultSocketPath(): string {
  if (process.env.SUPERSPARROW_SOCKET) return process.env.SUPERSPARROW_SOCKET;
  try {
    if (process.getuid?.() === 0) {
      accessSync('/run', constants.W_OK);
      return '/run/supersparrow.sock';
    }
  } catch {
    // /run not writable
  }
  return '/tmp/supersparrow.sock';
}

/** The socket a client command talks to: --socket, else the default path, else whichever default exists. */
export function clientSocketPath(option: string | undefined): string {
  if (option) return option;
  const preferred = defaultSocketPath();
  if (existsSync(preferred)) return preferred;
  for (const p of ['/run/supersparrow.sock', '/tmp/supersparrow.sock']) if (existsSync(p)) return p;
  return preferred;
}

/** Sends one request over the control socket and resolves with its result; rejects with the daemon's error. */
export function controlRequest<T>(socketPath: string, request: ControlRequest, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${socketPath} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        const response = JSON.parse(buffered.slice(0, nl)) as ControlResponse<T>;
        if (response.ok) resolve(response.result);
        else reject(new Error(response.error));
      } catch (err) {
        reject(new Error(`bad answer from the daemon: ${(err as Error).message}`));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? ' (is `supersparrow serve` running? see --socket)' : '';
      reject(new Error(`cannot reach the daemon at ${socketPath}: ${err.message}${hint}`));
    });
  });
}

/**
 * One connection to the control socket carrying many requests, pipelined: each request resolves with its own
 * answer, in the order sent (the daemon answers in order). For batch mode, which must not pay a connection per
 * line. After an error every pending request rejects and the connection is done (open a new one).
 */
export class ControlConnection {
  private buffered = '';
  private readonly waiting: { resolve: (value: unknown) => void; reject: (err: Error) => void }[] = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: import('node:net').Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.read(chunk));
    socket.on('error', (err) => this.fail(new Error(`control socket: ${err.message}`)));
    socket.on('close', () => this.fail(new Error('the daemon closed the control socket')));
  }

  static open(socketPath: string): Promise<ControlConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new ControlConnection(socket));
      });
      const onError = (err: NodeJS.ErrnoException) => {
        const hint = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? ' (is `supersparrow serve` running? see --socket)' : '';
        reject(new Error(`cannot reach the daemon at ${socketPath}: ${err.message}${hint}`));
      };
      socket.once('error', onError);
    });
  }

  get broken(): boolean {
    return this.failure !== null;
  }

  request<T>(request: ControlRequest): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ resolve: resolve as (value: unknown) => void, reject });
      this.socket.write(JSON.stringify(request) + '\n');
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private read(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const w = this.waiting.shift();
      if (!w) continue;
      try {
        const response = JSON.parse(line) as ControlResponse;
        if (response.ok) w.resolve(response.result);
        else w.reject(new Error(response.error));
      } catch (err) {
        w.reject(new Error(`bad answer from the daemon: ${(err as Error).message}`));
      }
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}
