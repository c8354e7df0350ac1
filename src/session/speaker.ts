import { createServer, type Server, type Socket } from 'node:net';
import type Logger from 'bunyan';
import { CeaseSubcode, ErrorCode } from '../bgp/index.js';
import { Neighbor } from './neighbor.js';
import { parseId } from './negotiate.js';
import type { NeighborCounters, NeighborOptions, NeighborStatus } from './types.js';
import type { RibWriter } from '../rib/index.js';
import { encodeNotificationMessage } from './wire.js';

/** How long a refused connection gets to read its NOTIFICATION. */
const REFUSED_LINGER_MS = 1000;
/** Refused connections allowed to linger at once; beyond that they are closed at once, without a word. */
const MAX_REFUSED_LINGERING = 256;

export interface SpeakerOptions {
  localAs: number;
  /** Dotted quad. */
  routerId: string;
  /** Where to accept BGP connections; null for a purely active speaker. */
  listen: { address: string; port: number } | null;
  rib: RibWriter;
  log: Logger;
}

/**
 * The BGP speaker: one shared listener dispatching incoming connections by source address to the configured
 * neighbors (others are refused and logged), and the neighbors themselves.
 */
export class Speaker {
  private readonly neighborsByAddress = new Map<string, Neighbor>();
  private server: Server | null = null;
  private readonly log: Logger;
  /** Every socket the listener accepted and that is not closed yet (sessions and refused strangers alike). */
  private readonly accepted = new Set<Socket>();
  private readonly refusals = new RefusalLog();
  /** Refused connections still being told why (Cease/Connection Rejected) before they close. */
  private refusedOpen = 0;

  private readonly options: SpeakerOptions;
  private readonly tableLoadedListeners: ((n: Neighbor) => void)[] = [];
  /** The counters of removed neighbors, by address: one added again (a reload changed it) goes on counting. */
  private readonly removedCounters = new Map<string, NeighborCounters>();

  constructor(options: SpeakerOptions) {
    // A copy: reload changes the listener and identity in place.
    this.options = { ...options };
    this.log = options.log;
  }

  addNeighbor(options: NeighborOptions): Neighbor {
    const key = canonicalPeerAddress(options.address);
    if (this.neighborsByAddress.has(key)) throw new Error(`neighbor ${options.address} configured twice`);
    const n = new Neighbor(
      { ...options, address: key },
      { localAs: this.options.localAs, routerId: parseId(this.options.routerId), routerIdText: this.options.routerId },
      this.options.rib,
      this.log,
      this.removedCounters.get(key),
    );
    this.removedCounters.delete(key);
    n.onTableLoaded = () => this.tableLoadedListeners.forEach((l) => l(n));
    this.neighborsByAddress.set(key, n);
    return n;
  }

  /** Calls `listener` each time a neighbor has brought its whole table for the first time (End-of-RIB). */
  onTableLoaded(listener: (n: Neighbor) => void): () => void {
    this.tableLoadedListeners.push(listener);
    return () => {
      const i = this.tableLoadedListeners.indexOf(listener);
      if (i >= 0) this.tableLoadedListeners.splice(i, 1);
    };
  }

  /** Every configured neighbor has brought its whole table at least once. */
  get tablesLoaded(): boolean {
    for (const n of this.neighborsByAddress.values()) if (!n.tableLoaded) return false;
    return true;
  }

  /**
   * Stops a neighbor (Cease with `subcode`, Peer De-configured by default), drops its routes and forgets it.
   */
  async removeNeighbor(address: string, subcode: CeaseSubcode = CeaseSubcode.PeerDeconfigured, message?: string): Promise<void> {
    const key = canonicalPeerAddress(address);
    const n = this.neighborsByAddress.get(key);
    if (!n) return;
    this.neighborsByAddress.delete(key);
    this.removedCounters.set(key, n.counters);
    await Promise.race([n.shutdown(message, subcode), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    n.destroy();
  }

  neighbor(address: string): Neighbor | undefined {
    return this.neighborsByAddress.get(canonicalPeerAddress(address));
  }

  get neighbors(): Neighbor[] {
    return [...this.neighborsByAddress.values()];
  }

  status(): NeighborStatus[] {
    return this.neighbors.map((n) => n.status());
  }

  /** Accepted connections still open: configured sessions, and refused ones until they are torn down. */
  get openConnections(): number {
    return this.accepted.size;
  }

  /** The port the listener is bound to (useful when configured as 0). */
  get listenPort(): number | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : null;
  }

  /** Starts listening (when configured) and then every neighbor. */
  async start(): Promise<void> {
    if (this.options.listen !== null) this.server = await this.bind(this.options.listen);
    for (const n of this.neighbors) n.start();
  }

  private async bind(listen: { address: string; port: number }): Promise<Server> {
    const server = createServer({ noDelay: true }, (socket) => this.incoming(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: listen.address, port: listen.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'listener error'));
    const bound = server.address();
    this.log.info({ address: listen.address, port: bound && typeof bound === 'object' ? bound.port : listen.port }, 'listening for BGP connections');
    return server;
  }

  /**
   * Moves the listener (a reload): the new address is bound before the old one closes, so a failure (address in
   * use) throws and changes nothing. Sessions already accepted stay up.
   */
  async relisten(listen: { address: string; port: number } | null): Promise<void> {
    const next = listen === null ? null : await this.bind(listen);
    const old = this.server;
    this.server = next;
    this.options.listen = listen;
    old?.close();
    if (old !== null && next === null) this.log.info('no longer listening for BGP connections');
  }

  /**
   * A new local AS or router id (a reload). Neighbors added from now on use it; the caller restarts the existing
   * ones (removeNeighbor + addNeighbor), since a session's identity was sent in its OPEN.
   */
  setIdentity(localAs: number, routerId: string): void {
    this.options.localAs = localAs;
    this.options.routerId = routerId;
  }

  private incoming(socket: Socket): void {
    this.accepted.add(socket);
    socket.once('close', () => this.accepted.delete(socket));
    const remote = canonicalPeerAddress(socket.remoteAddress ?? '');
    const neighbor = this.neighborsByAddress.get(remote);
    if (neighbor === undefined) {
      this.refusals.refused(this.log, `${socket.remoteAddress}:${socket.remotePort}`);
      socket.on('error', () => {});
      if (this.refusedOpen >= MAX_REFUSED_LINGERING) {
        socket.destroy(); // a flood: no courtesy NOTIFICATION, no file descriptor held
        return;
      }
      // RFC 4486: Cease/Connection Rejected tells a misconfigured peer why. What it sends is left unread.
      this.refusedOpen++;
      socket.end(encodeNotificationMessage(ErrorCode.Cease, CeaseSubcode.ConnectionRejected, new Uint8Array(0)));
      const linger = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
      linger.unref();
      socket.once('close', () => {
        this.refusedOpen--;
        clearTimeout(linger);
      });
      return;
    }
    neighbor.accept(socket);
  }

  /** Administrative shutdown of every neighbor (RFC 9003 message), then the listener closes. */
  async shutdown(message?: string): Promise<void> {
    this.server?.close();
    this.refusals.flush(this.log);
    // Refused strangers still lingering go now; the neighbors' sockets close below.
    for (const s of this.accepted) if (!this.neighborsByAddress.has(canonicalPeerAddress(s.remoteAddress ?? ''))) s.destroy();
    await Promise.race([
      Promise.all(this.neighbors.map((n) => n.shutdown(message))),
      new Promise((resolve) => setTimeout(resolve, 3000).unref()),
    ]);
    for (const n of this.neighbors) n.destroy();
    this.server = null;
  }
}

/** Logs refused connections one by one up to a limit per minute, then only their count: a flood must not flood the log. */
class RefusalLog {
  private static readonly LOGGED_PER_WINDOW = 10;
  private static readonly WINDOW_MS = 60_000;
  private logged = 0;
  private suppressed = 0;
  private timer: NodeJS.Timeout | null = null;

  refused(log: Logger, remote: string): void {
    if (this.logged < RefusalLog.LOGGED_PER_WINDOW) {
      this.logged++;
      log.warn({ remote }, 'connection refused: not a configured neighbor');
    } else this.suppressed++;
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(log), RefusalLog.WINDOW_MS);
      this.timer.unref();
    }
  }

  /** Ends the window: logs how many refusals went unlogged. */
  flush(log: Logger): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.suppressed > 0) log.warn({ refused: this.suppressed }, `${this.suppressed} more connections from unconfigured addresses refused`);
    this.logged = 0;
    this.suppressed = 0;
  }
}

/** One spelling of a peer address: IPv4-mapped IPv6 as dotted quad, IPv6 lower-case compressed. */
export function canonicalPeerAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!a.includes(':')) return a;
  try {
    return new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    return a;
  }
}
