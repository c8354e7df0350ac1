import { Afi } from '../bgp/index.js';
import type { RibReader } from '../rib/index.js';
import type { Speaker } from '../session/index.js';
import type { Proximity } from '../proximity/index.js';
import { DecisionRequests, type DecisionListener } from './decisions.js';
import type { ControlRequest, MemoryJson, SnapshotJson } from './protocol.js';
import { findRoute } from './routes.js';

/**
 * A second source of decisions (the daemon's route-server fallback): while `active`, the decision requests are
 * answered by its `proximity`, over its `reader`, once resolve() has brought the addresses into it.
 */
export interface DecisionFallback {
  readonly active: boolean;
  readonly proximity: Proximity;
  readonly reader: RibReader;
  resolve(addresses: readonly string[]): Promise<void>;
  status(): unknown;
}

/** Writes the RIB as an MRT snapshot to an absolute path (the daemon's saveRibSnapshot, one save at a time). */
export type SnapshotSaver = (file: string) => Promise<SnapshotJson>;

/**
 * Answers control requests from the speaker's neighbors, the RIB and the proximity decision. `onDecision` is told
 * of each decision that query, answers and explain make (the daemon counts them for its metrics).
 */
export function createControlHandler(
  speaker: Speaker,
  rib: RibReader,
  reload?: () => Promise<unknown>,
  proximity?: Proximity,
  fallback?: DecisionFallback | null,
  saveSnapshot?: SnapshotSaver,
  onDecision: DecisionListener | null = null,
) {
  const decisions = proximity ? new DecisionRequests(proximity, onDecision) : null;
  const fallbackDecisions = fallback ? new DecisionRequests(fallback.proximity, onDecision) : null;
  const needDecisions = (): DecisionRequests => {
    if (!decisions) throw new Error('no POP decision in this daemon');
    return decisions;
  };
  // While the fallback is active, a decision request first brings its addresses from the route server.
  const decide = <T>(addresses: unknown, answer: (d: DecisionRequests) => T): T | Promise<T> => {
    if (!fallback?.active) return answer(needDecisions());
    const list = Array.isArray(addresses) ? addresses.filter((a): a is string => typeof a === 'string') : [];
    return fallback.resolve(list).then(() => answer(fallbackDecisions!));
  };
  const neighborOf = (address: unknown) => {
    if (typeof address !== 'string') throw new Error('"neighbor" (an address) is required');
    const n = speaker.neighbor(address);
    if (!n) throw new Error(`no configured neighbor ${address}`);
    return n;
  };
  // A plain function, not async: what it can answer at once (lookups, decisions) it returns as a value, which the
  // control server writes back without a round of promises; what must wait (shutdown, reload) returns a promise.
  return (request: ControlRequest): unknown => {
    switch (request.command) {
      case 'neighbors':
        return speaker.status();
      case 'routes': {
        const target = request.target;
        if (typeof target !== 'string') throw new Error('"target" (an address or prefix) is required');
        if (!fallback?.active || target.includes('/')) return findRoute(rib, target);
        return fallback.resolve([target]).then(() => findRoute(fallback.reader, target));
      }
      case 'route-refresh': {
        const family = request.family;
        if (family !== undefined && family !== 'ipv4' && family !== 'ipv6') throw new Error('"family" must be ipv4 or ipv6');
        const families = neighborOf(request.neighbor).routeRefresh(family === undefined ? undefined : family === 'ipv4' ? Afi.IPv4 : Afi.IPv6);
        return { neighbor: request.neighbor, families };
      }
      case 'shutdown': {
        const n = neighborOf(request.neighbor);
        return n.shutdown(typeof request.message === 'string' ? request.message : undefined).then(() => n.status());
      }
      case 'enable': {
        const n = neighborOf(request.neighbor);
        n.start();
        return n.status();
      }
      case 'reload':
        if (!reload) throw new Error('reload is not available');
        return reload();
      case 'memory':
        return memoryOf(rib);
      case 'mrt-save': {
        if (!saveSnapshot) throw new Error('mrt-save is not available');
        const file = request.file;
        // The daemon's working directory is not the client's: the client resolves the path.
        if (typeof file !== 'string' || !file.startsWith('/')) throw new Error('"file" (an absolute path) is required');
        return saveSnapshot(file);
      }
      case 'query':
        return decide(request.addresses, (d) => d.query(request.addresses, request.limit));
      case 'answers':
        return decide(request.addresses, (d) => d.answers(request.addresses, request.format));
      case 'first-as':
        return decide(request.addresses, (d) => d.firstAs(request.addresses));
      case 'explain':
        return decide([request.address], (d) => d.explain(request.address));
      case 'route-server':
        return fallback ? fallback.status() : null;
      case 'pops':
        return needDecisions().pops();
      case 'pop-drain':
      case 'pop-undrain':
        return needDecisions().drain(request.pop, request.command === 'pop-drain');
      default:
        throw new Error(`unknown command ${JSON.stringify((request as { command: unknown }).command)}`);
    }
  };
}

/** Where the memory goes: the RIB's typed arrays part by part, and the process as the kernel and V8 see it. */
function memoryOf(rib: RibReader): MemoryJson {
  const m = process.memoryUsage();
  return {
    rib: rib.memory(),
    process: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, arrayBuffers: m.arrayBuffers },
  };
}
