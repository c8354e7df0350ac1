// A DNS worker thread: its own copy of the RIB (a replica fed by the daemon's RibJournal), its own decision and
// responder, and a UDP socket on the daemon's port (SO_REUSEPORT: the kernel spreads the resolvers' flows over
// the daemon and its workers). Everything it cannot derive from the routes (drains, health checks, the table
// having loaded, a reloaded configuration) comes from the daemon as messages. See DnsWorkers.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type bunyanType from 'bunyan';
import { Afi } from '../bgp/index.js';
import type { Config, ListenConfig } from '../config/index.js';
import { DnsResponder, DnsServer, type LatencyJson } from '../dns/index.js';
import { Proximity, type DecisionCountsJson } from '../proximity/index.js';
import { createRib, RibReplica } from '../rib/index.js';
import { proximitySetup } from './setup.js';

const bunyan = createRequire(import.meta.url)('bunyan') as typeof bunyanType;

/** What the daemon starts a worker with. */
export interface DnsWorkerData {
  index: number;
  config: Config;
  /** The daemon's bound DNS addresses: the worker binds the same ports. */
  bound: ListenConfig[];
}

/** A drain or health check state the worker copies (DnsWorkers.popStates). */
export interface PopOperatorState {
  name: string;
  drained: boolean;
  check: { up: boolean; reason: string } | null;
}

/** Messages from the daemon. */
export type ToWorker =
  | { t: 'rib'; chunk: ArrayBuffer }
  | { t: 'pops'; states: PopOperatorState[] }
  | { t: 'loaded' }
  | { t: 'config'; config: Config }
  | { t: 'stats'; id: number }
  | { t: 'stop' };

/** Messages to the daemon. */
export type FromWorker =
  | { t: 'ready' }
  | { t: 'log'; record: Record<string, unknown> }
  | { t: 'failed'; message: string }
  | { t: 'stats'; id: number; stats: WorkerStats }
  | { t: 'stopped' };

export interface WorkerStats {
  /** The worker thread's id: a replaced worker has another (its counters start again from zero). */
  threadId: number;
  queries: number;
  dropped: number;
  truncated: number;
  ecs: number;
  byType: number[];
  byRcode: number[];
  decisions: DecisionCountsJson;
  latency: LatencyJson;
  /** Prefixes in the replica's Loc-RIB per family, and its routes (to check it follows the daemon's). */
  prefixes: { ipv4: number; ipv6: number };
  routes: number;
}

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as DnsWorkerData;
  const post = (m: FromWorker) => port.postMessage(m);
  // Log records go to the daemon, which writes them where its own go (stderr or log.file).
  const log = bunyan.createLogger({
    name: 'supersparrow',
    worker: data.index,
    level: data.config.log.level,
    streams: [{ type: 'raw', level: data.config.log.level, stream: { write: (record: object) => post({ t: 'log', record: record as Record<string, unknown> }) } as never }],
  });
  let config = data.config;
  const { writer, reader } = createRib();
  const replica = new RibReplica(writer);
  const proximity = new Proximity(reader, proximitySetup(config));
  const responder = new DnsResponder(proximity, config.dns!);
  const server = new DnsServer(responder, { ...config.dns!, listen: data.bound }, log, { native: true, reusePort: true, tcp: false });
  let failed = false;
  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'rib':
        if (failed) return;
        try {
          replica.apply(m.chunk);
        } catch (err) {
          // A replica that lost its way answers nothing rather than wrong answers: the daemon restarts us.
          failed = true;
          post({ t: 'failed', message: `the RIB replica failed: ${(err as Error).message}` });
        }
        return;
      case 'pops':
        for (const s of m.states) {
          if (!proximity.pop(s.name)) continue;
          proximity.setDrained(s.name, s.drained);
          if (s.check) proximity.setCheck(s.name, s.check.up, s.check.reason);
        }
        return;
      case 'loaded':
        responder.loaded = true;
        return;
      case 'config':
        config = m.config;
        proximity.configure(proximitySetup(config));
        responder.configure(config.dns!);
        return;
      case 'stats': {
        const s = responder.stats;
        post({
          t: 'stats',
          id: m.id,
          stats: {
            threadId,
            queries: s.queries, dropped: s.dropped, truncated: s.truncated, ecs: s.ecs,
            byType: [...s.byType], byRcode: [...s.byRcode], decisions: s.decisions.toJSON(), latency: s.latency.toJSON(),
            prefixes: { ipv4: reader.prefixCount(Afi.IPv4), ipv6: reader.prefixCount(Afi.IPv6) },
            routes: reader.routeCount,
          },
        });
        return;
      }
      case 'stop':
        void server.stop().finally(() => {
          proximity.close();
          post({ t: 'stopped' });
          port.close();
        });
        return;
    }
  });
  try {
    await server.start();
  } catch (err) {
    post({ t: 'failed', message: `cannot answer on ${data.bound.map((b) => `${b.address}:${b.port}`).join(', ')}: ${(err as Error).message}` });
    port.close();
    return;
  }
  post({ t: 'ready' });
}

void main();
