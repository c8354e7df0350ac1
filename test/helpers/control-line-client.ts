// A raw control-socket client for tests: sends text as is and collects the answer lines.
import { connect, type Socket } from 'node:net';
import { until } from '../session/harness.js';

export type ControlAnswer = { ok: boolean; error?: string; result?: unknown };

export class ControlLineClient {
  readonly lines: string[] = [];
  closed = false;
  private buffered = '';

  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        this.lines.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => { this.closed = true; });
  }

  static open(path: string): Promise<ControlLineClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new ControlLineClient(s)));
      s.once('error', reject);
    });
  }

  /** The next n answers, parsed, in order. */
  async answers(n: number, timeoutMs = 5000): Promise<ControlAnswer[]> {
    await until(`${n} answers`, () => this.lines.length >= n, timeoutMs);
    return this.lines.splice(0, n).map((l) => JSON.parse(l) as ControlAnswer);
  }

  async answer(timeoutMs = 5000): Promise<ControlAnswer> {
    return (await this.answers(1, timeoutMs))[0]!;
  }
}
