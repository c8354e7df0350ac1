// The oracle of the BGP codec fuzz: what any decode outcome must satisfy, and, for a single structured mutation of
// a message that decoded cleanly, the exact RFC 7606 outcome that mutation must produce. The attribute rules here
// are written out from RFC 4271 5 / RFC 7606 7 (and RFC 6793, 8092) on their own, not read from the codec's table,
// so a wrong row there shows up as a disagreement.
import type { BgpError, DecodeOptions, NlriSink, PathAttributes, UpdateResult } from '../../../src/bgp/index.js';
import {
  asPathSegments,
  fieldBytes,
  findAttribute,
  isCheckedFamily,
  mod,
  mpFamily,
  mpNlriStart,
  type ParsedUpdate,
  prefixOffsets,
  type StructMutation,
  TYPE_AS_PATH,
  TYPE_MP_REACH,
  TYPE_MP_UNREACH,
  TYPE_NEXT_HOP,
  TYPE_ORIGIN,
} from './bgp-mutate.js';
import type { ReferenceVerdict } from './bgp-reference.js';

/** RFC 4271 6.3 / RFC 7606 UPDATE Message Error subcodes (7, AS routing loop, is deprecated). */
export const UPDATE_SUBCODES: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 8, 9, 10, 11]);

/** RFC 4271 4.5 / 6: the valid code/subcode pairs a NOTIFICATION may carry. */
export function validNotificationPair(code: number, subcode: number): boolean {
  switch (code) {
    case 1:
      return subcode >= 1 && subcode <= 3;
    case 2:
      return subcode === 0 || subcode === 1 || subcode === 2 || subcode === 3 || subcode === 4 || subcode === 6 || subcode === 7 || subcode === 11;
    case 3:
      return UPDATE_SUBCODES.has(subcode);
    case 4:
      return subcode === 0;
    case 5:
      return subcode >= 0 && subcode <= 3;
    case 6:
      return subcode >= 1 && subcode <= 10;
    case 7:
      return subcode === 1;
    default:
      return false;
  }
}

/** Counts and hashes what reaches the sink (order-free: sums of per-prefix hashes; path ids summed apart). */
export class DigestSink implements NlriSink {
  announces = 0;
  withdraws = 0;
  attributeCalls = 0;
  announceDigest = 0;
  withdrawDigest = 0;
  pathIdSum = 0;
  /** Set when an announce came before the attributes hook (the RIB would tag it with no attribute set). */
  announceBeforeAttributes = false;

  reset(): void {
    this.announces = 0;
    this.withdraws = 0;
    this.attributeCalls = 0;
    this.announceDigest = 0;
    this.withdrawDigest = 0;
    this.pathIdSum = 0;
    this.announceBeforeAttributes = false;
  }

  attributes(_attrs: PathAttributes): void {
    this.attributeCalls++;
  }

  announce(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    if (this.attributeCalls === 0) this.announceBeforeAttributes = true;
    this.announces++;
    this.announceDigest = (this.announceDigest + prefixHash(afi, a, b, c, d, length)) | 0;
    this.pathIdSum = (this.pathIdSum + pathId) | 0;
  }

  withdraw(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.withdraws++;
    this.withdrawDigest = (this.withdrawDigest + prefixHash(afi, a, b, c, d, length)) | 0;
    this.pathIdSum = (this.pathIdSum + pathId) | 0;
  }
}

/** An order-free hash of one prefix (shared with the reference decoder). */
export function prefixHash(afi: number, a: number, b: number, c: number, d: number, length: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca77) ^ Math.imul(d, 0xc2b2ae3d) ^ Math.imul(length + 1, 0x27d4eb2f) ^ (afi << 29)) | 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

/** What a message that decoded cleanly delivered, per decode options (the baseline of the exact rules). */
export interface CleanFacts {
  announces: number;
  withdraws: number;
  announceDigest: number;
  withdrawDigest: number;
  /** Prefixes in the IPv4 NLRI field / withdrawn routes field. */
  nlriCount: number;
  withdrawnCount: number;
}

export type Outcome = 'decoded' | 'treatAsWithdraw' | 'attributeDiscard' | 'notification';

/**
 * The rules every decode must obey, whatever the input. Returns [outcome, failure or null].
 * `thrown` is what decodeUpdate threw (undefined when it returned `result`).
 */
export function checkDecode(thrown: unknown, result: UpdateResult | null, sink: DigestSink, isBgpError: (e: unknown) => e is BgpError): [Outcome, string | null] {
  if (thrown !== undefined) {
    if (!isBgpError(thrown)) return ['notification', `threw a non-BgpError: ${String(thrown)}`];
    if (thrown.action !== 'session-reset') return ['notification', `threw with action ${thrown.action}`];
    if (thrown.code !== 3 || !validNotificationPair(thrown.code, thrown.subcode)) return ['notification', `threw ${thrown.code}/${thrown.subcode}, not an UPDATE Message Error pair`];
    if (sink.announces + sink.withdraws + sink.attributeCalls > 0) return ['notification', 'a rejected UPDATE reached the sink'];
    return ['notification', null];
  }
  const r = result!;
  let taw = false;
  let discard = false;
  for (const e of r.errors) {
    if (!isBgpError(e)) return ['decoded', `non-BgpError in errors: ${String(e)}`];
    if (e.action === 'treat-as-withdraw') taw = true;
    else if (e.action === 'attribute-discard') discard = true;
    else return ['decoded', `returned an error with action ${e.action} (${e.message})`];
    // Non-fatal errors are never sent; still they must name a real UPDATE error (0 only for LOCAL_PREF from eBGP).
    if (e.code !== 3 || !(UPDATE_SUBCODES.has(e.subcode) || (e.subcode === 0 && e.action === 'attribute-discard'))) return ['decoded', `error ${e.code}/${e.subcode}: ${e.message}`];
  }
  const outcome: Outcome = taw ? 'treatAsWithdraw' : discard ? 'attributeDiscard' : 'decoded';
  if (taw !== r.treatAsWithdraw) return [outcome, `treatAsWithdraw ${r.treatAsWithdraw} but errors say ${taw}`];
  if (r.treatAsWithdraw) {
    if (sink.announces !== 0) return [outcome, `${sink.announces} announce(s) from a treat-as-withdraw UPDATE`];
    if (sink.attributeCalls !== 0) return [outcome, 'attributes handed over for a treat-as-withdraw UPDATE'];
    if (sink.withdraws !== r.announced + r.withdrawn) return [outcome, `sink saw ${sink.withdraws} withdrawals, result says ${r.announced}+${r.withdrawn}`];
  } else {
    if (sink.announces !== r.announced || sink.withdraws !== r.withdrawn) {
      return [outcome, `sink saw ${sink.announces}/${sink.withdraws}, result says ${r.announced}/${r.withdrawn}`];
    }
    if (sink.announces > 0 && (sink.attributeCalls !== 1 || sink.announceBeforeAttributes)) return [outcome, 'announcements without their attributes'];
  }
  if (discard) {
    const kept = r.attributes?.discarded?.length ?? 0;
    let n = 0;
    for (const e of r.errors) if (e.action === 'attribute-discard') n++;
    if (kept !== n) return [outcome, `${n} discard error(s) but ${kept} in attributes.discarded`];
  }
  return [outcome, null];
}

// ---- exact outcomes of single mutations -----------------------------------------------------------------------

export type Expectation =
  | { kind: 'reset'; subcode: number }
  | { kind: 'treat-as-withdraw'; subcode: number }
  | { kind: 'discard'; subcode: number }
  /** Same prefixes to the sink as the clean original, no error (values may differ). */
  | { kind: 'same-routes' }
  /** Same prefixes, each with this path identifier. */
  | { kind: 'same-routes-with-path-ids'; pathId: number }
  /** No reset, no withdraw: exactly these counts reach the sink. */
  | { kind: 'counts'; announces: number; withdraws: number };

const WELL_KNOWN = 0x40;
const OPTIONAL = 0x80;
const OPTIONAL_TRANSITIVE = 0xc0;

/** RFC 4271 5 (and the RFCs defining them): the Optional/Transitive bits each known attribute must carry. */
const REQUIRED_FLAGS: ReadonlyMap<number, number> = new Map([
  [1, WELL_KNOWN], // ORIGIN
  [2, WELL_KNOWN], // AS_PATH
  [3, WELL_KNOWN], // NEXT_HOP
  [4, OPTIONAL], // MULTI_EXIT_DISC
  [5, WELL_KNOWN], // LOCAL_PREF
  [6, WELL_KNOWN], // ATOMIC_AGGREGATE
  [7, OPTIONAL_TRANSITIVE], // AGGREGATOR
  [8, OPTIONAL_TRANSITIVE], // COMMUNITIES (RFC 1997)
  [9, OPTIONAL], // ORIGINATOR_ID (RFC 4456)
  [10, OPTIONAL], // CLUSTER_LIST
  [14, OPTIONAL], // MP_REACH_NLRI (RFC 4760)
  [15, OPTIONAL], // MP_UNREACH_NLRI
  [16, OPTIONAL_TRANSITIVE], // EXTENDED_COMMUNITIES (RFC 4360)
  [17, OPTIONAL_TRANSITIVE], // AS4_PATH (RFC 6793)
  [18, OPTIONAL_TRANSITIVE], // AS4_AGGREGATOR
  [32, OPTIONAL_TRANSITIVE], // LARGE_COMMUNITY (RFC 8092)
]);

/** RFC 7606 7.x: the action and subcode for a value of `length` bytes of attribute `type`, or null when fine. */
function lengthRule(type: number, length: number, asSize: number): Expectation | null {
  const taw = { kind: 'treat-as-withdraw', subcode: 5 } as const;
  const discard = { kind: 'discard', subcode: 5 } as const;
  switch (type) {
    case 1: // 7.1
      return length === 1 ? null : taw;
    case 3: // 7.3
    case 4: // 7.4
    case 5: // 7.5
    case 9: // 7.9
      return length === 4 ? null : taw;
    case 6: // 7.6
      return length === 0 ? null : discard;
    case 7: // 7.7
      return length === asSize + 4 ? null : discard;
    case 8: // 7.8
    case 10: // 7.10
      return length > 0 && length % 4 === 0 ? null : taw;
    case 16: // 7.14
      return length > 0 && length % 8 === 0 ? null : taw;
    case 32: // RFC 8092 6
      return length > 0 && length % 12 === 0 ? null : taw;
    case 18: // RFC 6793 6 (2-octet sessions only; NEW speakers ignore it)
      return length === 8 ? null : discard;
    default:
      return null;
  }
}

/**
 * The exact outcome of one structured mutation of template `t` (which decoded with no error under `opts`, giving
 * `facts`), or null when the RFC does not fix it from the mutation alone (it depends on bytes the mutation shifted).
 * Only for options matching the recording (AS size; no ADD-PATH, except for the 'add-path' mutation).
 */
export function expectedOutcome(t: ParsedUpdate, facts: CleanFacts, m: StructMutation, opts: DecodeOptions): Expectation | null {
  const asSize = opts.fourOctetAs ? 4 : 2;
  const addPath = opts.addPathIpv4 || opts.addPathIpv6;
  if (asSize !== t.asSize || t.addPath) return null;
  if (m.kind === 'add-path') return opts.addPathIpv4 && opts.addPathIpv6 ? { kind: 'same-routes-with-path-ids', pathId: m.pathId >>> 0 } : null;
  if (addPath) return null;
  const attrs = t.attributes;
  const n = attrs.length;
  const hasMpReach = findAttribute(t, TYPE_MP_REACH) !== undefined;
  const bodyLength = 4 + t.withdrawn.length + t.nlri.length + attrs.reduce((s, a) => s + ((a.flags & 0x10) !== 0 ? 4 : 3) + a.value.length, 0);
  const ignoredAs4 = (type: number): boolean => opts.fourOctetAs && (type === 17 || type === 18);
  switch (m.kind) {
    case 'withdrawn-length': {
      const wl = (t.withdrawn.length + m.delta) & 0xffff;
      // RFC 7606 4 / 4271 6.3: the withdrawn routes length runs past the message.
      return 2 + wl + 2 > bodyLength ? { kind: 'reset', subcode: 1 } : null;
    }
    case 'attribute-total-length': {
      const actual = bodyLength - 4 - t.withdrawn.length - t.nlri.length;
      const al = (actual + m.delta) & 0xffff;
      return 4 + t.withdrawn.length + al > bodyLength ? { kind: 'reset', subcode: 1 } : null;
    }
    case 'attribute-length': {
      if (n === 0) return null;
      const i = mod(m.pick, n);
      const a = attrs[i]!;
      const wanted = Math.max(0, a.value.length + m.delta);
      const declared = (a.flags & 0x10) !== 0 ? wanted & 0xffff : wanted & 0xff;
      if (declared === a.value.length) return { kind: 'same-routes' };
      // RFC 7606 4: the last attribute overrunning the attribute section: treat-as-withdraw, except for the
      // MP attributes, whose NLRI can then not be found (session reset).
      if (i === n - 1 && declared > a.value.length) {
        return a.type === TYPE_MP_REACH || a.type === TYPE_MP_UNREACH ? { kind: 'reset', subcode: 5 } : { kind: 'treat-as-withdraw', subcode: 1 };
      }
      return null;
    }
    case 'extended-length-toggle':
      // RFC 4271 4.3: the length may use two octets whatever its value; nothing else changes.
      return n === 0 ? null : { kind: 'same-routes' };
    case 'flags': {
      if (n === 0) return null;
      const a = attrs[mod(m.pick, n)]!;
      const flags = m.flags & 0xe0;
      const required = REQUIRED_FLAGS.get(a.type);
      if (required === undefined) {
        // RFC 4271 6.3: an unrecognised attribute marked well-known. The codec withdraws (like BIRD) rather than reset.
        return (flags & OPTIONAL) === 0 ? { kind: 'treat-as-withdraw', subcode: 2 } : { kind: 'same-routes' };
      }
      if (ignoredAs4(a.type)) return { kind: 'same-routes' };
      // RFC 7606 3.c; RFC 4271 4.3: Partial only on optional transitive attributes.
      const wrong = (flags & 0xc0) !== required || ((flags & 0x20) !== 0 && required !== OPTIONAL_TRANSITIVE);
      if (!wrong) return { kind: 'same-routes' };
      return a.type === TYPE_MP_REACH || a.type === TYPE_MP_UNREACH ? { kind: 'reset', subcode: 4 } : { kind: 'treat-as-withdraw', subcode: 4 };
    }
    case 'insert-unknown': {
      if (findAttribute(t, m.type & 0xff) !== undefined) return null;
      return (m.flags & OPTIONAL) === 0 ? { kind: 'treat-as-withdraw', subcode: 2 } : { kind: 'same-routes' };
    }
    case 'duplicate': {
      if (n === 0) return null;
      const a = attrs[mod(m.pick, n)]!;
      // RFC 7606 3.g.
      return a.type === TYPE_MP_REACH || a.type === TYPE_MP_UNREACH ? { kind: 'reset', subcode: 1 } : { kind: 'discard', subcode: 1 };
    }
    case 'remove': {
      if (findAttribute(t, m.type) === undefined) return null;
      // RFC 7606 3.d; NEXT_HOP is only mandatory with IPv4 NLRI in the NLRI field (RFC 4760 3).
      if (m.type === TYPE_ORIGIN || m.type === TYPE_AS_PATH) {
        return facts.nlriCount > 0 || hasMpReach ? { kind: 'treat-as-withdraw', subcode: 3 } : { kind: 'same-routes' };
      }
      if (m.type === TYPE_NEXT_HOP) return facts.nlriCount > 0 ? { kind: 'treat-as-withdraw', subcode: 3 } : { kind: 'same-routes' };
      if (m.type === TYPE_MP_REACH || m.type === TYPE_MP_UNREACH) return null;
      return { kind: 'same-routes' };
    }
    case 'value-resize': {
      if (n === 0) return null;
      const a = attrs[mod(m.pick, n)]!;
      if (m.length === a.value.length) return null;
      if (ignoredAs4(a.type)) return { kind: 'same-routes' };
      if (!REQUIRED_FLAGS.has(a.type)) return { kind: 'same-routes' };
      if (a.type === TYPE_AS_PATH || a.type === 17 || a.type === TYPE_MP_REACH || a.type === TYPE_MP_UNREACH) return null;
      if (a.type === TYPE_NEXT_HOP && m.length === 4) return null; // a new address, good or bad
      return lengthRule(a.type, m.length, asSize) ?? { kind: 'same-routes' };
    }
    case 'origin': {
      const a = findAttribute(t, TYPE_ORIGIN);
      if (a === undefined || a.value.length !== 1 || a.value[0] === (m.value & 0xff)) return null;
      return (m.value & 0xff) > 2 ? { kind: 'treat-as-withdraw', subcode: 6 } : { kind: 'same-routes' };
    }
    case 'next-hop': {
      const a = findAttribute(t, TYPE_NEXT_HOP);
      if (a === undefined || a.value.length !== 4) return null;
      const top = (m.value >>> 24) & 0xff;
      // RFC 4271 6.3: not a host address (0/8, multicast, class E): the routes are ignored (RFC 7606: withdrawn).
      return top === 0 || top >= 224 ? { kind: 'treat-as-withdraw', subcode: 8 } : { kind: 'same-routes' };
    }
    case 'prefix-length': {
      const f = fieldBytes(t, m.field);
      if (f === null) return null;
      const offs = prefixOffsets(f.bytes, f.start, false);
      if (offs === null || offs.length === 0) return null;
      // RFC 7606 5.3: a prefix longer than the address: the field cannot be parsed, session reset.
      return (m.length & 0xff) > (f.afi === 2 ? 128 : 32) ? { kind: 'reset', subcode: 10 } : null;
    }
    case 'nlri-cut': {
      const f = fieldBytes(t, m.field);
      if (f === null) return null;
      const offs = prefixOffsets(f.bytes, f.start, false);
      if (offs === null || offs.length === 0) return null;
      const last = f.bytes.length - offs[offs.length - 1]!;
      const cut = 1 + mod(m.bytes, last);
      if (cut < last) return { kind: 'reset', subcode: 10 };
      // The whole last prefix went: one prefix fewer, nothing else.
      const announces = m.field === 'nlri' || m.field === 'mp-reach' ? facts.announces - 1 : facts.announces;
      const withdraws = m.field === 'withdrawn' || m.field === 'mp-unreach' ? facts.withdraws - 1 : facts.withdraws;
      // A multicast field's prefixes never reach the sink.
      const a = m.field === 'mp-reach' || m.field === 'mp-unreach' ? findAttribute(t, m.field === 'mp-reach' ? TYPE_MP_REACH : TYPE_MP_UNREACH)! : null;
      if (a !== null && mpFamily(a).safi !== 1) return { kind: 'same-routes' };
      return { kind: 'counts', announces, withdraws };
    }
    case 'as-path-count':
    case 'as-path-type': {
      const a = findAttribute(t, TYPE_AS_PATH);
      if (a === undefined) return null;
      const segs = asPathSegments(a.value, asSize);
      if (segs === null || segs.length === 0) return null;
      const k = mod(m.pick, segs.length);
      const at = segs[k]!;
      const malformed = { kind: 'treat-as-withdraw', subcode: 11 } as const;
      if (m.kind === 'as-path-type') {
        const type = m.type & 0xff;
        if (type === a.value[at]) return null;
        // RFC 7606 7.2: an undefined segment type; confederation segments from an external peer.
        if (type < 1 || type > 4) return malformed;
        if (opts.ebgp === true && (type === 3 || type === 4)) return malformed;
        return { kind: 'same-routes' };
      }
      const count = m.count & 0xff;
      const old = a.value[at + 1]!;
      if (count === old) return null;
      // RFC 7606 7.2: a zero-length segment, or the last one claiming more ASes than there are bytes.
      if (count === 0) return malformed;
      if (k === segs.length - 1 && count > old) return malformed;
      return null;
    }
    case 'mp-next-hop-length': {
      const a = findAttribute(t, TYPE_MP_REACH);
      if (a === undefined || mpNlriStart(a) < 0 || !m.consistent) return null;
      const len = m.length & 0xff;
      if (len === a.value[3]) return null;
      const { afi, safi } = mpFamily(a);
      // Families the codec does not speak are skipped whole, next hop and all (RFC 4760 7).
      if (!isCheckedFamily(afi, safi)) return { kind: 'same-routes' };
      const ok = afi === 2 ? len === 16 || len === 32 : len === 4 || len === 16 || len === 32;
      // RFC 7606 7.11: the NLRI cannot be located reliably: session reset (or AFI/SAFI disable).
      return ok ? { kind: 'same-routes' } : { kind: 'reset', subcode: 9 };
    }
    case 'mp-family': {
      const a = findAttribute(t, m.which === 'reach' ? TYPE_MP_REACH : TYPE_MP_UNREACH);
      if (a === undefined || a.value.length < 3 || isCheckedFamily(m.afi & 0xffff, m.safi & 0xff)) return null;
      // A family never negotiated: its NLRI are skipped, the rest of the UPDATE stands.
      if (m.which === 'reach') return { kind: 'counts', announces: facts.nlriCount, withdraws: facts.withdraws };
      return { kind: 'counts', announces: facts.announces, withdraws: facts.withdrawnCount };
    }
    case 'to-withdrawal': {
      const reach = findAttribute(t, TYPE_MP_REACH);
      if (reach !== undefined && (findAttribute(t, TYPE_MP_UNREACH) !== undefined || mpNlriStart(reach) < 0)) return null;
      // Only the unicast prefixes ever reached the sink; every one of them now comes back as a withdrawal.
      if (reach !== undefined && mpFamily(reach).safi !== 1) return null;
      return { kind: 'counts', announces: 0, withdraws: facts.announces + facts.withdraws };
    }
    default:
      return null;
  }
}

/** Checks a decode against an expectation; returns a failure description or null. */
export function checkExpectation(e: Expectation, thrown: unknown, result: UpdateResult | null, sink: DigestSink, facts: CleanFacts): string | null {
  const got = thrown !== undefined ? `threw ${(thrown as BgpError).code}/${(thrown as BgpError).subcode} (${(thrown as Error).message})` : `returned treatAsWithdraw=${result!.treatAsWithdraw} errors=[${result!.errors.map((x) => `${x.subcode}:${x.action}`).join(',')}]`;
  if (e.kind === 'reset') {
    if (thrown === undefined) return `expected session reset 3/${e.subcode}, ${got}`;
    const err = thrown as BgpError;
    return err.code === 3 && err.subcode === e.subcode ? null : `expected session reset 3/${e.subcode}, ${got}`;
  }
  if (thrown !== undefined) return `expected ${e.kind}, ${got}`;
  const r = result!;
  if (e.kind === 'treat-as-withdraw') {
    if (!r.treatAsWithdraw || !r.errors.some((x) => x.action === 'treat-as-withdraw' && x.subcode === e.subcode)) return `expected treat-as-withdraw 3/${e.subcode}, ${got}`;
    if (sink.announces !== 0) return 'treat-as-withdraw but announced';
    return sink.withdraws === facts.announces + facts.withdraws ? null : `treat-as-withdraw should withdraw ${facts.announces + facts.withdraws}, sink saw ${sink.withdraws}`;
  }
  if (r.treatAsWithdraw) return `expected ${e.kind}, ${got}`;
  if (e.kind === 'counts') {
    return sink.announces === e.announces && sink.withdraws === e.withdraws ? null : `expected ${e.announces}/${e.withdraws} prefixes, sink saw ${sink.announces}/${sink.withdraws}; ${got}`;
  }
  if (e.kind === 'discard') {
    if (!r.errors.some((x) => x.action === 'attribute-discard' && x.subcode === e.subcode)) return `expected attribute discard 3/${e.subcode}, ${got}`;
  } else if (r.errors.length > 0) {
    return `expected a clean decode, ${got}`;
  }
  const same = sink.announces === facts.announces && sink.withdraws === facts.withdraws && sink.announceDigest === facts.announceDigest && sink.withdrawDigest === facts.withdrawDigest;
  if (!same) return `expected the original's ${facts.announces}/${facts.withdraws} prefixes, sink saw ${sink.announces}/${sink.withdraws} (or other prefixes)`;
  if (e.kind === 'same-routes-with-path-ids') {
    const want = Math.imul(e.pathId, sink.announces + sink.withdraws) | 0;
    if (sink.pathIdSum !== want) return `path identifiers lost (sum ${sink.pathIdSum >>> 0}, expected ${want >>> 0})`;
  }
  return null;
}

/** Compares decodeUpdate's outcome with the reference decoder's verdict; returns a disagreement or null. */
export function compareWithReference(thrown: unknown, result: UpdateResult | null, sink: DigestSink, ref: ReferenceVerdict): string | null {
  if (thrown !== undefined) {
    const e = thrown as BgpError;
    if (!ref.reset) return `reference decodes it (treatAsWithdraw=${ref.treatAsWithdraw}), the codec reset ${e.code}/${e.subcode} (${e.message})`;
    return e.code === ref.code && e.subcode === ref.subcode ? null : `reference resets ${ref.code}/${ref.subcode}, the codec ${e.code}/${e.subcode} (${e.message})`;
  }
  const r = result!;
  if (ref.reset) return `reference resets ${ref.code}/${ref.subcode}, the codec returned`;
  if (r.treatAsWithdraw !== ref.treatAsWithdraw) return `treatAsWithdraw: codec ${r.treatAsWithdraw}, reference ${ref.treatAsWithdraw} [${r.errors.map((x) => x.message).join('; ')}]`;
  const discard = r.errors.some((x) => x.action === 'attribute-discard');
  if (discard !== ref.discard) return `attribute discard: codec ${discard}, reference ${ref.discard} [${r.errors.map((x) => x.message).join('; ')}]`;
  if (sink.announces !== ref.announces || sink.withdraws !== ref.withdraws) return `prefixes: codec ${sink.announces}/${sink.withdraws}, reference ${ref.announces}/${ref.withdraws}`;
  if (sink.announceDigest !== ref.announceDigest || sink.withdrawDigest !== ref.withdrawDigest) return 'same counts, other prefixes than the reference';
  if (sink.pathIdSum !== ref.pathIdSum) return 'path identifiers differ from the reference';
  return null;
}
