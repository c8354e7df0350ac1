import { existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type Logger from 'bunyan';
import type { ControlRequest, ControlResponse } from './protocol.js';

export type ControlHandler = (request: ControlRequest) => Promise<unknown> | unknown;

/** Longest request line accepted; anything longer is a client bug. */
const MAX_LINE = 64 * 1024;

/**
 * The daemon's control socket: newline-delimited JSON requests, one response line each, in order.
 */
export class ControlServer {
  private server: Server | null = null;
  private readonly clients = new Set<Socket>();

  constructor(
    readonly path: string,
    private readonly handle: ControlHandler,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (existsSync(this.path)) {
      if (await socketAnswers(this.path)) throw new Error(`control socket ${this.path} is in use by a running daemon`);
      unlinkSync(this.path); // left behind by a daemon that did not exit cleanly
    }
    const server = createServer((socket) => this.client(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.log.info({ socket: this.path }, 'control socket listening');
  }

  private client(socket: Socket): void {
    this.clients.add(socket);
    socket.setEncoding('utf8');
    let buffered = '';
    let queue = Promise.resolve();
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line === '') continue;
        queue = queue.then(() => this.answer(socket, line));
      }
      if (buffered.length > MAX_LINE) {
        socket.end(JSON.stringify({ ok: false, error: 'request line too long' }) + '\n');
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.clients.delete(socket));
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    let response: ControlResponse;
    try {
      const request = JSON.parse(line) as ControlRequest;
      if (typeof request !== 'object' || request === null || typeof request.command !== 'string') {
        throw new Error('a request is a JSON object with a "command"');
      }
      response = { ok: true, result: (await this.handle(request)) ?? null };
    } catch (err) {
      response = { ok: false, error: (err as Error).message };
    }
    if (!socket.destroyed) socket.write(JSON.stringify(response) + '\n');
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
