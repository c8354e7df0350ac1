// A line-oriented child process (one line in, one line out) driven two ways, as its two kinds of callers drive it:
//   piped     everything written at once, as fast as the pipe takes it; the time until the last answer line;
//   lockstep  one line written, its answer line awaited, the next written (Apache's RewriteMap prg:); the latency
//             of each, from just before the write to the 'data' event that carries the answer's newline.
// Hot path (the lock-step loop): one Buffer write and one 'data' callback per line; no timers, no string work, no
// output; the answers are kept as the chunks they came in and decoded after the clock stops.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

const NL = 0x0a;
const live = new Set<LineChild>();
let exitHookInstalled = false;

export class LineChild {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  /** Bytes of stdout that arrived while no answer was awaited (must stay 0). */
  unexpectedBytes = 0;
  /** What the current mode does with a chunk of stdout. */
  private sink: (chunk: Buffer) => void = this.idle;
  private failed: ((err: Error) => void) | null = null;

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    opts: { cwd?: string } = {},
  ) {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const c of live) c.child.kill('SIGKILL');
      });
    }
    this.child = spawn(command, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(this);
    this.child.stdout.on('data', (chunk: Buffer) => this.sink(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => {
      if (this.stderr.length < 10_000) this.stderr += text;
    });
    this.child.stdin.on('error', () => undefined); // EPIPE when it died: reported by 'exit' below
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this);
        this.failed?.(new Error(`${this.label} exited (${signal ?? code}) before answering every line; stderr: ${this.stderr.trim() || '(empty)'}`));
        resolve({ code, signal });
      });
    });
  }

  /** What the child wrote to stderr so far (the first 10 kB). */
  get errors(): string {
    return this.stderr;
  }

  /**
   * Writes `input` (whole lines) at once and resolves once `lines` answer lines arrived: the nanoseconds from just
   * before the write to the chunk carrying the last newline, and the answers.
   */
  piped(input: Buffer, lines: number): Promise<{ ns: bigint; answers: string[] }> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let seen = 0;
      this.failed = reject;
      this.sink = (chunk) => {
        chunks.push(chunk);
        let i = -1;
        while ((i = chunk.indexOf(NL, i + 1)) >= 0) seen++;
        if (seen < lines) return;
        const ns = process.hrtime.bigint() - t0;
        this.sink = this.idle;
        this.failed = null;
        try {
          resolve({ ns, answers: splitLines(chunks, lines, this.label) });
        } catch (err) {
          reject(err as Error);
        }
      };
      const t0 = process.hrtime.bigint();
      this.child.stdin.write(input);
    });
  }

  /**
   * Lock-step over `lines` (each a Buffer ending in a newline): resolves with the latency of each in nanoseconds,
   * and the answers.
   */
  lockstep(lines: Buffer[]): Promise<{ latencies: Float64Array; totalNs: bigint; answers: string[] }> {
    return new Promise((resolve, reject) => {
      const n = lines.length;
      const latencies = new Float64Array(n);
      const chunks: Buffer[] = [];
      const stdin = this.child.stdin;
      let i = 0;
      let t0 = 0n;
      this.failed = reject;
      this.sink = (chunk) => {
        const now = process.hrtime.bigint();
        chunks.push(chunk);
        // An answer is one short line; a chunk without its newline is the start of one (never seen in practice).
        if (chunk[chunk.length - 1] !== NL) return;
        latencies[i] = Number(now - t0);
        if (++i === n) {
          const totalNs = now - start;
          this.sink = this.idle;
          this.failed = null;
          try {
            resolve({ latencies, totalNs, answers: splitLines(chunks, n, this.label) });
          } catch (err) {
            reject(err as Error);
          }
          return;
        }
        t0 = process.hrtime.bigint();
        stdin.write(lines[i]!);
      };
      const start = process.hrtime.bigint();
      t0 = start;
      stdin.write(lines[0]!);
    });
  }

  /** Ends stdin (the child answers what it has and exits) and waits for it; kills it after graceMs. */
  async close(graceMs = 5_000): Promise<void> {
    if (!live.has(this)) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private idle(chunk: Buffer): void {
    this.unexpectedBytes += chunk.length;
  }

  kill(): void {
    if (live.has(this)) this.child.kill('SIGKILL');
  }
}

/** Exactly `lines` lines (the text after the last newline must be empty), or an error saying what came. */
function splitLines(chunks: Buffer[], lines: number, label: string): string[] {
  const text = Buffer.concat(chunks).toString('latin1');
  const out = text.split('\n');
  if (out.length !== lines + 1 || out[lines] !== '') {
    throw new Error(`${label}: expected exactly ${lines} answer lines, got ${out.length - 1}${out[out.length - 1] ? ' and a partial line' : ''}`);
  }
  out.pop();
  return out;
}
