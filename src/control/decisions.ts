// The control socket's face of the proximity decision: query, answers (batch), first-as (the classic CLI),
// explain, and the POPs' states.
import { Afi } from '../bgp/index.js';
import { asPathJson, formatAddress, readAddress, type ParsedAddress } from '../rib/index.js';
import { answerFor, unmapIpv4, explain, hashPrefix, RULE_NAMES, DownReason, type Decision, type ExplanationJson, type Pop, type Proximity } from '../proximity/index.js';
import type { AnswerFormat, FirstAsJson, PopJson, QueryJson } from './protocol.js';

/** Most addresses one request may carry (a batch client sends what it has, in pieces of at most this). */
export const MAX_ADDRESSES_PER_REQUEST = 10_000;

function addressList(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) throw new Error('"addresses" (a list of address texts) is required');
  if (value.length > MAX_ADDRESSES_PER_REQUEST) throw new Error(`at most ${MAX_ADDRESSES_PER_REQUEST} addresses a request`);
  return value as string[];
}

/** Told of each decision query, answers and explain make: the POP's index and the rule (for the metrics). */
export type DecisionListener = (pop: number, rule: number) => void;

/** Answers the decision requests of the control socket; one instance per daemon (it keeps scratch objects). */
export class DecisionRequests {
  private readonly parsed: ParsedAddress = { afi: Afi.IPv4, a: 0, b: 0, c: 0, d: 0 };
  /** Reused by every request (they run one at a time, synchronously): a request allocates only its answer. */
  private decision: Decision;
  /** Answer texts per POP for each format, made again when the POP table changes. */
  private texts: { pops: readonly Pop[]; byFormat: Map<AnswerFormat, { v4: string; v6: string }[]> } = { pops: [], byFormat: new Map() };

  constructor(
    private readonly proximity: Proximity,
    private readonly onDecision: DecisionListener | null = null,
  ) {
    this.decision = proximity.newDecision();
  }

  private answerTexts(format: AnswerFormat): { v4: string; v6: string }[] {
    const pops = this.proximity.pops;
    if (this.texts.pops !== pops) this.texts = { pops, byFormat: new Map() };
    let list = this.texts.byFormat.get(format);
    if (!list) this.texts.byFormat.set(format, (list = pops.map((pop) => answerTexts(pop, format))));
    return list;
  }

  query(addresses: unknown, limit?: unknown): QueryJson[] {
    const list = addressList(addresses);
    if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 1)) throw new Error('"limit" must be a positive integer');
    const p = this.proximity;
    const out = this.decision;
    const rib = p.rib;
    return list.map((text) => {
      const addr = text.trim();
      if (!readAddress(addr, this.parsed)) {
        return { addr: text, pop: null, answer: null, rule: 'none', prefix: null, asPath: null, scope: 0, ranking: [], error: `not an IP address: ${text}` };
      }
      const a = this.parsed;
      p.decide(a.afi, a.a, a.b, a.c, a.d, out, (limit as number | undefined) ?? 0x7fffffff);
      if (out.pop >= 0) this.onDecision?.(out.pop, out.rule);
      const pop = out.pop >= 0 ? p.pops[out.pop]! : null;
      const route = out.route;
      return {
        // The client as decided (an IPv4-mapped address as its IPv4 one).
        addr: formatAddress(out.afi, out.a, out.b, out.c, out.d),
        pop: pop?.config.name ?? null,
        answer: pop ? answerFor(pop, out.afi) : null,
        rule: RULE_NAMES[out.rule]!,
        prefix: rib.prefixText(route),
        asPath: route.found ? asPathJson(rib.attributesOf(route.attributes)) : null,
        scope: out.scope,
        ranking: Array.from(out.ranking.subarray(0, out.ranked), (i) => p.pops[i]!.config.name),
      };
    });
  }

  /**
   * One answer text per address, for batch mode. A line that is not an address gets self's answer (so a
   * RewriteMap still redirects somewhere sensible); no POP configured, or a POP without that kind of answer,
   * gives 'NULL' (mod_rewrite's "no value").
   */
  answers(addresses: unknown, format: unknown = 'address'): string[] {
    const list = addressList(addresses);
    if (format !== 'address' && format !== 'name' && format !== 'host') throw new Error('"format" must be address, name or host');
    const p = this.proximity;
    const out = this.decision;
    const texts = this.answerTexts(format);
    const result = new Array<string>(list.length);
    const a = this.parsed;
    const onDecision = this.onDecision;
    for (let i = 0; i < list.length; i++) {
      let pop = p.self;
      let afi = Afi.IPv4;
      if (readAddress(list[i]!.trim(), a)) {
        pop = p.decide(a.afi, a.a, a.b, a.c, a.d, out, 1);
        afi = out.afi;
        if (onDecision !== null && pop >= 0) onDecision(pop, out.rule);
      }
      result[i] = pop < 0 ? 'NULL' : afi === Afi.IPv4 ? texts[pop]!.v4 : texts[pop]!.v6;
    }
    return result;
  }

  /** The best path's first AS per address (0 none, -1 not an address) and the hash of its matched prefix. */
  firstAs(addresses: unknown): FirstAsJson {
    const list = addressList(addresses);
    const rib = this.proximity.rib;
    const out = this.decision.route;
    const firstAs = new Array<number>(list.length);
    const hash = new Array<number>(list.length);
    const a = this.parsed;
    for (let i = 0; i < list.length; i++) {
      if (!readAddress(list[i]!.trim(), a)) {
        firstAs[i] = -1;
        hash[i] = 0;
        continue;
      }
      unmapIpv4(a);
      if (rib.lookup(a.afi, a.a, a.b, a.c, a.d, out)) {
        firstAs[i] = rib.firstAs(out.attributes);
        hash[i] = hashPrefix(out.a | 0, out.b | 0, out.c | 0, out.d | 0, out.length);
      } else {
        firstAs[i] = 0;
        hash[i] = 0;
      }
    }
    return { firstAs, hash };
  }

  explain(address: unknown): ExplanationJson {
    if (typeof address !== 'string') throw new Error('"address" is required');
    const json = explain(this.proximity, address);
    const pop = json.pop === null ? -1 : this.proximity.indexOf(json.pop);
    if (pop >= 0) this.onDecision?.(pop, RULE_NAMES.indexOf(json.decidedBy));
    return json;
  }

  pops(): PopJson[] {
    return this.proximity.pops.map((pop) => popJson(this.proximity, pop));
  }

  drain(name: unknown, drained: boolean): PopJson {
    if (typeof name !== 'string') throw new Error('"pop" (a POP name) is required');
    this.proximity.setDrained(name, drained);
    return popJson(this.proximity, this.proximity.pop(name)!);
  }
}

function answerTexts(pop: Pop, format: AnswerFormat): { v4: string; v6: string } {
  if (format === 'name') return { v4: pop.config.name, v6: pop.config.name };
  if (format === 'host') return { v4: pop.config.host ?? 'NULL', v6: pop.config.host ?? 'NULL' };
  return { v4: answerFor(pop, Afi.IPv4) ?? 'NULL', v6: answerFor(pop, Afi.IPv6) ?? 'NULL' };
}

export function popJson(proximity: Proximity, pop: Pop): PopJson {
  const c = pop.config;
  const rib = proximity.rib;
  return {
    name: c.name,
    as: c.as,
    up: pop.down === 0,
    down: proximity.reasons(pop),
    self: pop.index === proximity.self,
    preference: c.preference,
    ipv4: c.ipv4,
    ipv6: c.ipv6,
    host: c.host,
    neighbors: pop.neighbors.map((address) => ({ address, up: rib.isUp(address) })),
    view: pop.view === null ? null : { neighbors: [...pop.neighbors], community: c.community, largeCommunity: c.largeCommunity },
    check:
      c.check === null
        ? null
        : {
            kind: c.check.kind,
            target: c.check.kind === 'tcp' ? `${bracket(c.check.address)}:${c.check.port}` : `http://${bracket(c.check.address)}:${c.check.port}${c.check.path ?? '/'}`,
            up: (pop.down & DownReason.Check) === 0,
            reason: pop.checkReason,
          },
    drained: (pop.down & DownReason.Drained) !== 0,
    since: new Date(pop.since).toISOString(),
    transitions: pop.transitions,
  };
}

function bracket(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
