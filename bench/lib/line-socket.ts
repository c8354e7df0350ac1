// A unix-socket client that sends one request line and waits for its one answer line, in lock-step: the daemon's
// control socket asked directly (no CLI process in between), to split the batch CLI's latency into its hops.
// Hot path as in line-child.ts: one write and one 'data' callback per request; decoding after the clock stops.
import { connect, type Socket } from 'node:net';

export class LineSocket {
  private sink: ((chunk: Buffer) => void) | null = null;
  private failure: ((err: Error) => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.sink?.(chunk));
    socket.on('error', (err) => this.failure?.(new Error(`control socket: ${err.message}`)));
    socket.on('close', () => this.failure?.(new Error('the daemon closed the control socket')));
  }

  static open(path: string): Promise<LineSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new LineSocket(socket));
      });
    });
  }

  lockstep(requests: Buffer[]): Promise<{ latencies: Float64Array; totalNs: bigint; answers: string[] }> {
    return new Promise((resolve, reject) => {
      const n = requests.length;
      const latencies = new Float64Array(n);
      const chunks: Buffer[] = [];
      let i = 0;
      let t0 = 0n;
      this.failure = reject;
      this.sink = (chunk) => {
        const now = process.hrtime.bigint();
        chunks.push(chunk);
        if (chunk[chunk.length - 1] !== 0x0a) return;
        latencies[i] = Number(now - t0);
        if (++i === n) {
          this.sink = null;
          this.failure = null;
          const answers = Buffer.concat(chunks).toString('utf8').split('\n');
          answers.pop();
          if (answers.length !== n) reject(new Error(`control socket: ${answers.length} answer lines to ${n} requests`));
          else resolve({ latencies, totalNs: now - start, answers });
          return;
        }
        t0 = process.hrtime.bigint();
        this.socket.write(requests[i]!);
      };
      const start = process.hrtime.bigint();
      t0 = start;
      this.socket.write(requests[0]!);
    });
  }

  close(): void {
    this.failure = null;
    this.socket.destroy();
  }
}
