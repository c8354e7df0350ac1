// The responder's sockets: UDP and TCP on every configured address. UDP goes through the native batch socket
// (recvmmsg/sendmmsg, one JS call per batch, answers written in place) when it is built, else node:dgram; TCP
// (RFC 7766: length-prefixed messages, pipelined, idle timeout, a connection cap) through node:net.
import dgram from 'node:dgram';
import net from 'node:net';
import type Logger from 'bunyan';
import { Afi } from '../bgp/index.js';
import type { DnsConfig, ListenConfig } from '../config/index.js';
import { readAddress, type ParsedAddress } from '../rib/index.js';
import type { DnsResponder } from './responder.js';
import { loadUdpBatch, udpBatchUnavailableReason, type UdpBatchSocket } from './udp-batch.js';

/** Datagrams read per batch by the native socket, and the room for each (a query or its answer). */
const BATCH = 64;
const SLOT = 4096;
/** UDP socket buffers asked for (the native socket asks the same). */
const UDP_BUFFER = 4 << 20;
/** Bytes a TCP client may leave unread before we drop it (it asks but does not read). */
const TCP_MAX_UNREAD = 1 << 20;

export interface DnsServerOptions {
  /** Use the native batch socket when it is built (default true); false forces node:dgram. */
  native?: boolean;
  /** SO_REUSEPORT on the UDP sockets, so several threads can answer on one port (native only). */
  reusePort?: boolean;
  /** Listen on TCP too (default true): a DNS worker thread answers UDP only (TCP stays with the daemon). */
  tcp?: boolean;
}

/** A bound address: what the listener asked for and the port it got (port 0 picks a free one). */
export interface BoundAddress {
  address: string;
  port: number;
}

interface UdpListener {
  close(): void;
  port: number;
}

export class DnsServer {
  private readonly udp: UdpListener[] = [];
  private readonly tcp: net.Server[] = [];
  private readonly connections = new Set<net.Socket>();
  private readonly client: ParsedAddress = { afi: Afi.IPv4, a: 0, b: 0, c: 0, d: 0 };
  /** The dgram path's answer buffer (copied out per answer: dgram sends asynchronously). */
  private readonly out = Buffer.alloc(SLOT);
  /** Which UDP path runs ('native' or 'dgram'), for logs and tests. */
  udpPath: 'native' | 'dgram' = 'dgram';
  bound: BoundAddress[] = [];

  constructor(
    private readonly responder: DnsResponder,
    private config: DnsConfig,
    private readonly log: Logger,
    private readonly options: DnsServerOptions = {},
  ) {}

  /**
   * Binds UDP then TCP on each address (the same port for both: a free one when the configured port is 0).
   * On failure, closes whatever it bound and throws.
   */
  async start(): Promise<void> {
    const batch = this.options.native === false ? null : loadUdpBatch();
    this.udpPath = batch ? 'native' : 'dgram';
    if (!batch && this.options.native !== false) {
      this.log.warn({ reason: udpBatchUnavailableReason() }, 'DNS: the native UDP socket is not built; answering through node:dgram (about half the queries per core)');
    }
    try {
      for (const l of this.config.listen) {
        for (let attempt = 0; ; attempt++) {
          const udp = batch ? this.nativeUdp(batch, l) : await this.dgramUdp(l);
          try {
            if (this.options.tcp !== false) this.tcp.push(await this.listenTcp({ address: l.address, port: udp.port }));
            this.udp.push(udp);
            this.bound.push({ address: l.address, port: udp.port });
            break;
          } catch (err) {
            udp.close();
            // A free UDP port whose TCP twin is taken: pick another pair.
            if (l.port !== 0 || attempt >= 20 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
          }
        }
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    const tcp = this.options.tcp !== false ? ', and TCP' : '';
    this.log.info({ listen: this.bound, udp: this.udpPath }, `DNS responder listening on ${this.bound.map(formatBound).join(', ')} (UDP through ${this.udpPath === 'native' ? 'recvmmsg/sendmmsg' : 'node:dgram'}${tcp})`);
  }

  /** Applies new limits (the TCP idle timeout and connection cap); new addresses need a restart. */
  reconfigure(config: DnsConfig): void {
    this.config = config;
    for (const t of this.tcp) t.maxConnections = config.tcp.maxConnections;
  }

  async stop(): Promise<void> {
    for (const u of this.udp.splice(0)) u.close();
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    await Promise.all(this.tcp.splice(0).map((t) => new Promise<void>((resolve) => t.close(() => resolve()))));
    this.bound = [];
  }

  // ---------------------------------------------------------------- UDP

  private nativeUdp(batch: NonNullable<ReturnType<typeof loadUdpBatch>>, l: ListenConfig): UdpListener {
    const responder = this.responder;
    const latency = responder.stats.latency;
    const v6 = net.isIPv6(l.address);
    let socket: UdpBatchSocket | null = null;
    socket = batch.open({
      family: v6 ? 6 : 4,
      address: l.address,
      port: l.port,
      reusePort: this.options.reusePort ?? false,
      batch: BATCH,
      slotSize: SLOT,
      onBatch: (count: number) => {
        // Every answer of a batch leaves when the batch is done: each waited the batch's whole time.
        const started = performance.now();
        const s = socket!;
        const rx = s.rx;
        const tx = s.tx;
        const rxLen = s.rxLen;
        const txLen = s.txLen;
        const peer = s.peer;
        let answered = 0;
        for (let i = 0; i < count; i++) {
          const len = rxLen[i]!;
          if (len < 0) {
            txLen[i] = 0;
            continue;
          }
          const p = i * 20;
          let afi = Afi.IPv4;
          let a: number;
          let b = 0;
          let c = 0;
          let d = 0;
          if (peer[p] === 4) a = word(peer, p + 4);
          else {
            afi = Afi.IPv6;
            a = word(peer, p + 4);
            b = word(peer, p + 8);
            c = word(peer, p + 12);
            d = word(peer, p + 16);
          }
          const n = responder.answer(rx, i * SLOT, len, afi, a, b, c, d, false, tx, i * SLOT, SLOT);
          txLen[i] = n;
          if (n > 0) answered++;
        }
        if (answered > 0) latency.record((performance.now() - started) / 1000, answered);
      },
    });
    return { port: socket.port(), close: () => socket!.close() };
  }

  private dgramUdp(l: ListenConfig): Promise<UdpListener> {
    const v6 = net.isIPv6(l.address);
    const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
    const client = this.client;
    const latency = this.responder.stats.latency;
    socket.on('message', (msg, rinfo) => {
      const started = performance.now();
      if (!readAddress(rinfo.address, client)) return;
      const n = this.responder.answer(msg, 0, msg.length, client.afi, client.a, client.b, client.c, client.d, false, this.out, 0, SLOT);
      if (n > 0) {
        socket.send(Buffer.from(this.out.subarray(0, n)), rinfo.port, rinfo.address);
        latency.record((performance.now() - started) / 1000, 1);
      }
    });
    socket.on('error', (err) => this.log.warn({ err }, 'DNS: UDP socket error'));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(l.port, l.address, () => {
        socket.off('error', reject);
        // A burst of queries waits in the socket's buffer while we answer: the default (~200 KiB, ~270
        // datagrams) drops some. Linux caps it at net.core.rmem_max without complaint.
        try {
          socket.setRecvBufferSize(UDP_BUFFER);
          socket.setSendBufferSize(UDP_BUFFER);
        } catch (err) {
          this.log.debug({ err }, 'DNS: could not enlarge the UDP socket buffers');
        }
        resolve({ port: socket.address().port, close: () => socket.close() });
      });
    });
  }

  // ---------------------------------------------------------------- TCP

  private listenTcp(l: ListenConfig): Promise<net.Server> {
    const server = net.createServer((socket) => this.tcpConnection(socket));
    server.maxConnections = this.config.tcp.maxConnections;
    server.on('drop', () => this.log.debug('DNS: TCP connection refused: at the connection cap'));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: l.port, host: l.address, ipv6Only: net.isIPv6(l.address) }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.warn({ err }, 'DNS: TCP listener error'));
        resolve(server);
      });
    });
  }

  /** One TCP client: length-prefixed queries, answered in order as they complete (RFC 7766 6.2.1). */
  private tcpConnection(socket: net.Socket): void {
    this.connections.add(socket);
    const client: ParsedAddress = { afi: Afi.IPv4, a: 0, b: 0, c: 0, d: 0 };
    if (!readAddress(socket.remoteAddress ?? '', client)) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setTimeout(this.config.tcp.idleTimeoutSeconds * 1000, () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    const out = Buffer.allocUnsafe(2 + 65535);
    // The idle timeout restarts at every byte: a client announcing 65535 bytes and sending one a second would hold
    // its slot for 18 hours. A message must be whole within the idle timeout of its first byte, however it trickles.
    let messageTimer: NodeJS.Timeout | null = null;
    const messageStalled = () => {
      this.log.debug({ client: socket.remoteAddress }, 'DNS: TCP message not whole within the idle timeout: closed');
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let p = 0;
      while (pending.length - p >= 2) {
        const length = pending.readUInt16BE(p);
        if (pending.length - p - 2 < length) break;
        const started = performance.now();
        const n = this.responder.answer(pending, p + 2, length, client.afi, client.a, client.b, client.c, client.d, true, out, 2, 65535);
        p += 2 + length;
        if (n === 0) continue;
        out.writeUInt16BE(n, 0);
        socket.write(Buffer.from(out.subarray(0, n + 2)));
        this.responder.stats.latency.record((performance.now() - started) / 1000, 1);
      }
      // A message ended here (p > 0), or none is pending: the next one, if begun, gets its own deadline.
      if (messageTimer !== null && (p > 0 || p === pending.length)) {
        clearTimeout(messageTimer);
        messageTimer = null;
      }
      pending = p === pending.length ? Buffer.alloc(0) : pending.subarray(p);
      if (pending.length > 0 && messageTimer === null) messageTimer = setTimeout(messageStalled, this.config.tcp.idleTimeoutSeconds * 1000);
      if (socket.writableLength > TCP_MAX_UNREAD) {
        this.log.debug({ client: socket.remoteAddress }, 'DNS: TCP client does not read its answers: closed');
        socket.destroy();
      }
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (messageTimer !== null) clearTimeout(messageTimer);
      messageTimer = null;
      this.connections.delete(socket);
    });
  }
}

function word(bytes: Uint8Array, p: number): number {
  // int32: a uint32 above 2^31 would cross calls as a boxed double.
  return (bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!;
}

function formatBound(b: BoundAddress): string {
  return net.isIPv6(b.address) ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
}

