import { createServer, type Server, type Socket } from 'node:net';
import type Logger from 'bunyan';
import { CeaseSubcode, ErrorCode } from '../bgp/index.js';
import { Neighbor } from './neighbor.js';
import { parseId } from './negotiate.js';
import type { NeighborOptions, NeighborStatus, RibPort } from './types.js';
import { encodeNotificationMessage } from './wire.js';

export interface SpeakerOptions {
  localAs: number;
  /** Dotted quad. */
  routerId: string;
  /** Where to accept BGP connections; null for a purely active speaker. */
  listen: { address: string; port: number } | null;
  rib: RibPort;
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

  constructor(private readonly options: SpeakerOptions) {
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
    );
    this.neighborsByAddress.set(key, n);
    return n;
  }

  /**
   * Stops a neighbor (Cease with `subcode`, Peer De-configured by default), drops its routes and forgets it.
   */
  async removeNeighbor(address: string, subcode: CeaseSubcode = CeaseSubcode.PeerDeconfigured, message?: string): Promise<void> {
    const key = canonicalPeerAddress(address);
    const n = this.neighborsByAddress.get(key);
    if (!n) return;
    this.neighborsByAddress.delete(key);
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

  /** The port the listener is bound to (useful when configured as 0). */
  get listenPort(): number | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : null;
  }

  /** Starts listening (when configured) and then every neighbor. */
  async start(): Promise<void> {
    const listen = this.options.listen;
    if (listen !== null) {
      const server = createServer({ noDelay: true }, (socket) => this.incoming(socket));
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: listen.address, port: listen.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.log.error({ err }, 'listener error'));
      this.log.info({ address: listen.address, port: this.listenPort }, 'listening for BGP connections');
    }
    for (const n of this.neighbors) n.start();
  }

  private incoming(socket: Socket): void {
    const remote = canonicalPeerAddress(socket.remoteAddress ?? '');
    const neighbor = this.neighborsByAddress.get(remote);
    if (neighbor === undefined) {
      this.log.warn({ remote: `${socket.remoteAddress}:${socket.remotePort}` }, 'connection refused: not a configured neighbor');
      socket.on('error', () => {});
      // RFC 4486: Cease/Connection Rejected tells a misconfigured peer why.
      socket.end(encodeNotificationMessage(ErrorCode.Cease, CeaseSubcode.ConnectionRejected, new Uint8Array(0)));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    neighbor.accept(socket);
  }

  /** Administrative shutdown of every neighbor (RFC 9003 message), then the listener closes. */
  async shutdown(message?: string): Promise<void> {
    this.server?.close();
    await Promise.race([
      Promise.all(this.neighbors.map((n) => n.shutdown(message))),
      new Promise((resolve) => setTimeout(resolve, 3000).unref()),
    ]);
    for (const n of this.neighbors) n.destroy();
    this.server = null;
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
