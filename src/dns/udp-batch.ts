/**
 * The udp_batch addon (native/udp_batch.c): a UDP socket that receives and sends datagrams in batches
 * (Linux recvmmsg/sendmmsg) and calls JS once per batch over buffers it shares with JS. It answers about
 * twice the queries per core of node:dgram, which pays two syscalls, an allocation, an address object and a
 * callback per datagram. Optional: when it was not built (not Linux, no compiler) loadUdpBatch() gives null
 * and the responder uses node:dgram.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface UdpBatchOptions {
  family: 4 | 6;
  address: string;
  /** 0: any free port (see port()). */
  port: number;
  /** SO_REUSEPORT: several processes or worker threads each open a socket on one port; the kernel spreads clients by flow. */
  reusePort?: boolean;
  /** Datagrams per batch, 1..1024 (default 64). */
  batch?: number;
  /** Bytes per datagram slot, 1..65536 (default 4096); a larger datagram is received truncated (rxLen -1). */
  slotSize?: number;
  /**
   * Called with the number of datagrams received (1..batch). Datagram i is rx[i*slotSize, i*slotSize + rxLen[i]);
   * to reply, write the answer at tx[i*slotSize] and set txLen[i] to its length (txLen is zero on entry). Replies
   * go out when it returns, to the address datagram i came from. A throw goes to process 'uncaughtException'
   * as from any node callback; the replies set before it still go out.
   */
  onBatch: (count: number) => void;
}

export interface UdpBatchStats {
  /** Datagrams received, truncated ones included. */
  received: number;
  sent: number;
  /** Replies not sent: the socket buffer was full (EAGAIN, ENOBUFS), sendmmsg refused one, or txLen > slotSize. */
  dropped: number;
  /** onBatch calls. */
  batches: number;
}

/**
 * The socket's buffers are created once and valid until close(); only slots below onBatch's count hold this
 * batch's data. Use the socket from the thread that opened it only.
 */
export interface UdpBatchSocket {
  readonly batch: number;
  readonly slotSize: number;
  /** Received datagrams, slot i at i*slotSize. */
  readonly rx: Buffer;
  /** Length of datagram i; -1 when it was larger than slotSize (MSG_TRUNC: rx holds its first slotSize bytes). */
  readonly rxLen: Int32Array;
  /**
   * The sender of datagram i, 20 bytes at i*20: [0] 4 or 6, [2..3] port big-endian, [4..] the address (4 bytes,
   * or 16 on an IPv6 socket, where an IPv4-mapped source stays ::ffff:a.b.c.d).
   */
  readonly peer: Uint8Array;
  /** Replies, slot i at i*slotSize. */
  readonly tx: Buffer;
  /** Length of reply i; 0 (the value on entry to onBatch) sends nothing. */
  readonly txLen: Int32Array;
  /** Stops receiving and closes the socket at once (the port is free on return); idempotent, safe inside onBatch. */
  close(): void;
  /** The bound port (the one chosen when opened with port 0). */
  port(): number;
  stats(): UdpBatchStats;
}

export interface UdpBatch {
  /** Throws an Error whose code is the errno name (EADDRINUSE, EADDRNOTAVAIL, ...) when the socket cannot be opened. */
  open(options: UdpBatchOptions): UdpBatchSocket;
}

/** What build/Release/udp_batch.node exports (see native/udp_batch.c). */
interface NativeSocket {
  rx: ArrayBuffer;
  rxLen: Int32Array;
  peer: Uint8Array;
  tx: ArrayBuffer;
  txLen: Int32Array;
  close(): void;
  port(): number;
  stats(): UdpBatchStats;
}

interface NativeModule {
  open(options: Required<UdpBatchOptions>): NativeSocket;
}

let loaded: UdpBatch | null | undefined;
let unavailable: string | null = null;

/** The directory holding package.json above this file (src/dns from sources, dist/src/dns when compiled). */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function load(): UdpBatch | null {
  if (process.platform !== 'linux') {
    unavailable = `the udp_batch addon is Linux only (this is ${process.platform})`;
    return null;
  }
  const root = packageRoot();
  if (root === null) {
    unavailable = 'no package.json above src/dns/udp-batch, so no build/Release/udp_batch.node';
    return null;
  }
  const file = join(root, 'build', 'Release', 'udp_batch.node');
  if (!existsSync(file)) {
    unavailable = `${file} is missing (not built: npm run build:native)`;
    return null;
  }
  let native: NativeModule;
  try {
    native = createRequire(import.meta.url)(file) as NativeModule;
  } catch (err) {
    unavailable = `${file} did not load: ${(err as Error).message}`;
    return null;
  }
  return {
    open(o: UdpBatchOptions): UdpBatchSocket {
      const batch = o.batch ?? 64;
      const slotSize = o.slotSize ?? 4096;
      const s = native.open({ family: o.family, address: o.address, port: o.port, reusePort: o.reusePort ?? false, batch, slotSize, onBatch: o.onBatch });
      return {
        batch,
        slotSize,
        rx: Buffer.from(s.rx),
        rxLen: s.rxLen,
        peer: s.peer,
        tx: Buffer.from(s.tx),
        txLen: s.txLen,
        close: () => s.close(),
        port: () => s.port(),
        stats: () => s.stats(),
      };
    },
  };
}

/** The addon, or null when it is not built or does not load (udpBatchUnavailableReason() says why). Loads once. */
export function loadUdpBatch(): UdpBatch | null {
  if (loaded === undefined) loaded = load();
  return loaded;
}

/** Why loadUdpBatch() gives null; null when the addon loaded. */
export function udpBatchUnavailableReason(): string | null {
  loadUdpBatch();
  return unavailable;
}
