// A DNS client with one query outstanding at a time over one UDP socket: for checking answers and for timing how
// soon an answer changes. Each query gets a new id (written into a prebuilt message); a response with another id
// (a late answer to a query that timed out) is ignored.
// Hot path (`until`): one send and one decode (dns-packet) per query, no timers unless a query goes unanswered.
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type PacketOpt } from 'dns-packet';

/**
 * A response as dns-packet decodes it, which always fills in the four sections (the OPT pseudo-record is read
 * from the additional one only).
 */
export type Response = Omit<DecodedPacket, 'answers' | 'authorities' | 'additionals'> & {
  answers: Exclude<Answer, OptAnswer>[];
  authorities: Answer[];
  additionals: Answer[];
};

const optOf = (r: Response): OptAnswer | null => r.additionals.find((a): a is OptAnswer => a.type === 'OPT') ?? null;

/**
 * The RCODE with the OPT record's extended bits (RFC 6891 section 6.1.3), 0 for NOERROR: dns-packet gives the
 * header's four bits (in `flags`, and named in `rcode`) and the OPT's upper eight (`extendedRcode`) apart.
 */
export const rcodeOf = (r: Response): number => ((optOf(r)?.extendedRcode ?? 0) << 4) | ((r.flags ?? 0) & 0xf);

/** The ECS option (RFC 7871) of the response's OPT record, null when none. */
export const ecsOf = (r: Response): Extract<PacketOpt, { code: 8 }> | null =>
  optOf(r)?.options.find((o): o is Extract<PacketOpt, { code: 8 }> => o.code === 8) ?? null;

export class DnsProbe {
  private nextId = 1;
  private waiting: { id: number; resolve: (r: Response) => void; reject: (e: Error) => void } | null = null;

  private constructor(
    private readonly socket: Socket,
    readonly host: string,
    readonly port: number,
  ) {
    socket.on('message', (msg: Buffer) => {
      const w = this.waiting;
      if (w === null || msg.length < 2 || msg.readUInt16BE(0) !== w.id) return;
      this.waiting = null;
      try {
        w.resolve(dnsPacket.decode(msg) as Response);
      } catch (err) {
        w.reject(err as Error);
      }
    });
    socket.on('error', (err) => {
      const w = this.waiting;
      this.waiting = null;
      w?.reject(new Error(`DNS probe socket: ${err.message}`));
    });
  }

  static async open(host: string, port: number): Promise<DnsProbe> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new DnsProbe(socket, host, port);
  }

  /** Sends `query` (its id replaced by a fresh one) and resolves with the response; rejects after timeoutMs. */
  ask(query: Buffer, timeoutMs = 1000): Promise<Response> {
    if (this.waiting !== null) throw new Error('DnsProbe: one query at a time');
    const id = this.nextId;
    this.nextId = (this.nextId % 0xffff) + 1;
    query.writeUInt16BE(id, 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiting?.id !== id) return;
        this.waiting = null;
        reject(new Error(`no answer from ${this.host}:${this.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        id,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.send(query);
    });
  }

  /**
   * Asks `query` again and again, one at a time, until `done(response)` holds: resolves with process.hrtime at
   * the response that satisfied it and how many queries it took. A query unanswered for `retryMs` is given up and
   * a new one sent. Throws once `deadlineNs` (process.hrtime.bigint()) has passed.
   */
  async until(query: Buffer, done: (r: Response) => boolean, deadlineNs: bigint, retryMs = 200): Promise<{ at: bigint; queries: number; last: Response }> {
    let queries = 0;
    for (;;) {
      queries++;
      let r: Response | null = null;
      try {
        r = await this.ask(query, retryMs);
      } catch (err) {
        if (!/no answer/.test((err as Error).message)) throw err;
      }
      const now = process.hrtime.bigint();
      if (r !== null && done(r)) return { at: now, queries, last: r };
      if (now > deadlineNs) throw new Error(`the answer did not change before the deadline (${queries} queries; last: ${r === null ? 'no answer' : r.answers.map((a) => String(a.data)).join(' ')})`);
    }
  }

  close(): void {
    this.waiting?.reject(new Error('DnsProbe closed'));
    this.waiting = null;
    this.socket.close();
  }
}
