// Loads a packed table into a started receiver over one real BGP session from the built-in router peer and waits
// until the receiver reports every prefix installed (its own counter, polled over its control socket). The
// session stays up: a receiver withdraws the routes when it goes, so the caller stops the feeder when done.
import { BgpFeeder, type PackedTable } from '../../src/replay/index.js';
import { sleep } from '../../test/helpers/peers/process.js';
import type { Receiver } from './receivers.js';

export interface FeedOptions {
  /** Where the receiver listens. */
  host: string;
  port: number;
  /** The feeder's own address (the receiver's configured neighbor). */
  localAddress: string;
  /** The AS the feeder speaks as (first in every AS_PATH of the table). */
  feederAs: number;
  receiverAs: number;
  pollMs?: number;
  timeoutMs?: number;
  /**
   * Prefixes the receiver may refuse (FRR drops martians such as 0.0.0.0/8 or 127.0.0.0/8 a RIS table carries):
   * the load counts as done once every UPDATE is sent and this few at most are missing.
   */
  mayRefuse?: number;
}

/** Sends the whole table and resolves, with the feeder still Established, once the receiver has it all. */
export async function feedTable(receiver: Pick<Receiver, 'name' | 'installed'>, table: PackedTable, o: FeedOptions): Promise<{ feeder: BgpFeeder; seconds: number }> {
  const feeder = await connectRetrying(o);
  try {
    const t0 = process.hrtime.bigint();
    let sent = false;
    const sending = feeder.send(table.chunks, table.messages).then(() => feeder.sendEndOfRib()).then(() => {
      sent = true;
    });
    sending.catch(() => undefined);
    const expected = table.ipv4 + table.ipv6;
    const enough = expected - (o.mayRefuse ?? 0);
    const timeoutMs = o.timeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const installed = await receiver.installed();
      if (installed >= expected || (sent && installed >= enough)) break;
      if (feeder.state === 'Closed') throw new Error(`${receiver.name}: session closed during load (${feeder.closeReason}) at ${installed} prefixes`);
      if (Date.now() > deadline) throw new Error(`${receiver.name}: only ${installed} of ${expected} prefixes after ${timeoutMs / 1000} s`);
      await sleep(o.pollMs ?? 20);
    }
    await sending;
    return { feeder, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  } catch (err) {
    await feeder.stop('load failed');
    throw err;
  }
}

/**
 * Connects, retrying while the receiver's BGP port refuses for a moment: BIRD says "Daemon is up" on its control
 * socket before its BGP protocol has opened the listening socket.
 */
async function connectRetrying(o: FeedOptions): Promise<BgpFeeder> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await BgpFeeder.connect({
        host: o.host,
        port: o.port,
        localAddress: o.localAddress,
        localAs: o.feederAs,
        remoteAs: o.receiverAs,
        routerId: o.localAddress,
        holdTime: 240,
      });
    } catch (err) {
      if (!/ECONNREFUSED/.test((err as Error).message) || Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}
