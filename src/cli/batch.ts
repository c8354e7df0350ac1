// Batch mode's plumbing: one address a line on stdin, one answer a line on stdout, in order, each flushed as soon
// as it is known: for Apache's `RewriteMap prg:`, which writes one line and waits for its answer, and for a pipe
// of many addresses, which must not cost one round trip per line.

export interface BatchOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Answers lines, one text each, in order. */
  answer(lines: string[]): Promise<string[]>;
  /** What to print for lines whose answer() failed (the daemon went away): one text each. */
  fallback(lines: string[], err: Error): string[];
  /** Lines sent in one request at most. */
  maxPerRequest?: number;
  /**
   * Characters of line text (plus 3 a line for JSON's quotes and comma) in one request at most, one line always:
   * the daemon answers a request line over 64 KiB with an error and closes the connection, and 4096 IPv6
   * addresses make ~160 KiB. Default 32 KiB, leaving room for escaped characters.
   */
  maxCharsPerRequest?: number;
  /** Requests in flight at most (the next is read while one is answered). */
  maxInFlight?: number;
}

/**
 * Reads lines as they come and hands what has arrived to answer() as one request (one line when a caller writes
 * one and waits; thousands from a pipe), with a bounded number in flight; prints the answers in input order.
 * Never stops on a bad line: answer() decides what a bad line gets. Resolves at the end of the input, once every
 * answer is out.
 */
export function runBatch(options: BatchOptions): Promise<void> {
  const maxPerRequest = options.maxPerRequest ?? 4096;
  const maxCharsPerRequest = options.maxCharsPerRequest ?? 32 * 1024;
  const maxInFlight = options.maxInFlight ?? 2;
  const { input, output } = options;
  let carry = '';
  let pending: string[] = [];
  let inFlight = 0;
  let ended = false;
  // The answers in input order: each request's write waits for the previous one's.
  let written: Promise<void> = Promise.resolve();
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const pump = (): void => {
    while (inFlight < maxInFlight && pending.length > 0) {
      let n = 0;
      for (let chars = 0; n < pending.length && n < maxPerRequest; n++) {
        chars += pending[n]!.length + 3;
        if (chars > maxCharsPerRequest && n > 0) break;
      }
      const lines = n === pending.length ? pending : pending.slice(0, n);
      pending = n === pending.length ? [] : pending.slice(n);
      inFlight++;
      const answered = options.answer(lines).then(
        (answers) => answers,
        (err: Error) => options.fallback(lines, err),
      );
      written = written
        .then(() => answered)
        .then((answers) => {
          output.write(answers.join('\n') + '\n');
        })
        .finally(() => {
          inFlight--;
          if (pending.length > 0) pump();
          else if (ended && inFlight === 0) finish();
          // Reading resumes once the backlog is under control (a slow daemon must not make us buffer stdin).
          if (pending.length < maxPerRequest * maxInFlight) input.resume();
        });
    }
    if (pending.length >= maxPerRequest * maxInFlight) input.pause();
  };

  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    const text = carry + chunk;
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      pending.push(clip(text, start, end));
      start = nl + 1;
    }
    carry = text.slice(start);
    // A line that never ends must not grow without bound: what is past the clip is never read.
    if (carry.length > MAX_LINE) carry = carry.slice(0, MAX_LINE + 1);
    pump();
  });
  input.on('end', () => {
    if (carry !== '') pending.push(clip(carry, 0, carry.length));
    carry = '';
    ended = true;
    pump();
    if (inFlight === 0 && pending.length === 0) finish();
  });
  return done;
}

/**
 * No address is longer than 45 characters (an IPv6 address with an embedded IPv4 one): a longer line is junk,
 * answered as such, and clipped: it costs no more than a short one.
 */
const MAX_LINE = 64;
// (With the request's character budget, a request line stays far under the control socket's 64 KiB.)

function clip(text: string, start: number, end: number): string {
  return text.slice(start, end - start > MAX_LINE ? start + MAX_LINE : end);
}
