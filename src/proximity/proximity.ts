import { Afi } from '../bgp/index.js';
import { LookupResult, parseAddress, type RibReader, type RibView } from '../rib/index.js';
import { hashName, hashPrefix, rendezvousScore } from './hash.js';
import { OverrideTable } from './overrides.js';
import type { OverrideConfig, PopConfig, ProximityConfig, ProximityRule } from './types.js';

/** What decided an answer (the rule of the POP ranked first). */
export const enum Rule {
  /** No POP is configured: there is nothing to answer. */
  None = 0,
  /** A static override covers the client. */
  Override,
  /** Classic: the best path's first AS is the POP's AS. */
  FirstAs,
  /** Classic: no POP's AS is first (no route, an empty path, an AS_SET first, another AS): self. */
  Self,
  /** Multi-view: the POP's view has the best route by the decision process. */
  Route,
  /** Multi-view: routes tie; the configured preference decided. */
  Preference,
  /** Routes and preference tie; the rendezvous hash of the prefix decided. */
  Hash,
  /** Multi-view: no POP's view has a route to the client: self. */
  NoRoute,
  /** The POPs the rule names are down: the next up POP (self first, then by preference and hash). */
  Fallback,
  /** Every POP is down: self. */
  AllDown,
}

export const RULE_NAMES: readonly string[] = ['none', 'override', 'first-as', 'self', 'route', 'preference', 'hash', 'no-route', 'fallback', 'all-down'];

/** Why a POP is down (bits; 0 = up). */
export const enum DownReason {
  /** Every neighbor tagged with the POP is down. */
  Sessions = 1,
  /** An operator drained it (`supersparrow pop drain`). */
  Drained = 2,
  /** `down: true` in the configuration. */
  Configured = 4,
  /** Its health check failed `fall` times in a row. */
  Check = 8,
}

/**
 * Where a decision leaves its answer: one object per caller, filled in place (a decision allocates nothing).
 * Make it with Proximity.newDecision().
 */
export class Decision {
  /** The client's family and address words (an IPv4-mapped IPv6 address as the IPv4 one it stands for). */
  afi: Afi = Afi.IPv4;
  a = 0;
  b = 0;
  c = 0;
  d = 0;
  /** The POP answered (an index into Proximity.pops), -1 when no POP is configured. */
  pop = -1;
  rule: Rule = Rule.None;
  /**
   * The ECS scope (RFC 7871): the length of the client's block whose every address gets this same decision by
   * the routes and overrides (POP states aside, which change in time, not across addresses).
   */
  scope = 0;
  /** The up POPs closest first (when every POP is down: self alone), `ranked` of them. */
  ranking: Int32Array;
  ranked = 0;
  /** The route the answer rests on: classic, the Loc-RIB's best path; multi-view, the winning POP's view's. */
  readonly route = new LookupResult();
  /** The override that decided (index in the family's override table), -1 when none. */
  override = -1;

  constructor(pops: number) {
    this.ranking = new Int32Array(Math.max(1, pops));
  }
}

/** A POP as the decision holds it. */
export interface Pop {
  readonly index: number;
  readonly config: PopConfig;
  /** Configured addresses of the neighbors tagged with it. */
  readonly neighbors: readonly string[];
  /** Its view (multi-view), null when it has none. */
  readonly view: RibView | null;
  /** DownReason bits; 0 = up. */
  down: number;
  /** The last health check result's reason ('ok' when up), null without a check. */
  checkReason: string | null;
  /** Date.now() of its last state change (or of the decision's start). */
  since: number;
  /** Times it went down or up since the start. */
  transitions: number;
}

export interface ProximitySetup {
  pops: readonly PopConfig[];
  proximity: ProximityConfig;
  overrides: readonly OverrideConfig[];
  /** Neighbors tagged with a POP (`pop: NAME`), by configured address. */
  neighborPops: readonly { address: string; pop: string }[];
}

/** Called on every POP state change, with why (e.g. 'drained', 'sessions down', 'check: ...'). */
export type PopStateListener = (pop: Pop, up: boolean, reason: string) => void;

/** The rule's candidates gathered for explain; filled only when asked (allocates). */
export interface RankTrace {
  /** For each POP index: the view lookup (multi-view) or null. */
  views: (LookupResult | null)[];
  /** The rule of each ranked position. */
  rules: Rule[];
  /** The classic rule's first AS (0 when none). */
  firstAs: number;
  /** The hash of the prefix the rendezvous used. */
  prefixHash: number;
}

/**
 * The proximity decision: which POP is network-wise closest to a client. Reads the RIB only through its reading
 * face; knows nothing of sockets, DNS or telnet. Rules (DESIGN.md):
 * - overrides first: the longest static override covering the client names the POP;
 * - classic (the original Super Sparrow): longest match in the Loc-RIB; if the best path's first AS is a POP's
 *   AS, that POP; otherwise self;
 * - multi-view: each POP's view (its tagged neighbors, and/or a community) gives its own longest match and best
 *   route; the POPs are ranked by the decision process's path-judging steps over those routes, then the configured
 *   preference, then a rendezvous hash of the matched prefix (so equal POPs share clients evenly and never flap).
 * A down POP (sessions, drain, `down: true`, health check) is never answered while another is up; when all are
 * down, self is. decide() ranks every up POP, closest first, and allocates nothing.
 */
export class Proximity {
  pops: Pop[] = [];
  rule: ProximityRule = 'classic';
  /** Index of the self POP, -1 when no POPs. */
  self = -1;
  private readonly overrides4 = new OverrideTable(Afi.IPv4);
  private readonly overrides6 = new OverrideTable(Afi.IPv6);
  /**
   * The POPs' ASes, as int32 (`as | 0`) like every AS the ranking compares: a first AS among them whose POPs are
   * all down makes self a fallback (classic).
   */
  private popAses = new Set<number>();
  private seeds = new Int32Array(0);
  private preference = new Int32Array(0);
  private upFlags = new Uint8Array(0);
  private popAs = new Int32Array(0);
  // scratch (sized with the POPs)
  private views: LookupResult[] = [];
  /** Each POP's view (null for none), in POP order: what lookupInViews reads. */
  private viewList: (RibView | null)[] = [];
  private viewRoute = new Int32Array(0);
  private cand = new Int32Array(0);
  private remaining = new Uint8Array(0);
  private tied = new Uint8Array(0);
  private viewCount = 0;
  private readonly listeners: PopStateListener[] = [];
  private readonly operatorListeners: ((pop: Pop) => void)[] = [];
  private trace: RankTrace | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    readonly rib: RibReader,
    setup: ProximitySetup,
  ) {
    this.configure(setup);
    this.unsubscribe = rib.onNeighborState(() => this.refreshSessions());
  }

  /** Stops following the RIB's neighbor states. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /**
   * Applies a (re)configuration. Runtime state follows each POP by name: an operator's drain stays, a health
   * check's last result stays (the daemon restarts checks whose settings changed).
   */
  configure(setup: ProximitySetup): void {
    const old = new Map(this.pops.map((p) => [p.config.name, p]));
    const now = Date.now();
    const tags = new Map<string, string[]>();
    for (const n of setup.neighborPops) {
      let list = tags.get(n.pop);
      if (!list) tags.set(n.pop, (list = []));
      list.push(n.address);
    }
    const multiView = setup.proximity.rule === 'multi-view';
    this.pops = setup.pops.map((config, index) => {
      const neighbors = tags.get(config.name) ?? [];
      const hasView = neighbors.length > 0 || config.community !== null || config.largeCommunity !== null;
      const view =
        multiView && hasView
          ? this.rib.view({
              neighbors: neighbors.length > 0 ? neighbors : undefined,
              community: config.community ?? undefined,
              largeCommunity: config.largeCommunity ?? undefined,
            })
          : null;
      const before = old.get(config.name);
      const drained = before !== undefined && (before.down & DownReason.Drained) !== 0;
      const checkDown = before !== undefined && config.check !== null && (before.down & DownReason.Check) !== 0;
      const pop: Pop = {
        index,
        config,
        neighbors,
        view,
        down: (drained ? DownReason.Drained : 0) | (config.down ? DownReason.Configured : 0) | (checkDown ? DownReason.Check : 0),
        checkReason: config.check === null ? null : (before?.checkReason ?? null),
        since: before?.since ?? now,
        transitions: before?.transitions ?? 0,
      };
      return pop;
    });
    const n = this.pops.length;
    this.rule = setup.proximity.rule;
    this.self = setup.proximity.self === null ? (n > 0 ? 0 : -1) : this.indexOf(setup.proximity.self);
    if (this.self < 0 && n > 0) this.self = 0;
    this.seeds = new Int32Array(n);
    this.preference = new Int32Array(n);
    this.upFlags = new Uint8Array(n);
    this.popAs = new Int32Array(n);
    this.views = this.pops.map(() => new LookupResult());
    this.viewList = this.pops.map((p) => p.view);
    this.viewRoute = new Int32Array(n);
    this.cand = new Int32Array(n);
    this.remaining = new Uint8Array(n);
    this.tied = new Uint8Array(n);
    this.viewCount = this.pops.filter((p) => p.view !== null).length;
    this.popAses = new Set(this.pops.map((p) => p.config.as | 0));
    for (const p of this.pops) {
      this.seeds[p.index] = hashName(p.config.name);
      this.preference[p.index] = p.config.preference;
      this.popAs[p.index] = p.config.as | 0;
    }
    const overrides = setup.overrides.map((o) => ({ prefix: o.prefix, pop: this.indexOf(o.pop) })).filter((o) => o.pop >= 0);
    this.overrides4.set(overrides);
    this.overrides6.set(overrides);
    for (const p of this.pops) {
      const before = old.get(p.config.name);
      this.applySessions(p);
      this.upFlags[p.index] = p.down === 0 ? 1 : 0;
      if (before !== undefined && (before.down === 0) !== (p.down === 0)) this.changed(p, p.down === 0, this.reasonText(p));
    }
  }

  /** Override i of a family (an index from Decision.override). */
  overrideAt(afi: Afi, i: number): { prefix: string; pop: string } {
    const t = afi === Afi.IPv4 ? this.overrides4 : this.overrides6;
    return { prefix: t.prefixes[i]!, pop: this.pops[t.popOf(i)]!.config.name };
  }

  /** POP index by name, -1 when none. */
  indexOf(name: string): number {
    return this.pops.findIndex((p) => p.config.name === name);
  }

  pop(name: string): Pop | undefined {
    return this.pops.find((p) => p.config.name === name);
  }

  /** A Decision sized for the POPs (decide() grows it after a reconfiguration that added POPs). */
  newDecision(): Decision {
    return new Decision(this.pops.length);
  }

  onPopState(listener: PopStateListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  // ---------------------------------------------------------------- availability

  isUp(index: number): boolean {
    return this.upFlags[index] === 1;
  }

  /** Drains (or undrains) a POP at run time; false when nothing changed. Throws on an unknown name. */
  setDrained(name: string, drained: boolean): boolean {
    const p = this.need(name);
    return this.setReason(p, DownReason.Drained, drained, drained ? 'drained by an operator' : 'undrained by an operator');
  }

  /** A health check result (from the daemon's HealthCheck): up, or down with why. */
  setCheck(name: string, up: boolean, reason: string): void {
    const p = this.need(name);
    p.checkReason = reason;
    this.setReason(p, DownReason.Check, !up, up ? `check: ${reason}` : `check failed: ${reason}`);
  }

  /** Re-reads the tagged neighbors' session states (called on every neighbor state change). */
  refreshSessions(): void {
    for (const p of this.pops) {
      const before = p.down;
      this.applySessions(p);
      if (before !== p.down) this.afterChange(p, before, (p.down & DownReason.Sessions) !== 0 ? 'every session of the POP is down' : 'a session of the POP is up');
    }
  }

  /** Why a POP is down, as words ('drained', 'sessions down', ...); empty when up. */
  reasons(p: Pop): string[] {
    const out: string[] = [];
    if (p.down & DownReason.Sessions) out.push('sessions down');
    if (p.down & DownReason.Drained) out.push('drained');
    if (p.down & DownReason.Configured) out.push('down in the configuration');
    if (p.down & DownReason.Check) out.push(`check failed: ${p.checkReason ?? ''}`);
    return out;
  }

  private reasonText(p: Pop): string {
    return p.down === 0 ? 'up' : this.reasons(p).join(', ');
  }

  private need(name: string): Pop {
    const p = this.pop(name);
    if (!p) throw new Error(`no POP named ${JSON.stringify(name)} (configured: ${this.pops.map((x) => x.config.name).join(', ') || 'none'})`);
    return p;
  }

  private applySessions(p: Pop): void {
    let down = p.neighbors.length > 0;
    for (const address of p.neighbors) {
      if (this.rib.isUp(address)) {
        down = false;
        break;
      }
    }
    p.down = down ? p.down | DownReason.Sessions : p.down & ~DownReason.Sessions;
  }

  private setReason(p: Pop, bit: DownReason, on: boolean, reason: string): boolean {
    const before = p.down;
    p.down = on ? p.down | bit : p.down & ~bit;
    if (before === p.down) return false;
    this.afterChange(p, before, reason);
    for (const l of this.operatorListeners) l(p);
    return true;
  }

  /**
   * Calls `listener` whenever a drain or a health check changes a POP's state, whether or not it went up or down
   * (the state a copy of the decision in another thread cannot derive from the routes). Returns the unsubscribe.
   */
  onOperatorState(listener: (pop: Pop) => void): () => void {
    this.operatorListeners.push(listener);
    return () => {
      const i = this.operatorListeners.indexOf(listener);
      if (i >= 0) this.operatorListeners.splice(i, 1);
    };
  }

  private afterChange(p: Pop, before: number, reason: string): void {
    const up = p.down === 0;
    this.upFlags[p.index] = up ? 1 : 0;
    if ((before === 0) !== up) this.changed(p, up, reason);
  }

  private changed(p: Pop, up: boolean, reason: string): void {
    p.since = Date.now();
    p.transitions++;
    for (const l of this.listeners) l(p, up, reason);
  }

  // ---------------------------------------------------------------- the decision (hot path)

  /**
   * Decides for a client address (IPv4: `a`; IPv6: four words, most significant first; int32 or uint32) and ranks
   * up to `limit` POPs, closest first, into `out`. Returns the POP answered (-1 when no POP is configured).
   * Allocation-free.
   */
  decide(afi: Afi, a: number, b: number, c: number, d: number, out: Decision, limit = 0x7fffffff): number {
    const n = this.pops.length;
    if (out.ranking.length < n) out.ranking = new Int32Array(n);
    if (afi === Afi.IPv6 && a === 0 && b === 0 && c === 0xffff) {
      // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 2.5.5.2), as a web server listening on :: reports
      // its IPv4 clients: the client is the IPv4 address.
      afi = Afi.IPv4;
      a = d;
    }
    if (afi === Afi.IPv4) b = c = d = 0;
    out.afi = afi;
    out.a = a;
    out.b = b;
    out.c = c;
    out.d = d;
    out.ranked = 0;
    out.override = -1;
    const route = out.route;
    if (n === 0) {
      this.rib.lookup(afi, a, b, c, d, route);
      out.pop = -1;
      out.rule = Rule.None;
      out.scope = route.scope;
      return -1;
    }
    const remaining = this.remaining;
    let up = 0;
    for (let i = 0; i < n; i++) up += remaining[i] = this.upFlags[i]!;
    const overrides = afi === Afi.IPv4 ? this.overrides4 : this.overrides6;
    let overridePop = -1;
    let overrideScope = 0;
    if (overrides.count > 0) {
      overridePop = overrides.match(a, b, c, d);
      overrideScope = overrides.scope;
      if (overridePop >= 0) out.override = overrides.matched;
    }
    if (this.rule === 'multi-view') this.rankMultiView(afi, a, b, c, d, out, limit, overridePop, up);
    else {
      this.rib.lookup(afi, a, b, c, d, route);
      // As int32 (| 0): a 4-octet AS above 2^31 read from the RIB's arrays is a double, boxed (16 bytes) when it
      // crosses a call the JIT did not inline, as rankClassic may not be once decide() sits under the responder.
      const firstAs = route.found ? this.rib.firstAs(route.attributes) | 0 : 0;
      // Words as int32 (| 0): uint32 above 2^31 would cross the call as boxed doubles.
      const key = route.found ? hashPrefix(route.a | 0, route.b | 0, route.c | 0, route.d | 0, route.length) : this.blockHash(afi, a, b, c, d, route.scope);
      out.scope = route.scope;
      this.rankClassic(firstAs, key, out, limit, overridePop, up);
    }
    if (overrideScope > out.scope) out.scope = overrideScope;
    out.pop = out.ranking[0]!;
    return out.pop;
  }

  /** decide() for an address given as text (allocates: CLI, tests). Throws on text that is not an address. */
  decideText(address: string, out = this.newDecision(), limit?: number): Decision {
    const p = parseAddress(address.trim());
    this.decide(p.afi, p.a, p.b, p.c, p.d, out, limit);
    return out;
  }

  /**
   * The classic rule given the first AS of the best path from elsewhere (a route server, another daemon): for
   * the CLI's original invocation. `firstAs` 0 = none (no route, empty path, AS_SET first). `prefixHash` keys the
   * hash between POPs of one AS (hashPrefix of the matched prefix). Allocation-free.
   */
  decideByFirstAs(firstAs: number, prefixHash: number, out: Decision, limit = 0x7fffffff): number {
    const n = this.pops.length;
    if (out.ranking.length < n) out.ranking = new Int32Array(n);
    out.ranked = 0;
    out.override = -1;
    out.scope = 0;
    if (n === 0) {
      out.pop = -1;
      out.rule = Rule.None;
      return -1;
    }
    let up = 0;
    for (let i = 0; i < n; i++) up += this.remaining[i] = this.upFlags[i]!;
    this.rankClassic(firstAs | 0, prefixHash | 0, out, limit, -1, up);
    out.pop = out.ranking[0]!;
    return out.pop;
  }

  /** Ranks for explain, with the trace of what each view matched (allocates). */
  decideTraced(afi: Afi, a: number, b: number, c: number, d: number, out: Decision): RankTrace {
    const trace: RankTrace = { views: this.pops.map(() => null), rules: [], firstAs: 0, prefixHash: 0 };
    this.trace = trace;
    try {
      this.decide(afi, a, b, c, d, out);
    } finally {
      this.trace = null;
    }
    return trace;
  }

  private blockHash(afi: Afi, a: number, b: number, c: number, d: number, scope: number): number {
    // No route: the client's block at the scope length (uniform by definition) keys the hash.
    if (afi === Afi.IPv4) return hashPrefix(scope === 0 ? 0 : (a >>> (32 - scope)) << (32 - scope), 0, 0, 0, scope);
    const m = (w: number, bits: number) => (bits <= 0 ? 0 : bits >= 32 ? w | 0 : (w >>> (32 - bits)) << (32 - bits));
    return hashPrefix(m(a, scope), m(b, scope - 32), m(c, scope - 64), m(d, scope - 96), scope);
  }

  /** Puts POP i next in the ranking with its rule and takes it out of the remaining ones. */
  private push(out: Decision, i: number, rule: Rule): void {
    if (out.ranked === 0) out.rule = rule;
    out.ranking[out.ranked++] = i;
    this.remaining[i] = 0;
    this.trace?.rules.push(rule);
  }

  /**
   * The POP among those flagged in `set` with the highest preference, then the highest rendezvous score for
   * `key`; -1 when the set is empty. `decidedBy` (out) tells whether preference or the hash told them apart.
   */
  private pickAmong(set: Uint8Array, key: number): number {
    let best = -1;
    let bestPref = 0;
    let bestScore = 0;
    let byHash = false;
    for (let i = 0; i < set.length; i++) {
      if (set[i] !== 1) continue;
      const pref = this.preference[i]!;
      if (best < 0 || pref > bestPref) {
        if (best >= 0) byHash = false;
        best = i;
        bestPref = pref;
        bestScore = rendezvousScore(key, this.seeds[i]!);
        continue;
      }
      if (pref < bestPref) continue;
      byHash = true;
      const score = rendezvousScore(key, this.seeds[i]!);
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    this.pickedByHash = byHash;
    return best;
  }

  /** Set by pickAmong: whether the pick needed the hash (equal preferences), else preference or no rival told. */
  private pickedByHash = false;

  private countIn(set: Uint8Array): number {
    let k = 0;
    for (let i = 0; i < set.length; i++) k += set[i]!;
    return k;
  }

  private rankClassic(firstAs: number, key: number, out: Decision, limit: number, overridePop: number, up: number): void {
    const remaining = this.remaining;
    if (this.trace) {
      this.trace.firstAs = firstAs >>> 0;
      this.trace.prefixHash = key;
    }
    if (up === 0) {
      this.push(out, this.self, Rule.AllDown);
      return;
    }
    if (overridePop >= 0 && remaining[overridePop] === 1) this.push(out, overridePop, Rule.Override);
    // The POPs whose AS is first, by preference then hash.
    const tied = this.tied;
    if (firstAs !== 0 && out.ranked < limit) {
      tied.fill(0);
      const n = this.pops.length;
      let any = 0;
      for (let i = 0; i < n; i++) {
        if (remaining[i] === 1 && this.popAs[i] === firstAs) {
          tied[i] = 1;
          any++;
        }
      }
      while (any > 0 && out.ranked < limit) {
        const i = this.pickAmong(tied, key);
        tied[i] = 0;
        any--;
        this.push(out, i, Rule.FirstAs);
      }
    }
    if (out.ranked < limit && remaining[this.self] === 1) {
      this.push(out, this.self, out.ranked === 0 && firstAs !== 0 && this.popAses.has(firstAs) ? Rule.Fallback : Rule.Self);
    }
    while (out.ranked < limit) {
      const i = this.pickAmong(remaining, key);
      if (i < 0) break;
      this.push(out, i, Rule.Fallback);
    }
  }

  private rankMultiView(afi: Afi, a: number, b: number, c: number, d: number, out: Decision, limit: number, overridePop: number, up: number): void {
    const n = this.pops.length;
    const remaining = this.remaining;
    const routes = this.viewRoute;
    const rib = this.rib;
    // Every view's own longest match and best route (down POPs too: explain shows them; they are few), from one
    // descent of the table.
    let scope = rib.lookupInViews(this.viewList, afi, a, b, c, d, this.views);
    let longest = -1;
    for (let i = 0; i < n; i++) {
      const r = this.views[i]!;
      if (this.viewList[i] === null) {
        routes[i] = -1;
        continue;
      }
      routes[i] = r.found ? r.route : -1;
      if (r.found && (longest < 0 || r.length > this.views[longest]!.length)) longest = i;
      if (this.trace) this.trace.views[i] = new LookupResult().copyFrom(r);
    }
    // Every view of a decision shares the whole table's scope; without any view, read it from the Loc-RIB.
    if (this.viewCount === 0) {
      // No POP has a view (a configuration the loader refuses, but keep the scope right): the Loc-RIB's.
      rib.lookup(afi, a, b, c, d, out.route);
      scope = out.route.scope;
    }
    out.scope = scope;
    // The hash key: the longest of the views' matches (the same for every address of the scope block).
    let key: number;
    if (longest >= 0) {
      const m = this.views[longest]!;
      key = hashPrefix(m.a | 0, m.b | 0, m.c | 0, m.d | 0, m.length);
    } else key = this.blockHash(afi, a, b, c, d, scope);
    if (this.trace) this.trace.prefixHash = key;
    if (up === 0) {
      this.push(out, this.self, Rule.AllDown);
      this.fillRoute(out, this.self);
      return;
    }
    if (overridePop >= 0 && remaining[overridePop] === 1) this.push(out, overridePop, Rule.Override);
    const cand = this.cand;
    const tied = this.tied;
    while (out.ranked < limit) {
      // The remaining POPs' routes, narrowed to those that tie for best.
      let k = 0;
      for (let i = 0; i < n; i++) if (remaining[i] === 1 && routes[i]! >= 0) cand[k++] = routes[i]!;
      let rule: Rule;
      if (k > 0) {
        const m = rib.preferredRoutes(cand, k);
        tied.fill(0);
        for (let i = 0; i < n; i++) {
          if (remaining[i] !== 1 || routes[i]! < 0) continue;
          for (let j = 0; j < m; j++) {
            if (cand[j] === routes[i]) {
              tied[i] = 1;
              break;
            }
          }
        }
        const ties = this.countIn(tied);
        const i = this.pickAmong(tied, key);
        rule = ties === 1 ? Rule.Route : this.pickedByHash ? Rule.Hash : Rule.Preference;
        this.push(out, i, rule);
        continue;
      }
      // No remaining POP has a route: self first, then by preference and hash.
      if (remaining[this.self] === 1) {
        this.push(out, this.self, Rule.NoRoute);
        continue;
      }
      const i = this.pickAmong(remaining, key);
      if (i < 0) break;
      this.push(out, i, this.countIn(remaining) === 1 ? Rule.NoRoute : this.pickedByHash ? Rule.Hash : Rule.Preference);
    }
    this.fillRoute(out, out.ranking[0]!);
  }

  /** out.route = the winning POP's view lookup (keeping the decision's scope). */
  private fillRoute(out: Decision, pop: number): void {
    const r = this.views[pop];
    if (r === undefined || this.pops[pop]!.view === null) {
      out.route.found = false;
      out.route.route = -1;
      out.route.prefix = -1;
      out.route.attributes = -1;
      out.route.length = -1;
      out.route.neighbor = '';
      return;
    }
    out.route.copyFrom(r);
  }
}
