// The route-server fallback in the daemon: while no BGP session is Established, decisions come from a route
// server's console (src/routeserver) instead of the (empty or stale) BGP table. The decision is the classic rule
// over the console's best path, made by a second Proximity over the adapter's cache, with the POPs, overrides,
// drains and health checks of the daemon's own.
import type bunyanType from 'bunyan';
import type { Afi } from '../bgp/index.js';
import type { Config, RouteServerConfig } from '../config/index.js';
import type { DecisionFallback } from '../control/index.js';
import type { DnsFallback } from '../dns/index.js';
import { DownReason, Proximity, type Decision, type ProximitySetup } from '../proximity/index.js';
import type { RibReader } from '../rib/index.js';
import { RouteServer, type RouteServerOptions, type RouteServerStatus } from '../routeserver/index.js';
import { proximitySetup } from './setup.js';

/** The fallback's decision: the classic rule (a console gives one best path, not a view per POP), no tagged neighbors. */
function fallbackSetup(config: Config): ProximitySetup {
  const setup = proximitySetup(config);
  return { ...setup, proximity: { rule: 'classic', self: setup.proximity.self }, neighborPops: [] };
}

function adapterOptions(c: RouteServerConfig, log: bunyanType): RouteServerOptions {
  const child = log.child({ component: 'route-server' });
  return {
    kind: c.type,
    host: c.host,
    port: c.port,
    password: c.password,
    username: c.username,
    timeoutMs: c.timeoutSeconds * 1000,
    cacheTimeoutMs: c.cacheTimeoutSeconds * 1000,
    cacheSize: c.cacheSize,
    listMoreSpecifics: c.listMoreSpecifics,
    log: { debug: (f, m) => child.debug(f, m), info: (f, m) => child.info(f, m), warn: (f, m) => child.warn(f, m) },
  };
}

export interface FallbackStatus extends RouteServerStatus {
  /** Answering now (no BGP session is Established). */
  active: boolean;
}

export class Fallback implements DnsFallback, DecisionFallback {
  readonly proximity: Proximity;
  private readonly adapter: RouteServer;
  private settings: string;
  private established = new Set<string>();
  private readonly unsubscribe: Array<() => void> = [];
  /** Console lookups a DNS miss started that have not come back (bounded: a flood of new addresses waits its turn). */
  private background = 0;
  private lastBackgroundError = 0;

  constructor(
    config: Config,
    rib: RibReader,
    private readonly main: Proximity,
    private readonly log: bunyanType,
  ) {
    this.adapter = new RouteServer(adapterOptions(config.routeServer!, log));
    this.settings = JSON.stringify(config.routeServer);
    this.proximity = new Proximity(this.adapter.reader, fallbackSetup(config));
    this.mirrorOperatorStates();
    for (const n of rib.neighbors()) if (n.up) this.established.add(n.address);
    this.unsubscribe.push(
      rib.onNeighborState((address, up) => {
        const before = this.active;
        if (up) this.established.add(address);
        else this.established.delete(address);
        if (before !== this.active) this.logState();
      }),
      main.onOperatorState(() => this.mirrorOperatorStates()),
    );
    this.logState();
  }

  /** No BGP session is Established: the route server answers. */
  get active(): boolean {
    return this.established.size === 0;
  }

  get reader(): RibReader {
    return this.adapter.reader;
  }

  private logState(): void {
    const c = this.adapter.options;
    if (this.active) this.log.warn({ host: c.host, port: c.port }, `no BGP session is Established: answering from the route server ${c.host} port ${c.port}`);
    else this.log.info({ host: c.host, port: c.port }, 'a BGP session is Established: the route-server fallback stands by');
  }

  /** Drains and health-check results hold for the fallback's decision as for the daemon's. */
  private mirrorOperatorStates(): void {
    for (const pop of this.main.pops) {
      const name = pop.config.name;
      if (!this.proximity.pop(name)) continue;
      this.proximity.setDrained(name, (pop.down & DownReason.Drained) !== 0);
      this.proximity.setCheck(name, (pop.down & DownReason.Check) === 0, pop.checkReason ?? 'no check');
    }
  }

  /**
   * DNS: decides from the cache when it holds the address; otherwise asks the console in the background (the
   * next query finds the answer) and returns false, and the responder answers self with its short TTL.
   */
  decide(afi: Afi, a: number, b: number, c: number, d: number, out: Decision, limit: number): boolean {
    if (this.adapter.covers(afi, a, b, c, d)) {
      const scope = this.adapter.coveredScope;
      this.proximity.decide(afi, a, b, c, d, out, limit);
      if (scope > out.scope) out.scope = scope;
      return true;
    }
    if (this.background < 64) {
      this.background++;
      this.adapter
        .resolve({ afi, a, b, c, d })
        .catch((err: Error) => {
          // One line a minute at most: a console that is away would otherwise log every query.
          if (Date.now() - this.lastBackgroundError < 60_000) return;
          this.lastBackgroundError = Date.now();
          this.log.warn({ err: err.message }, `route server: a DNS lookup failed, answering self: ${err.message}`);
        })
        .finally(() => this.background--);
    }
    return false;
  }

  /** The control socket: makes the cache hold every address of a request (failures leave them to self). */
  async resolve(addresses: readonly string[]): Promise<void> {
    await Promise.all(
      addresses.map((text) =>
        this.adapter.resolve(text.trim()).catch((err: Error) => {
          this.log.debug({ address: text, err: err.message }, 'route server: lookup failed, answering self');
        }),
      ),
    );
  }

  status(): FallbackStatus {
    return { active: this.active, ...this.adapter.status() };
  }

  reconfigure(config: Config): void {
    const settings = JSON.stringify(config.routeServer);
    if (settings !== this.settings) {
      // Another console (or other settings): reconnect and forget what the old one said.
      this.adapter.configure(adapterOptions(config.routeServer!, this.log));
      this.settings = settings;
    }
    this.proximity.configure(fallbackSetup(config));
    this.mirrorOperatorStates();
  }

  close(): void {
    for (const u of this.unsubscribe) u();
    this.adapter.close();
    this.proximity.close();
  }
}
