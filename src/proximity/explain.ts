// Why a decision came out as it did: built only when asked for (explain, the HTTP API), so it may allocate.
import { Afi, originKeyword } from '../bgp/index.js';
import { asPathJson, formatAddress, LookupResult, parseAddress, pathJson, type ParsedAddress, type RouteJson } from '../rib/index.js';
import { RULE_NAMES, type Pop, type Proximity } from './proximity.js';

/** One POP as a decision saw it. */
export interface CandidateJson {
  pop: string;
  as: number;
  up: boolean;
  /** Why it is down ('sessions down', 'drained', ...); empty when up. */
  down: string[];
  preference: number;
  /** Its place in the ranking (1 = the answer); null when down (or beyond a limit). */
  rank: number | null;
  /** The rule that put it at its rank. */
  rule: string | null;
  /** Multi-view: the best route of its view for the client; null when its view has none (or classic). */
  view: ViewRouteJson | null;
  /** How it compared, in words. */
  note: string;
}

export interface ViewRouteJson {
  prefix: string;
  asPath: (number | number[])[];
  pathLength: number;
  /** Degree of preference (LOCAL_PREF of an iBGP route, else the default). */
  localPref: number;
  origin: string | null;
  med: number | null;
  ibgp: boolean;
  neighbor: string;
  changedAt: string;
}

export interface ExplanationJson {
  address: string;
  family: 'ipv4' | 'ipv6';
  /** The configured rule. */
  rule: 'classic' | 'multi-view';
  /** What decided: override, first-as, self, route, preference, hash, no-route, fallback, all-down, none. */
  decidedBy: string;
  pop: string | null;
  /** The POP's answer for the client's family (its other family's address, or its host, when it has none). */
  answer: string | null;
  scope: number;
  /** The route the answer rests on (classic: the Loc-RIB best path; multi-view: the winning view's). */
  prefix: string | null;
  asPath: (number | number[])[] | null;
  route: RouteJson | null;
  /** When that route last changed, and its age in seconds at the time of the explanation. */
  routeChangedAt: string | null;
  ageSeconds: number | null;
  /** Classic: the first AS of the best path (null when none: no route, empty path, AS_SET first). */
  firstAs: number | null;
  override: { prefix: string; pop: string } | null;
  /** The up POPs, closest first. */
  ranking: string[];
  candidates: CandidateJson[];
  /** Classic: every path of the matched prefix, best first, as the route server would show them. */
  paths: RouteJson[];
  /** The decision in one sentence. */
  summary: string;
}

/**
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is, in place; any other unchanged. Clients
 * of a server listening on :: come that way.
 */
export function unmapIpv4<T extends ParsedAddress>(p: T): T {
  if (p.afi === Afi.IPv6 && p.a === 0 && p.b === 0 && p.c === 0xffff) {
    p.afi = Afi.IPv4;
    p.a = p.d;
    p.b = p.c = p.d = 0;
  }
  return p;
}

/** The answer a POP gives a client of a family: its address of that family, else its other address, else its host. */
export function answerFor(pop: Pop, afi: Afi): string | null {
  const c = pop.config;
  return (afi === Afi.IPv6 ? (c.ipv6 ?? c.ipv4) : (c.ipv4 ?? c.ipv6)) ?? c.host;
}

/** Explains the decision for an address given as text. Throws on text that is not an address. */
export function explain(proximity: Proximity, address: string, now = Date.now()): ExplanationJson {
  const p = parseAddress(address.trim());
  const out = proximity.newDecision();
  const trace = proximity.decideTraced(p.afi, p.a, p.b, p.c, p.d, out);
  const rib = proximity.rib;
  const pops = proximity.pops;
  const route = out.route;
  const winner = out.pop >= 0 ? pops[out.pop]! : null;
  const path = route.found ? rib.pathOf(route) : null;
  const routeJson = path ? pathJson(path) : null;
  const changedAt = route.found ? rib.changedAt(route.route) : null;
  const rankOf = new Map<number, number>();
  for (let i = 0; i < out.ranked; i++) rankOf.set(out.ranking[i]!, i);
  // The override covering the client, whether it decided or its POP was down.
  const override = out.override >= 0 ? proximity.overrideAt(out.afi, out.override) : null;
  const multiView = proximity.rule === 'multi-view';
  const winnerView = winner && multiView ? (trace.views[winner.index] ?? null) : null;
  const candidates: CandidateJson[] = pops.map((pop) => {
    const rank = rankOf.get(pop.index);
    const view = multiView ? (trace.views[pop.index] ?? null) : null;
    return {
      pop: pop.config.name,
      as: pop.config.as,
      up: pop.down === 0,
      down: proximity.reasons(pop),
      preference: pop.config.preference,
      rank: rank === undefined ? null : rank + 1,
      rule: rank === undefined ? null : (RULE_NAMES[trace.rules[rank]!] ?? null),
      view: view && view.found ? viewJson(proximity, view) : null,
      note: multiView ? multiViewNote(proximity, pop, view, winner, winnerView) : classicNote(proximity, pop, trace.firstAs),
    };
  });
  const explanation: ExplanationJson = {
    address: formatAddress(out.afi, out.a, out.b, out.c, out.d), // as decided: an IPv4-mapped one as IPv4
    family: out.afi === Afi.IPv4 ? 'ipv4' : 'ipv6',
    rule: proximity.rule,
    decidedBy: RULE_NAMES[out.rule]!,
    pop: winner?.config.name ?? null,
    answer: winner ? answerFor(winner, out.afi) : null,
    scope: out.scope,
    prefix: rib.prefixText(route),
    asPath: routeJson?.asPath ?? null,
    route: routeJson,
    routeChangedAt: changedAt === null ? null : new Date(changedAt).toISOString(),
    ageSeconds: changedAt === null ? null : Math.max(0, Math.round((now - changedAt) / 1000)),
    firstAs: multiView ? null : trace.firstAs === 0 ? null : trace.firstAs,
    override,
    ranking: Array.from(out.ranking.subarray(0, out.ranked), (i) => pops[i]!.config.name),
    candidates,
    paths: !multiView && route.found ? rib.paths(route.afi, route.prefix).map(pathJson) : [],
    summary: '',
  };
  explanation.summary = summarize(explanation, proximity);
  return explanation;
}

function viewJson(proximity: Proximity, r: LookupResult): ViewRouteJson {
  const rib = proximity.rib;
  const attrs = r.attributes;
  const a = rib.attributesOf(attrs);
  return {
    prefix: rib.prefixText(r)!,
    asPath: asPathJson(a),
    pathLength: rib.pathLength(attrs),
    localPref: rib.preferenceOf(r.route),
    origin: originKeyword(rib.origin(attrs)),
    med: a.med >= 0 ? a.med : null,
    ibgp: rib.isIbgp(r.route),
    neighbor: r.neighbor,
    changedAt: new Date(rib.changedAt(r.route)).toISOString(),
  };
}

function classicNote(proximity: Proximity, pop: Pop, firstAs: number): string {
  const isSelf = pop.index === proximity.self;
  if (firstAs !== 0 && pop.config.as === firstAs) return `AS ${firstAs} is the best path's first AS`;
  const first = firstAs === 0 ? 'the best path names no first AS' : `the best path's first AS is ${firstAs}`;
  return isSelf ? `self (${first})` : `AS ${pop.config.as} is not first: ${first}`;
}

/** How a POP's view route compares with the winner's, step by step as the decision process goes. */
function multiViewNote(proximity: Proximity, pop: Pop, view: LookupResult | null, winner: Pop | null, winnerView: LookupResult | null): string {
  if (pop.view === null) return 'no view (no tagged neighbor, no community)';
  if (!view || !view.found) return 'its view has no route to the client';
  if (!winner || winner === pop) return 'best';
  if (!winnerView || !winnerView.found) return 'the answer was not decided by routes';
  const rib = proximity.rib;
  const x = view.route;
  const w = winnerView.route;
  const name = winner.config.name;
  const px = rib.preferenceOf(x);
  const pw = rib.preferenceOf(w);
  if (px !== pw) return `${px > pw ? 'beats' : 'loses to'} ${name} on LOCAL_PREF (${px} vs ${pw})`;
  const lx = rib.pathLength(view.attributes);
  const lw = rib.pathLength(winnerView.attributes);
  if (lx !== lw) return `${lx < lw ? 'beats' : 'loses to'} ${name} on AS path length (${lx} vs ${lw})`;
  const ox = rib.origin(view.attributes);
  const ow = rib.origin(winnerView.attributes);
  if (ox !== ow) return `${ox < ow ? 'beats' : 'loses to'} ${name} on ORIGIN (${originKeyword(ox)} vs ${originKeyword(ow)})`;
  const mx = rib.med(view.attributes);
  const mw = rib.med(winnerView.attributes);
  if (rib.firstAs(view.attributes) === rib.firstAs(winnerView.attributes) && mx !== mw) {
    return `${mx < mw ? 'beats' : 'loses to'} ${name} on MED (${mx} vs ${mw})`;
  }
  const ix = rib.isIbgp(x);
  const iw = rib.isIbgp(w);
  if (ix !== iw) return `${!ix ? 'beats' : 'loses to'} ${name}: eBGP over iBGP`;
  if (pop.config.preference !== winner.config.preference) {
    return `ties with ${name} on the route; ${pop.config.preference > winner.config.preference ? 'higher' : 'lower'} preference (${pop.config.preference} vs ${winner.config.preference})`;
  }
  return `ties with ${name} on the route and the preference; the hash of the prefix chose`;
}

function summarize(e: ExplanationJson, proximity: Proximity): string {
  const pop = e.pop;
  const route = e.prefix ? `${e.prefix} via AS path ${e.asPath && e.asPath.length > 0 ? formatPath(e.asPath) : '(empty)'}` : 'no route';
  switch (e.decidedBy) {
    case 'none':
      return 'no POP is configured';
    case 'override':
      return `${pop}: the override ${e.override?.prefix} names it`;
    case 'first-as':
      return `${pop}: the best route is ${route}, whose first AS ${e.firstAs} is ${pop}'s`;
    case 'self':
      return `${pop} (self): the best route is ${route}; no POP's AS is first`;
    case 'route':
      return `${pop}: its view has the best route, ${route}`;
    case 'preference':
      return `${pop}: the routes tie; its preference is the highest`;
    case 'hash':
      return `${pop}: the routes and preferences tie; the hash of the prefix chose it`;
    case 'no-route':
      return `${pop} (self): no POP's view has a route to the client`;
    case 'fallback':
      return `${pop}: the POP the routes name is down; the next up POP`;
    case 'all-down':
      return `${pop} (self): every POP is down (${proximity.pops.map((p) => `${p.config.name}: ${proximity.reasons(p).join(', ')}`).join('; ')})`;
    default:
      return `${pop}`;
  }
}

function formatPath(path: (number | number[])[]): string {
  return path.map((x) => (Array.isArray(x) ? `{${x.join(',')}}` : String(x))).join(' ');
}
