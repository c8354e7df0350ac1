// A scripted BGP peer over loopback, written with our own codec, for exact-byte protocol tests of the session
// layer (the one place where a mock is legitimate: real daemons cannot misbehave on cue).
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ExecutionContext } from 'ava';
import bunyan from 'bunyan';
import {
  Afi,
  MessageFramer,
  MessageType,
  PathAttributes,
  AsPathSegment,
  Safi,
  decodeNotification,
  decodeOpen,
  emptyCapabilities,
  encodeKeepalive,
  encodeOpen,
  encodeEndOfRib,
  encodeUpdate,
  type Capabilities,
  type DecodeOptions,
  type FramedMessage,
  type NlriPrefix,
  type NotificationMessage,
  type OpenMessage,
} from '../../src/bgp/index.js';
import { Rib } from '../../src/rib/rib.js';
import { Speaker, type NeighborOptions } from '../../src/session/index.js';

/** The loopback addresses of one test. */
export interface TestAddresses {
  speaker: string;
  peer: string;
  stranger: string;
}

/** Distinct loopback addresses per test: 127.<block>.<n>.1 for us, .2 for the peer, .3 for a stranger. */
export function addresses(block: number): () => TestAddresses {
  let n = 0;
  return () => {
    n++;
    return { speaker: `127.${block}.${n}.1`, peer: `127.${block}.${n}.2`, stranger: `127.${block}.${n}.3` };
  };
}

export interface LogRecord {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A logger that keeps records in memory (set SUPERSPARROW_TEST_LOG=1 to also see them on stderr). */
export function memoryLogger(): { log: bunyan; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const streams: bunyan.Stream[] = [{ type: 'raw', level: 'trace', stream: { write: (r: unknown) => records.push(r as LogRecord) } as unknown as NodeJS.WritableStream }];
  if (process.env.SUPERSPARROW_TEST_LOG) streams.push({ stream: process.stderr, level: 'debug' });
  return { log: bunyan.createLogger({ name: 'test', streams }), records };
}

export const SPEAKER_AS = 65010;
export const PEER_AS = 65001;

export function neighborOptions(address: string, extra: Partial<NeighborOptions> = {}): NeighborOptions {
  return {
    address,
    remoteAs: PEER_AS,
    port: 179,
    passive: true,
    localAddress: null,
    holdTime: 90,
    connectRetry: 1,
    maxPrefixes: null,
    gracefulRestart: true,
    gracefulRestartNotification: true,
    stalePathTime: 360,
    addPath: true,
    description: null,
    ...extra,
  };
}

export interface TestSpeaker {
  speaker: Speaker;
  rib: Rib;
  records: LogRecord[];
  port: number;
  stop(): void;
}

/** A Speaker with a fresh RIB listening on `address` (ephemeral port), with the given neighbors, started. */
export async function startSpeaker(address: string, neighbors: NeighborOptions[], opts: { listen?: boolean; localAs?: number; routerId?: string } = {}): Promise<TestSpeaker> {
  const rib = new Rib();
  const { log, records } = memoryLogger();
  const speaker = new Speaker({
    localAs: opts.localAs ?? SPEAKER_AS,
    routerId: opts.routerId ?? address,
    listen: opts.listen === false ? null : { address, port: 0 },
    rib,
    log,
  });
  for (const n of neighbors) speaker.addNeighbor({ ...n, localAddress: n.localAddress ?? address });
  await speaker.start();
  return {
    speaker,
    rib,
    records,
    port: speaker.listenPort ?? 0,
    stop: () => {
      for (const n of speaker.neighbors) n.destroy();
      void speaker.shutdown();
    },
  };
}

/**
 * The usual set-up: a speaker on a.speaker with one neighbor a.peer (neighborOptions + `neighbor`), and a scripted
 * peer connected to it from a.peer, nothing sent yet. Both are torn down when the test ends.
 */
export async function speakerWithPeer(
  t: ExecutionContext,
  a: TestAddresses,
  neighbor: Partial<NeighborOptions> = {},
): Promise<{ s: TestSpeaker; peer: ScriptedPeer }> {
  const s = await startSpeaker(a.speaker, [neighborOptions(a.peer, neighbor)]);
  t.teardown(s.stop);
  const peer = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => peer.destroy());
  return { s, peer };
}

export interface OpenOptions {
  as?: number;
  holdTime?: number;
  id?: string;
  version?: number;
  capabilities?: Partial<Capabilities>;
  /** Leave out the 4-octet AS capability (a 2-octet speaker). */
  twoOctet?: boolean;
}

export function ipv4(text: string): number {
  const p = text.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

export function prefix4(text: string, pathId = 0): NlriPrefix {
  const [addr, len] = text.split('/');
  return { afi: Afi.IPv4, pathId, a: ipv4(addr!), b: 0, c: 0, d: 0, length: Number(len) };
}

export function attributes(asPath: number[], extra: Partial<PathAttributes> = {}): PathAttributes {
  const a = new PathAttributes();
  a.origin = 0;
  a.asPath = [new AsPathSegment(2 /* AS_SEQUENCE */, asPath)];
  a.nextHop = ipv4('192.0.2.1');
  Object.assign(a, extra);
  return a;
}

export const PEER_DECODE: DecodeOptions = { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, extendedMessage: false };

/** One side of a BGP session driven by the test, message by message. */
export class ScriptedPeer {
  private readonly framer = new MessageFramer(65535);
  private readonly queue: FramedMessage[] = [];
  private waiter: (() => void) | null = null;
  closed = false;
  readonly closedPromise: Promise<void>;
  speakerOpen: OpenMessage | null = null;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const m of this.framer.push(chunk)) this.queue.push({ type: m.type, message: Buffer.from(m.message) });
      this.wake();
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => socket.on('close', () => {
      this.closed = true;
      this.wake();
      resolve();
    }));
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  static connect(host: string, port: number, localAddress: string): Promise<ScriptedPeer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port, localAddress });
      s.once('connect', () => resolve(new ScriptedPeer(s)));
      s.once('error', reject);
    });
  }

  /** Listens on host (ephemeral port); accept() gives the next connection from the speaker. */
  static async listen(host: string): Promise<PeerListener> {
    const pending: ScriptedPeer[] = [];
    let waiting: ((p: ScriptedPeer) => void) | null = null;
    const server = createServer((s) => {
      const p = new ScriptedPeer(s);
      if (waiting) {
        const w = waiting;
        waiting = null;
        w(p);
      } else pending.push(p);
    });
    await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
    const port = (server.address() as { port: number }).port;
    return {
      port,
      server,
      accept: (timeoutMs = 10_000) => {
        const p = pending.shift();
        if (p) return Promise.resolve(p);
        return new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no connection from the speaker')), timeoutMs);
          waiting = (x) => {
            clearTimeout(t);
            resolve(x);
          };
        });
      },
      close: () => server.close(),
    };
  }

  send(buf: Uint8Array): void {
    this.socket.write(buf);
  }

  sendOpen(o: OpenOptions = {}): void {
    const as = o.as ?? PEER_AS;
    const capabilities: Capabilities = {
      ...emptyCapabilities(),
      multiprotocol: [{ afi: Afi.IPv4, safi: Safi.Unicast }, { afi: Afi.IPv6, safi: Safi.Unicast }],
      routeRefresh: true,
      fourOctetAs: o.twoOctet ? null : as,
      ...o.capabilities,
    };
    const buf = encodeOpen({ myAs: as, holdTime: o.holdTime ?? 90, bgpIdentifier: ipv4(o.id ?? '10.0.0.2'), capabilities });
    if (o.version !== undefined) buf[19] = o.version;
    this.send(buf);
  }

  sendKeepalive(): void {
    this.send(encodeKeepalive());
  }

  announce(prefixes: NlriPrefix[], attrs: PathAttributes, opts: DecodeOptions = PEER_DECODE): void {
    this.send(encodeUpdate({ announced: prefixes, attributes: attrs }, opts));
  }

  withdraw(prefixes: NlriPrefix[], opts: DecodeOptions = PEER_DECODE): void {
    this.send(encodeUpdate({ withdrawn: prefixes }, opts));
  }

  endOfRib(afi: Afi): void {
    this.send(encodeEndOfRib(afi));
  }

  /** The next message from the speaker; rejects when the connection closes first or on timeout. */
  async next(timeoutMs = 5000): Promise<FramedMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.queue.shift();
      if (m) return m;
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Skips messages until one of `type` arrives. */
  async nextOfType(type: MessageType, timeoutMs = 5000): Promise<FramedMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (m.type === type) return m;
    }
  }

  async notification(timeoutMs = 5000): Promise<NotificationMessage> {
    const m = await this.nextOfType(MessageType.Notification, timeoutMs);
    return decodeNotification(m.message, 19, m.message.length);
  }

  /** Reads the speaker's OPEN (it sends it first on a connection). */
  async readOpen(timeoutMs = 5000): Promise<OpenMessage> {
    const m = await this.nextOfType(MessageType.Open, timeoutMs);
    this.speakerOpen = decodeOpen(m.message, 19, m.message.length);
    return this.speakerOpen;
  }

  /** OPEN both ways, KEEPALIVE both ways: the session is Established on both sides. */
  async handshake(o: OpenOptions = {}): Promise<OpenMessage> {
    this.sendOpen(o);
    const open = await this.readOpen();
    await this.nextOfType(MessageType.Keepalive);
    this.sendKeepalive();
    return open;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await Promise.race([
      this.closedPromise,
      new Promise((_, reject) => setTimeout(() => reject(new Error('connection still open')), timeoutMs).unref()),
    ]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface PeerListener {
  port: number;
  server: Server;
  accept(timeoutMs?: number): Promise<ScriptedPeer>;
  close(): void;
}

/** Polls until pred() is truthy. */
export async function until<T>(what: string, pred: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
