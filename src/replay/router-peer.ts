// A minimal active BGP speaker that replays pre-encoded UPDATEs into a receiver: the "router" of the ingest
// benchmark and of the demo. It opens one session over node:net with our codec, waits for Established, writes
// whatever UPDATEs it is given as fast as the socket takes them, sends End-of-RIB, and then keeps the session up
// with keepalives until stop(). It never processes routes it receives (a receiver that exports nothing sends only
// End-of-RIB).
//
//   const feeder = await BgpFeeder.connect({ host: '127.0.0.10', port: 1179, localAddress: '127.0.0.1',
//                                            localAs: 65001, routerId: '127.0.0.1' });
//   await feeder.send(packedTable.chunks);   // whole UPDATE messages, back to back (src/demo/packed-table.ts)
//   await feeder.sendEndOfRib();
//   ...                                      // the session stays up (keepalives every hold/3 s)
//   await feeder.stop('demo finished');      // Cease / Administrative Shutdown with this RFC 9003 text
//
// It keeps no hold timer of its own: a receiver that falls silent is noticed only when the socket closes.
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import {
  Afi,
  ErrorCode,
  MessageFramer,
  MessageType,
  Safi,
  decodeNotification,
  decodeOpen,
  summarizeNotification,
  emptyCapabilities,
  encodeEndOfRib,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  openPeerAs,
  parseIpv4,
  type OpenMessage,
} from '../bgp/index.js';


export interface FeederOptions {
  /** The receiver's address and port. */
  host: string;
  port: number;
  /** Our source address (a distinct 127.x.y.z on loopback so the receiver can tell neighbors apart). */
  localAddress?: string;
  localAs: number;
  /** Checked against the receiver's OPEN when given. */
  remoteAs?: number;
  /** Our BGP identifier, dotted quad. */
  routerId: string;
  /** Hold time we propose, seconds (0 or >= 3). Default 90. */
  holdTime?: number;
  /** Families we announce in the Multiprotocol capability. Default both unicast families. */
  families?: Array<'ipv4' | 'ipv6'>;
  /** Announce the graceful restart capability with this restart time (seconds). */
  gracefulRestartTime?: number;
  /** Give up connecting after this many milliseconds. Default 10 s. */
  connectTimeoutMs?: number;
}

export type FeederState = 'Connect' | 'OpenSent' | 'OpenConfirm' | 'Established' | 'Closed';

export interface FeederEvents {
  established: [open: OpenMessage];
  notification: [code: number, subcode: number, text: string];
  closed: [reason: string];
}

/**
 * One outgoing session. Use `BgpFeeder.connect(options)` (resolves once Established), then `send(...)`,
 * `sendEndOfRib()`, and finally `stop()`.
 */
export class BgpFeeder extends EventEmitter<FeederEvents> {
  state: FeederState = 'Connect';
  /** process.hrtime.bigint() when the session became Established. */
  establishedAt = 0n;
  /** The receiver's OPEN. */
  remoteOpen: OpenMessage | null = null;
  /** Why the session closed (NOTIFICATION received, socket error, stop()). */
  closeReason = '';
  /** UPDATE messages and bytes written so far. */
  messagesSent = 0;
  bytesSent = 0;

  private readonly socket: Socket;
  private readonly framer = new MessageFramer();
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private holdTime = 0;

  private constructor(readonly options: FeederOptions) {
    super();
    this.socket = connect({ host: options.host, port: options.port, localAddress: options.localAddress, noDelay: true });
  }

  /** Connects, exchanges OPENs and resolves once the session is Established (rejects if it closes before). */
  static connect(options: FeederOptions): Promise<BgpFeeder> {
    const feeder = new BgpFeeder(options);
    return feeder.run();
  }

  private run(): Promise<BgpFeeder> {
    const o = this.options;
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => this.close(`no session within ${o.connectTimeoutMs ?? 10_000} ms`), o.connectTimeoutMs ?? 10_000);
      const onClosed = (reason: string): void => {
        clearTimeout(timeout);
        reject(new Error(`BGP session to ${o.host}:${o.port} closed before Established: ${reason}`));
      };
      this.once('closed', onClosed);
      this.once('established', () => {
        clearTimeout(timeout);
        this.off('closed', onClosed);
        resolve(this);
      });
      this.socket.once('connect', () => {
        this.state = 'OpenSent';
        this.socket.write(this.encodeOurOpen());
      });
      this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
      this.socket.on('error', (err) => this.close(`socket error: ${err.message}`));
      this.socket.on('close', () => this.close(this.closeReason || 'connection closed by the receiver'));
    });
  }

  private encodeOurOpen(): Buffer {
    const o = this.options;
    const caps = emptyCapabilities();
    for (const f of o.families ?? ['ipv4', 'ipv6']) caps.multiprotocol.push({ afi: f === 'ipv4' ? Afi.IPv4 : Afi.IPv6, safi: Safi.Unicast });
    caps.fourOctetAs = o.localAs;
    caps.routeRefresh = true;
    if (o.gracefulRestartTime !== undefined) {
      caps.gracefulRestart = {
        restarting: false,
        notification: false,
        restartTime: o.gracefulRestartTime,
        families: caps.multiprotocol.map((f) => ({ ...f, forwardingPreserved: true })),
      };
    }
    return encodeOpen({ myAs: o.localAs, holdTime: o.holdTime ?? 90, bgpIdentifier: parseIpv4(o.routerId), capabilities: caps });
  }

  private receive(chunk: Buffer): void {
    let messages;
    try {
      messages = this.framer.push(chunk);
    } catch (err) {
      this.close(`bad message from the receiver: ${(err as Error).message}`);
      return;
    }
    for (const { type, message } of messages) {
      switch (type) {
        case MessageType.Open: {
          const open = decodeOpen(message, 19, message.length);
          this.remoteOpen = open;
          const peerAs = openPeerAs(open);
          if (this.options.remoteAs !== undefined && peerAs !== this.options.remoteAs) {
            this.socket.write(encodeNotification({ code: ErrorCode.OpenMessage, subcode: 2 }));
            this.close(`receiver's AS is ${peerAs}, expected ${this.options.remoteAs}`);
            return;
          }
          const ours = this.options.holdTime ?? 90;
          this.holdTime = Math.min(ours, open.holdTime);
          this.state = 'OpenConfirm';
          this.socket.write(encodeKeepalive());
          break;
        }
        case MessageType.Keepalive:
          if (this.state === 'OpenConfirm') {
            this.state = 'Established';
            this.establishedAt = process.hrtime.bigint();
            if (this.holdTime > 0) {
              this.keepaliveTimer = setInterval(() => this.socket.write(encodeKeepalive()), (this.holdTime * 1000) / 3);
              this.keepaliveTimer.unref();
            }
            this.emit('established', this.remoteOpen!);
          }
          break;
        case MessageType.Notification: {
          const n = decodeNotification(message, 19, message.length);
          const text = summarizeNotification(n);
          this.emit('notification', n.code, n.subcode, text);
          this.close(`NOTIFICATION received: ${text}`);
          return;
        }
        default:
          // UPDATE (End-of-RIB from a receiver that exports nothing) and ROUTE-REFRESH: nothing to do.
          break;
      }
    }
  }

  /**
   * Writes pre-encoded messages (whole messages with headers; they may be concatenated into large buffers) as
   * fast as the socket accepts them; resolves when the last byte has been handed to the kernel.
   */
  async send(chunks: Iterable<Buffer>, messageCount = 0): Promise<void> {
    if (this.state !== 'Established') throw new Error(`cannot send in state ${this.state}`);
    for (const chunk of chunks) {
      this.bytesSent += chunk.length;
      if (!this.socket.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = (): void => {
            this.off('closed', onClose);
            resolve();
          };
          const onClose = (reason: string): void => {
            this.socket.off('drain', onDrain);
            reject(new Error(`session closed while sending: ${reason}`));
          };
          this.socket.once('drain', onDrain);
          this.once('closed', onClose);
        });
      }
    }
    this.messagesSent += messageCount;
    await new Promise<void>((resolve) => this.socket.write(Buffer.alloc(0), () => resolve()));
  }

  /** End-of-RIB for each family (RFC 4724 2). */
  async sendEndOfRib(families: Array<'ipv4' | 'ipv6'> = this.options.families ?? ['ipv4', 'ipv6']): Promise<void> {
    await this.send(families.map((f) => encodeEndOfRib(f === 'ipv4' ? Afi.IPv4 : Afi.IPv6)));
  }

  /** Sends Cease / Administrative Shutdown (RFC 9003 text) and closes. */
  async stop(message = 'feeder stopped'): Promise<void> {
    if (this.state === 'Closed') return;
    if (this.state === 'Established' || this.state === 'OpenConfirm') {
      // The receiver may have stopped reading (its buffers full): do not wait for the NOTIFICATION forever.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.socket.write(encodeNotification({ code: ErrorCode.Cease, subcode: 2, shutdownMessage: message }), () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.close(message);
  }

  private close(reason: string): void {
    if (this.state === 'Closed') return;
    this.state = 'Closed';
    this.closeReason = reason;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.emit('closed', reason);
  }
}
