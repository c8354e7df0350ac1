import { chmodSync, existsSync, statSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import type Logger from 'bunyan';
import { DEFAULT_CONTROL_LINE_TIMEOUT, DEFAULT_CONTROL_MAX_CLIENTS, DEFAULT_CONTROL_MODE } from '../config/index.js';
import type { ControlRequest, ControlResponse } from './protocol.js';

export type ControlHandler = (request: ControlRequest) => Promise<unknown> | unknown;

/** Longest request line accepted; anything longer is a client bug. */
const MAX_LINE = 64 * 1024;
/** Requests read ahead of their answers before we stop reading from the client (pipelining is bounded). */
const MAX_QUEUED_REQUESTS = 16;
/** Unsent answer bytes before we wait for the client to read. */
const MAX_OUTPUT_BACKLOG = 1024 * 1024;
/**
 * Connections the kernel queues before we accept them. A unix socket refuses a connect at once (EAGAIN) when the
 * queue is full, and closed clients stay queued until accepted: at node's default (511), 16 clients connecting and
 * closing in a loop were refused ~8% of the time. The client cap still bounds what is accepted.
 */
const LISTEN_BACKLOG = 2048;
/** How long a client cut off for a too-long line gets to read the error before the socket goes. */
const CLOSE_LINGER_MS = 1_000;
/** Refusals for the client cap are logged once per this interval, with their count: a flood must not flood the log. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export interface ControlServerOptions {
  /** Permissions of the socket file (connecting needs write permission): 0o600 unless the operator widens it. */
  mode?: number;
  /** Clients connected at once; one more gets an error line and is closed. */
  maxClients?: number;
  /**
   * Seconds a request line may take from its first byte to its newline. An idle client (nothing sent since its last
   * answer) has no limit: Apache's batch process stays connected for days.
   */
  lineTimeoutSeconds?: number;
}

/** Thrown when the socket cannot be created with the permissions asked for. */
export class ControlSocketError extends Error {
  override readonly name = 'ControlSocketError';
}

/**
 * The daemon's control socket: newline-delimited JSON requests, one response line each, in order.
 */
export class ControlServer {
  private server: Server | null = null;
  private readonly clients = new Set<Socket>();
  private queuedRequests = 0;
  private readonly mode: number;
  private readonly maxClients: number;
  private readonly lineTimeoutMs: number;
  /** Connections refused for the client cap, and clients cut off for a stalled partial line (counts for tests). */
  refusedClients = 0;
  stalledClients = 0;
  private refusalsLogged = 0;
  private refusalLoggedAt = -Infinity;

  constructor(
    readonly path: string,
    private readonly handle: ControlHandler,
    private readonly log: Logger,
    options: ControlServerOptions = {},
  ) {
    this.mode = options.mode ?? DEFAULT_CONTROL_MODE;
    this.maxClients = options.maxClients ?? DEFAULT_CONTROL_MAX_CLIENTS;
    this.lineTimeoutMs = (options.lineTimeoutSeconds ?? DEFAULT_CONTROL_LINE_TIMEOUT) * 1000;
  }

  async start(): Promise<void> {
    if (existsSync(this.path)) {
      if (await socketAnswers(this.path)) throw new Error(`control socket ${this.path} is in use by a running daemon`);
      unlinkSync(this.path); // left behind by a daemon that did not exit cleanly
    }
    const server = createServer((socket) => this.client(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // bind(2) creates the socket file with 0777 & ~umask, and it runs synchronously inside listen() (net's pipe
      // path binds before listen returns): with the umask at 0177 for that call, the file is owner-only from its
      // first instant, whatever umask the daemon was started with. No client can connect before the chmod below
      // widens it to what the operator configured.
      // (A worker thread may not set the umask; there the chmod below is all, with the umask's window.)
      const umask = isMainThread ? process.umask(0o177) : null;
      try {
        server.listen({ path: this.path, backlog: LISTEN_BACKLOG }, () => {
          server.off('error', reject);
          resolve();
        });
      } finally {
        if (umask !== null) process.umask(umask);
      }
    });
    try {
      if (this.mode !== 0o600 || !isMainThread) chmodSync(this.path, this.mode);
      const actual = statSync(this.path).mode & 0o777;
      if (actual !== this.mode) throw new ControlSocketError(`control socket ${this.path} has mode ${octal(actual)}, not ${octal(this.mode)}`);
    } catch (err) {
      await this.stop();
      throw err instanceof ControlSocketError ? err : new ControlSocketError(`control socket ${this.path}: ${(err as Error).message}`);
    }
    this.log.info({ socket: this.path, mode: octal(this.mode), maxClients: this.maxClients }, 'control socket listening');
  }

  private client(socket: Socket): void {
    if (this.clients.size >= this.maxClients) {
      // Told why, rather than a silent close: the CLI prints the error.
      this.refusedClients++;
      if (Date.now() - this.refusalLoggedAt >= REFUSAL_LOG_INTERVAL_MS) {
        this.log.warn({ clients: this.clients.size, refused: this.refusedClients - this.refusalsLogged }, 'control socket: at the client cap, connections refused');
        this.refusalsLogged = this.refusedClients;
        this.refusalLoggedAt = Date.now();
      }
      socket.on('error', () => {});
      socket.end(JSON.stringify({ ok: false, error: `too many control clients (${this.maxClients})` }) + '\n');
      setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
      return;
    }
    this.clients.add(socket);
    socket.setEncoding('utf8');
    let buffered = '';
    let queue = Promise.resolve();
    let queued = 0;
    let cutOff = false;
    // Armed while a request line has started but not ended; an idle client between requests has none.
    let lineTimer: NodeJS.Timeout | null = null;
    const lineStalled = () => {
      lineTimer = null;
      if (cutOff || socket.destroyed) return;
      // Not the client's fault while we are not reading from it (its earlier requests are still being answered).
      if (queued > 0 || socket.isPaused()) {
        lineTimer = setTimeout(lineStalled, this.lineTimeoutMs);
        return;
      }
      cutOff = true;
      buffered = '';
      this.stalledClients++;
      this.log.warn({ timeoutSeconds: this.lineTimeoutMs / 1000 }, 'control socket: a client stalled mid-line, closed');
      if (socket.writable) socket.end(JSON.stringify({ ok: false, error: `request line not finished within ${this.lineTimeoutMs / 1000} s` }) + '\n');
      setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
    };
    socket.on('data', (chunk: string) => {
      if (cutOff) return; // read and dropped until the socket goes
      buffered += chunk;
      let nl: number;
      let lineEnded = false;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        lineEnded = true;
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line === '') continue;
        // Nothing queued before it: answer at once, without the queue's promises, when the handler answers
        // synchronously (lookups and decisions do: batch mode's lock-step latency).
        // A client that does not read its answers goes through the queue, which waits for it.
        if (queued === 0 && socket.writableLength <= MAX_OUTPUT_BACKLOG && this.answerAtOnce(socket, line)) continue;
        queued++;
        this.queuedRequests++;
        if (queued >= MAX_QUEUED_REQUESTS) socket.pause();
        queue = queue
          .then(() => this.answer(socket, line))
          .catch((err: unknown) => this.log.error({ err }, 'control request failed')) // never an unhandled rejection
          .finally(() => {
            queued--;
            this.queuedRequests--;
            if (queued < MAX_QUEUED_REQUESTS && !cutOff && !socket.destroyed) socket.resume();
          });
      }
      if (buffered.length > MAX_LINE) {
        cutOff = true;
        buffered = '';
        // Answered after the requests already queued, then the connection goes, read or not.
        queue = queue.then(() => {
          if (socket.writable) socket.end(JSON.stringify({ ok: false, error: `request line longer than ${MAX_LINE} bytes` }) + '\n');
          setTimeout(() => socket.destroy(), CLOSE_LINGER_MS).unref();
        });
      }
      // Whitespace alone is no request: an idle client may send a bare newline, not a half line forever.
      if (lineTimer !== null && (lineEnded || cutOff || buffered.trim() === '')) {
        clearTimeout(lineTimer);
        lineTimer = null;
      }
      if (lineTimer === null && !cutOff && buffered.trim() !== '') {
        // From the line's first byte, not reset by more bytes: dripping one byte a second does not keep it alive.
        lineTimer = setTimeout(lineStalled, this.lineTimeoutMs);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (lineTimer !== null) clearTimeout(lineTimer);
      lineTimer = null;
      this.clients.delete(socket);
    });
  }

  /** Answers a request whose handler returns a plain value; false (nothing done) when it returns a promise. */
  private answerAtOnce(socket: Socket, line: string): boolean {
    let response: ControlResponse;
    try {
      const request = JSON.parse(line) as ControlRequest;
      if (typeof request !== 'object' || request === null || typeof request.command !== 'string') {
        throw new Error('a request is a JSON object with a "command"');
      }
      const result = this.handle(request);
      if (isPromise(result)) {
        // Not synchronous after all: queue it as any other. The promise already runs: hand it over, do not call
        // the handler twice.
        this.pendingFirst.set(socket, result);
        return false;
      }
      response = { ok: true, result: result ?? null };
    } catch (err) {
      response = { ok: false, error: (err as Error).message };
    }
    this.write(socket, response);
    return true;
  }

  private readonly pendingFirst = new WeakMap<Socket, Promise<unknown>>();

  private write(socket: Socket, response: ControlResponse): boolean {
    if (!socket.writable) return true;
    let text: string;
    try {
      text = JSON.stringify(response) + '\n';
    } catch (err) {
      text = JSON.stringify({ ok: false, error: `cannot encode the answer: ${(err as Error).message}` }) + '\n';
    }
    return socket.write(text) || socket.writableLength <= MAX_OUTPUT_BACKLOG;
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    let response: ControlResponse;
    try {
      const started = this.pendingFirst.get(socket);
      if (started !== undefined) {
        // answerAtOnce parsed this request and started its handler already.
        this.pendingFirst.delete(socket);
        response = { ok: true, result: (await started) ?? null };
      } else {
        const request = JSON.parse(line) as ControlRequest;
        if (typeof request !== 'object' || request === null || typeof request.command !== 'string') {
          throw new Error('a request is a JSON object with a "command"');
        }
        response = { ok: true, result: (await this.handle(request)) ?? null };
      }
    } catch (err) {
      response = { ok: false, error: (err as Error).message };
    }
    if (!socket.writable) return; // the client went away mid-request
    if (!this.write(socket, response)) {
      // A client that does not read its answers: wait for it (the queue, and so its reading, waits too).
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
  }

  /** Answer bytes written to clients but not yet read by them (bounded: slow readers are not read from). */
  get backlog(): number {
    let n = 0;
    for (const c of this.clients) n += c.writableLength;
    return n;
  }

  /** Requests read but not answered yet, over all clients. */
  get pendingRequests(): number {
    return this.queuedRequests;
  }

  /** Connected clients. */
  get clientCount(): number {
    return this.clients.size;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

function octal(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
