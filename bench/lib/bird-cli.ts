// BIRD's control socket spoken directly (no birdc process per query), one connection, commands in lock-step.
// The protocol (BIRD's nest/cli.c, checked by hand against BIRD 2.0.12): on connect BIRD greets with
// "0001 BIRD 2.0.12 ready."; each command is one line; each reply line is a 4-digit code followed by '-' (more
// lines follow), or by ' ' (the reply's last line: "0000 " after output, or e.g. "8001 Network not found",
// "9001 syntax error, ..."); a line repeating the previous code starts with a space instead; '+' lines are
// asynchronous messages (not sent unless asked for). So a reply ends with a line whose fifth character is a space
// after four digits.
import { connect, type Socket } from 'node:net';

export class BirdCli {
  private buffered = '';
  private sink: (() => void) | null = null;
  private failure: ((err: Error) => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.buffered += text;
      if (this.sink && replyComplete(this.buffered)) this.sink();
    });
    socket.on('error', (err) => this.failure?.(new Error(`BIRD control socket: ${err.message}`)));
    socket.on('close', () => this.failure?.(new Error('BIRD closed its control socket')));
  }

  /** Connects and reads the greeting. */
  static open(path: string): Promise<BirdCli> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('error', reject);
      const cli = new BirdCli(socket);
      cli.failure = reject;
      cli.sink = () => {
        cli.sink = null;
        cli.failure = null;
        socket.off('error', reject);
        const greeting = cli.take();
        if (!greeting.startsWith('0001 ')) reject(new Error(`BIRD control socket: unexpected greeting ${JSON.stringify(greeting)}`));
        else resolve(cli);
      };
    });
  }

  /**
   * Sends each command (a Buffer ending in a newline) once the previous reply is complete; resolves with each
   * latency (ns, from just before the write to the chunk completing the reply) and the replies.
   */
  lockstep(commands: Buffer[]): Promise<{ latencies: Float64Array; totalNs: bigint; replies: string[] }> {
    return new Promise((resolve, reject) => {
      const n = commands.length;
      const latencies = new Float64Array(n);
      const replies = new Array<string>(n);
      let i = 0;
      let t0 = 0n;
      this.failure = reject;
      this.sink = () => {
        const now = process.hrtime.bigint();
        latencies[i] = Number(now - t0);
        replies[i] = this.take();
        if (++i === n) {
          this.sink = null;
          this.failure = null;
          resolve({ latencies, totalNs: now - start, replies });
          return;
        }
        t0 = process.hrtime.bigint();
        this.socket.write(commands[i]!);
      };
      const start = process.hrtime.bigint();
      t0 = start;
      this.socket.write(commands[0]!);
    });
  }

  close(): void {
    this.failure = null;
    this.socket.destroy();
  }

  private take(): string {
    const text = this.buffered;
    this.buffered = '';
    return text;
  }
}

/** Whether text ends with a reply's last line: "DDDD " + text + newline. */
function replyComplete(text: string): boolean {
  const n = text.length;
  if (n < 6 || text.charCodeAt(n - 1) !== 10) return false;
  const start = text.lastIndexOf('\n', n - 2) + 1;
  if (text.charCodeAt(start + 4) !== 32) return false;
  for (let k = start; k < start + 4; k++) {
    const c = text.charCodeAt(k);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The reply's code: that of its last line (0 = done with output, 8001 = network not found, ...). */
export function replyCode(reply: string): number {
  const start = reply.lastIndexOf('\n', reply.length - 2) + 1;
  return Number(reply.slice(start, start + 4));
}
