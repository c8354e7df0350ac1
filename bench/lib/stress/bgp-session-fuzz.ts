// BGP live-session fuzz (issue 13): a Speaker (src/session, built as test/session/harness.ts builds one) with a good
// peer that stays Established with known routes, and a configured attacker neighbor that sends batches of mutated
// real UPDATEs (and mutated headers, KEEPALIVEs, ROUTE-REFRESHes, OPENs) over one connection. The runner decodes
// the same bytes itself: a message the codec rejects must bring the NOTIFICATION with that code/subcode and the
// close (then the attacker reconnects); anything else must leave the session up. Periodically and at the end the
// RIB must hold exactly the attacker routes of the runner's model, the good routes intact, no internal error logged.
import {
  BgpError,
  type DecodeOptions,
  MessageType,
  RouteRefreshSubtype,
  decodeRouteRefresh,
  decodeUpdate,
  encodeRouteRefresh,
  type NlriSink,
} from '../../../src/bgp/index.js';
import { formatPrefix } from '../../../src/rib/index.js';
import { seededRandom } from '../../../src/util/index.js';
import { loopbackAddress } from '../../../test/helpers/peers/process.js';
import {
  attributes,
  neighborOptions,
  prefix4,
  ScriptedPeer,
  startSpeaker,
  type TestSpeaker,
} from '../../../test/session/harness.js';
import {
  applyByteMutation,
  applyStructMutation,
  cloneUpdate,
  describeMutations,
  encodeInto,
  encodedLength,
  isByteMutation,
  type Mutation,
  randomByteMutation,
  randomStructMutation,
} from './bgp-mutate.js';
import { type FramingVerdict, loadCorpus, referenceFrame, type Template } from './bgp-fuzz.js';

export interface BgpSessionFuzzOptions {
  cases: number;
  seed: number;
  onProgress?: (done: number) => void;
  /** Messages per batch (one write, then a ROUTE-REFRESH ping unless the batch ends in a fatal message). */
  batch?: number;
  /** Share of fatal candidates kept (the rest are drawn again), so that connections carry many UPDATEs. */
  fatalShare?: number;
  /** Compare the RIB with the model after every this many batches (and at the end). */
  checkEvery?: number;
  /** Test hook: breaks the speaker on purpose (to show the oracle notices). */
  sabotage?: (s: TestSpeaker) => void;
  /** Loopback block for the speaker, the good peer and the attacker (default 101). */
  block?: number;
}

export interface BgpSessionFuzzResult {
  cases: number;
  /** Internal errors logged by the speaker (an exception that was not a BgpError). */
  crashes: number;
  /** NOTIFICATIONs received by the attacker (expected ones). */
  notifications: number;
  reconnects: number;
  /** Batches whose answer was not the expected one (a NOTIFICATION missing, unexpected, or with other codes). */
  failed: number;
  /** RIB checks that found the attacker's routes or the good routes other than the model says. */
  wrong: number;
  ribChecks: number;
  /** Attacker routes in the RIB at the last check (the model had the same). */
  routesAtLastCheck: number;
  maxRoutesSeen: number;
  failures: string[];
  seconds: number;
}

const GOOD_AS = 65001;
const ATTACKER_AS = 65000;
const GOOD_PREFIXES = ['198.51.100.0/24', '203.0.113.0/24', '192.0.2.0/25'];
const MAX_FAILURES = 20;

/**
 * The attacker's sessions rotate through these: 4-octet AS, 2-octet AS, 4-octet AS with ADD-PATH (both families),
 * and a session that negotiates IPv4 unicast only (its IPv6 NLRI must be ignored, RFC 4760 6).
 * The attacker is an external peer: the session decodes with the RFC 7606 eBGP checks, and so does the model.
 */
const VARIANTS: readonly { name: string; decode: DecodeOptions; ipv4Only?: boolean }[] = [
  { name: '4-octet', decode: { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, extendedMessage: false, ebgp: true } },
  { name: '2-octet', decode: { fourOctetAs: false, addPathIpv4: false, addPathIpv6: false, extendedMessage: false, ebgp: true } },
  { name: 'add-path', decode: { fourOctetAs: true, addPathIpv4: true, addPathIpv6: true, extendedMessage: false, ebgp: true } },
  { name: 'ipv4-only', decode: { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, extendedMessage: false, ebgp: true }, ipv4Only: true },
];

/** Route key as both the model and the RIB walk spell it. */
function routeKey(afi: number, pathId: number, prefix: string): string {
  return `${afi}|${pathId >>> 0}|${prefix}`;
}

/** The runner's copy of the attacker's Adj-RIB-In: route key -> stale (RFC 7313 enhanced route refresh). */
class Model {
  readonly routes = new Map<string, boolean>();

  apply(changes: readonly Change[]): void {
    for (const c of changes) {
      if (c.op === 'mark-stale' || c.op === 'sweep-stale') {
        const sweep = c.op === 'sweep-stale';
        for (const [k, stale] of this.routes) {
          if (!k.startsWith(`${c.afi}|`)) continue;
          if (!sweep) this.routes.set(k, true);
          else if (stale) this.routes.delete(k);
        }
      } else if (c.op === 'announce') {
        this.routes.set(c.key, false);
      } else {
        this.routes.delete(c.key);
      }
    }
  }
}

type Change = { op: 'announce'; key: string } | { op: 'withdraw'; key: string } | { op: 'mark-stale'; afi: number } | { op: 'sweep-stale'; afi: number };

/** Records what decodeUpdate hands the sink as model changes. */
class ChangeSink implements NlriSink {
  changes: Change[] = [];
  /** The session negotiated IPv4 unicast only: IPv6 NLRI changes nothing. */
  ipv4Only = false;
  announce(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    if (this.ipv4Only && afi !== 1) return;
    this.changes.push({ op: 'announce', key: routeKey(afi, pathId, formatPrefix(afi, a, b, c, d, length)) });
  }
  withdraw(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    if (this.ipv4Only && afi !== 1) return;
    this.changes.push({ op: 'withdraw', key: routeKey(afi, pathId, formatPrefix(afi, a, b, c, d, length)) });
  }
}

/** One message the attacker sends, with what it must do. */
interface Candidate {
  bytes: Buffer;
  /** Null: the session stays up. Else the acceptable NOTIFICATION code/subcode pairs. */
  fatal: [number, number][] | null;
  changes: Change[];
  /** ROUTE-REFRESH requests that the speaker answers with BoRR/EoRR. */
  refreshes: number;
  what: string;
  /** The real message it was made from (UPDATEs). */
  template?: Template;
  /** No verdict could be computed (the codec crashed on it): not sent. */
  unusable?: boolean;
}

export async function runBgpSessionFuzz(options: BgpSessionFuzzOptions): Promise<BgpSessionFuzzResult> {
  const started = process.hrtime.bigint();
  const templates = await loadCorpus();
  const byAsSize = { 2: templates.filter((t) => t.parsed.asSize === 2), 4: templates.filter((t) => t.parsed.asSize === 4) };
  const batchSize = options.batch ?? 24;
  const fatalShare = options.fatalShare ?? 0.05;
  const checkEvery = options.checkEvery ?? 10;
  const block = options.block ?? 101;
  const res: BgpSessionFuzzResult = {
    cases: 0,
    crashes: 0,
    notifications: 0,
    reconnects: 0,
    failed: 0,
    wrong: 0,
    ribChecks: 0,
    routesAtLastCheck: 0,
    maxRoutesSeen: 0,
    failures: [],
    seconds: 0,
  };
  const failure = (text: string): void => {
    if (res.failures.length < MAX_FAILURES) res.failures.push(`seed=${options.seed} ${text}`);
  };

  const addr = { speaker: loopbackAddress(block), good: loopbackAddress(block), attacker: loopbackAddress(block) };
  const s = await startSpeaker(addr.speaker, [
    neighborOptions(addr.good, { remoteAs: GOOD_AS }),
    neighborOptions(addr.attacker, { remoteAs: ATTACKER_AS, gracefulRestart: false, addPath: true }),
  ]);
  const peers: ScriptedPeer[] = [];
  let rnd = seededRandom(options.seed);
  try {
    const good = await ScriptedPeer.connect(addr.speaker, s.port, addr.good);
    peers.push(good);
    await good.handshake({ as: GOOD_AS, capabilities: { enhancedRouteRefresh: true } });
    good.announce(GOOD_PREFIXES.map((p) => prefix4(p)), attributes([GOOD_AS, 64500]));
    await ping(good, 0);
    options.sabotage?.(s);
    const goodNeighbor = s.speaker.neighbor(addr.good)!;
    const attackerNeighbor = s.speaker.neighbor(addr.attacker)!;
    const model = new Model();
    const scratch = Buffer.alloc(70_000);
    const verdict: FramingVerdict = { messages: [], code: 0, subcode: 0 };
    const sink = new ChangeSink();

    let peer: ScriptedPeer | null = null;
    let variant = VARIANTS[0]!;
    let connection = 0;
    let batches = 0;
    let internalErrorsSeen = 0;
    /** Templates of the UPDATEs accepted on this connection (most recent last). */
    const recent: Template[] = [];

    /** Compares the RIB with the model and checks the good peer; counts a wrong check once. */
    const check = async (where: string): Promise<void> => {
      res.ribChecks++;
      const problems: string[] = [];
      if (goodNeighbor.status().state !== 'Established') problems.push('the good session is not Established');
      if (goodNeighbor.status().prefixes.ipv4 !== GOOD_PREFIXES.length) problems.push(`the good peer has ${goodNeighbor.status().prefixes.ipv4} routes`);
      for (const p of GOOD_PREFIXES) {
        const hit = s.rib.lookup(p.replace(/0\/\d+$/, '1'));
        if (hit === null) problems.push(`${p} not answerable`);
      }
      const ribId = s.rib.neighborIdOf(addr.attacker);
      const inRib = new Set<string>();
      if (ribId >= 0) {
        for (const afi of [1, 2] as const) {
          s.rib.forEachRouteRow(afi, (p, r) => {
            if (s.rib.routeNeighborOf(r) !== ribId) return;
            const v = s.rib.routeView(afi, p, r);
            inRib.add(routeKey(afi, v.pathId, v.prefix));
          });
        }
      }
      res.routesAtLastCheck = inRib.size;
      res.maxRoutesSeen = Math.max(res.maxRoutesSeen, inRib.size);
      let missing = 0;
      let extra = 0;
      let example = '';
      for (const k of model.routes.keys()) {
        if (!inRib.has(k)) {
          missing++;
          example ||= `missing ${k}`;
        }
      }
      for (const k of inRib) {
        if (!model.routes.has(k)) {
          extra++;
          example ||= `extra ${k}`;
        }
      }
      if (missing + extra > 0) problems.push(`attacker routes: ${missing} missing, ${extra} not in the model (${example})`);
      const internal = s.records.filter((r) => /internal error/.test(r.msg)).length;
      if (internal > internalErrorsSeen) {
        res.crashes += internal - internalErrorsSeen;
        internalErrorsSeen = internal;
        problems.push('internal error logged');
      }
      try {
        // The good peer answers nothing on its own: a KEEPALIVE per check keeps its hold timer fed on long runs.
        good.sendKeepalive();
        await ping(good, 0);
      } catch (err) {
        problems.push(`good peer ping: ${(err as Error).message}`);
      }
      if (problems.length > 0) {
        res.wrong++;
        failure(`check ${where}: ${problems.join('; ')}`);
      }
    };

    const connect = async (): Promise<ScriptedPeer> => {
      variant = VARIANTS[connection++ % VARIANTS.length]!;
      recent.length = 0;
      const p = await ScriptedPeer.connect(addr.speaker, s.port, addr.attacker);
      peers.push(p);
      await p.readOpen();
      const addPath = variant.decode.addPathIpv4;
      p.sendOpen({
        as: ATTACKER_AS,
        id: '10.9.9.9',
        twoOctet: !variant.decode.fourOctetAs,
        capabilities: {
          ...(variant.ipv4Only ? { multiprotocol: [{ afi: 1, safi: 1 }] } : {}),
          enhancedRouteRefresh: true,
          addPath: addPath ? [{ afi: 1, safi: 1, send: true, receive: false }, { afi: 2, safi: 1, send: true, receive: false }] : [],
        },
      });
      await p.nextOfType(MessageType.Keepalive);
      p.sendKeepalive();
      await ping(p, 0);
      return p;
    };

    /** One candidate message for the current session (mostly a mutated UPDATE). */
    const candidate = (): Candidate | null => {
      const opts = variant.decode;
      const pool = byAsSize[opts.fourOctetAs ? 4 : 2];
      if (rnd() < 0.06) return controlMessage();
      // A third of the UPDATEs reuse a message this connection sent before (half of those as its withdrawal), so
      // announcements replace and withdrawals and treat-as-withdraw hit routes the RIB holds.
      const again = recent.length > 0 && rnd() < 0.35;
      const t = again ? recent[Math.floor(rnd() * recent.length)]! : pool[Math.floor(rnd() * pool.length)]!;
      const mutations: Mutation[] = [];
      if (again && rnd() < 0.5) mutations.push({ kind: 'to-withdrawal' });
      // On an ADD-PATH session most UPDATEs are first given path identifiers, so that they are well formed.
      if (opts.addPathIpv4 && rnd() < 0.8) mutations.push({ kind: 'add-path', pathId: Math.floor(rnd() * 2) });
      const shape = rnd();
      if (shape < 0.15) {
        // unmutated: the clean real message
      } else if (shape < 0.7) {
        mutations.push(randomStructMutation(rnd));
      } else if (shape < 0.9) {
        for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) mutations.push(randomStructMutation(rnd));
        for (let k = Math.floor(rnd() * 2); k > 0; k--) mutations.push(randomByteMutation(rnd));
      } else {
        for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) mutations.push(randomByteMutation(rnd));
      }
      const body = mutate(t, mutations);
      if (body === null) return null;
      const what = `${variant.name} UPDATE ${describeMutations(mutations)} body ${body.toString('hex')}`;
      if (rnd() < 0.04) return headerCase(body, what);
      const message = Buffer.alloc(19 + body.length, 0xff);
      message.writeUInt16BE(19 + body.length, 16);
      message[18] = MessageType.Update;
      body.copy(message, 19);
      const c = updateVerdict(message, body, what);
      c.template = t;
      return c;
    };

    const mutate = (t: Template, mutations: Mutation[]): Buffer | null => {
      const u = cloneUpdate(t.parsed);
      for (const m of mutations) if (!isByteMutation(m)) applyStructMutation(u, m);
      if (encodedLength(u) + 19 + 8 > 4096) return null;
      let len = encodeInto(u, scratch);
      for (const m of mutations) if (isByteMutation(m)) len = applyByteMutation(scratch, len, m);
      if (19 + len > 4096) return null;
      return Buffer.from(scratch.subarray(0, len));
    };

    const updateVerdict = (message: Buffer, body: Buffer, what: string): Candidate => {
      // RFC 4271 6.1: an UPDATE shorter than 23 bytes fails the header check before any decoding.
      if (message.length < 23) return { bytes: message, fatal: [[1, 2]], changes: [], refreshes: 0, what };
      sink.changes = [];
      sink.ipv4Only = variant.ipv4Only === true;
      try {
        decodeUpdate(body, 0, body.length, variant.decode, sink);
      } catch (err) {
        if (!(err instanceof BgpError)) {
          // A codec crash: the codec fuzz's business. Counted here too; the message is not sent (no verdict).
          res.crashes++;
          failure(`the codec threw ${String(err)} on ${what}`);
          return { bytes: message, fatal: [], changes: [], refreshes: 0, what, unusable: true };
        }
        return { bytes: message, fatal: [[err.code, err.subcode]], changes: [], refreshes: 0, what };
      }
      return { bytes: message, fatal: null, changes: sink.changes, refreshes: 0, what };
    };

    /** A mutated header around the UPDATE: the reference framer says what the speaker must do. */
    const headerCase = (body: Buffer, what: string): Candidate | null => {
      const declaredReal = 19 + body.length;
      let declared = declaredReal;
      let type: number = MessageType.Update;
      const bytes = Buffer.alloc(Math.max(declaredReal, 4200), 0);
      bytes.fill(0xff, 0, 16);
      const which = Math.floor(rnd() * 3);
      if (which === 0) bytes[Math.floor(rnd() * 16)] ^= 1 << Math.floor(rnd() * 8);
      else if (which === 1) declared = rnd() < 0.5 ? declared + Math.floor(rnd() * 9) - 4 : Math.floor(rnd() * 65536);
      else type = [0, 1, 4, 5, 6, 7, 255][Math.floor(rnd() * 7)]!;
      bytes.writeUInt16BE(declared, 16);
      bytes[18] = type;
      body.copy(bytes, 19);
      const total = declared > declaredReal && declared <= 4096 ? declared : declaredReal;
      const sent = bytes.subarray(0, total);
      referenceFrame(sent, total, verdict);
      const framedEnd = verdict.messages.length === 0 ? 0 : verdict.messages[verdict.messages.length - 2]! + verdict.messages[verdict.messages.length - 1]!;
      // Bytes left waiting for a message that never completes would swallow the next batch: not a useful case.
      if (verdict.code === 0 && framedEnd !== total) return null;
      const fatal: [number, number][] = [];
      const changes: Change[] = [];
      let refreshes = 0;
      for (let m = 0; m < verdict.messages.length; m += 3) {
        const [t, off, len] = [verdict.messages[m]!, verdict.messages[m + 1]!, verdict.messages[m + 2]!];
        if (t === MessageType.Notification) return null;
        if (t === MessageType.Open) {
          fatal.push([5, 3]);
          break;
        }
        if (t === MessageType.Update) {
          const c = updateVerdict(sent.subarray(off, off + len), sent.subarray(off + 19, off + len), what);
          if (c.unusable === true) return null;
          if (c.fatal !== null) {
            fatal.push(...c.fatal);
            break;
          }
          changes.push(...c.changes);
        } else if (t === MessageType.RouteRefresh) {
          const rr = routeRefreshEffect(sent, off, len);
          changes.push(...rr.changes);
          refreshes += rr.refreshes;
        }
      }
      // A framing error after whole messages: the speaker may or may not get to them first (one read or two).
      if (verdict.code !== 0) fatal.push([verdict.code, verdict.subcode]);
      return { bytes: Buffer.from(sent), fatal: fatal.length > 0 ? fatal : null, changes: fatal.length > 0 ? [] : changes, refreshes, what: `header(type ${type}, length ${declared}) ${what}` };
    };

    /** KEEPALIVE or ROUTE-REFRESH, good or bad, and an OPEN in Established. */
    const controlMessage = (): Candidate => {
      const kind = Math.floor(rnd() * 3);
      if (kind === 0) {
        const len = rnd() < 0.7 ? 19 : 19 + Math.floor(rnd() * 6);
        const bytes = Buffer.alloc(len, 0);
        bytes.fill(0xff, 0, 16);
        bytes.writeUInt16BE(len, 16);
        bytes[18] = MessageType.Keepalive;
        return { bytes, fatal: len === 19 ? null : [[1, 2]], changes: [], refreshes: 0, what: `KEEPALIVE of ${len} bytes` };
      }
      if (kind === 1) {
        const afi = [1, 2, 1, 2, 3, 0][Math.floor(rnd() * 6)]!;
        const safi = [1, 1, 1, 2, 128][Math.floor(rnd() * 5)]!;
        const subtype = [0, 0, 1, 2, 3, 200][Math.floor(rnd() * 6)]!;
        const len = rnd() < 0.85 ? 23 : [19, 21, 22, 24, 30][Math.floor(rnd() * 5)]!;
        const bytes = Buffer.alloc(len, 0);
        bytes.fill(0xff, 0, 16);
        bytes.writeUInt16BE(len, 16);
        bytes[18] = MessageType.RouteRefresh;
        if (len >= 23) bytes.set([afi >> 8, afi & 0xff, subtype, safi], 19);
        const what = `ROUTE-REFRESH afi ${afi} safi ${safi} subtype ${subtype} length ${len}`;
        if (len < 23) return { bytes, fatal: [[1, 2]], changes: [], refreshes: 0, what };
        if (len > 23) return { bytes, fatal: [[7, 1]], changes: [], refreshes: 0, what };
        const rr = routeRefreshEffect(bytes, 0, len);
        return { bytes, fatal: null, changes: rr.changes, refreshes: rr.refreshes, what };
      }
      const open = Buffer.alloc(29, 0);
      open.fill(0xff, 0, 16);
      open.writeUInt16BE(29, 16);
      open[18] = MessageType.Open;
      open.set([4, ATTACKER_AS >> 8, ATTACKER_AS & 0xff, 0, 90, 10, 9, 9, 9, 0], 19);
      return { bytes: open, fatal: [[5, 3]], changes: [], refreshes: 0, what: 'OPEN in Established' };
    };

    /** RFC 7313 as the speaker applies it: requests answered, BoRR marks stale, EoRR sweeps; others ignored. */
    const routeRefreshEffect = (buf: Buffer, off: number, len: number): { changes: Change[]; refreshes: number } => {
      const m = decodeRouteRefresh(buf, off + 19, off + len);
      if (m.safi !== 1 || (m.afi !== 1 && m.afi !== 2)) return { changes: [], refreshes: 0 };
      if (m.subtype === RouteRefreshSubtype.Normal) return { changes: [], refreshes: 1 };
      if (m.subtype === RouteRefreshSubtype.BeginningOfRouteRefresh) return { changes: [{ op: 'mark-stale', afi: m.afi }], refreshes: 0 };
      if (m.subtype === RouteRefreshSubtype.EndOfRouteRefresh) return { changes: [{ op: 'sweep-stale', afi: m.afi }], refreshes: 0 };
      return { changes: [], refreshes: 0 };
    };

    while (res.cases < options.cases) {
      if (peer === null) {
        if (connection > 0) res.reconnects++;
        peer = await connect();
      }
      const batch: Candidate[] = [];
      let fatal: Candidate | null = null;
      let refreshes = 0;
      while (batch.length < batchSize && res.cases + batch.length < options.cases && fatal === null) {
        const c = candidate();
        if (c === null || c.unusable === true) continue;
        if (c.fatal !== null && rnd() >= fatalShare) continue;
        batch.push(c);
        if (c.fatal !== null) fatal = c;
        else if (c.template !== undefined) {
          recent.push(c.template);
          if (recent.length > 16) recent.shift();
        }
        refreshes += c.refreshes;
      }
      res.cases += batch.length;
      batches++;
      const wire = batch.map((c) => c.bytes);
      if (fatal === null) wire.push(encodeRouteRefresh({ afi: 1, safi: 1 }));
      peer.send(Buffer.concat(wire));
      const described = (): string => `connection ${connection} batch ${batches}: ${batch.map((c) => c.what.slice(0, 300)).join(' | ')}`;
      if (fatal === null) {
        try {
          await ping(peer, refreshes, false);
          for (const c of batch) model.apply(c.changes);
        } catch (err) {
          res.failed++;
          failure(`${described()}: expected no NOTIFICATION, got ${(err as Error).message}`);
          peer.destroy();
          peer = null;
          model.routes.clear();
          await waitDown(attackerNeighbor);
        }
      } else {
        for (const c of batch) if (c !== fatal) model.apply(c.changes);
        try {
          const n = await peer.notification(10_000);
          res.notifications++;
          if (!fatal.fatal!.some(([code, subcode]) => code === n.code && subcode === n.subcode)) {
            res.failed++;
            failure(`${described()}: expected NOTIFICATION ${fatal.fatal!.map((p) => p.join('/')).join(' or ')}, got ${n.code}/${n.subcode}`);
          }
          await peer.waitClosed(10_000);
        } catch (err) {
          res.failed++;
          failure(`${described()}: expected NOTIFICATION ${fatal.fatal!.map((p) => p.join('/')).join(' or ')}: ${(err as Error).message}`);
        }
        peer.destroy();
        peer = null;
        // No graceful restart for the attacker: its routes go with the session.
        model.routes.clear();
        await waitDown(attackerNeighbor);
      }
      if (batches % checkEvery === 0) await check(`after batch ${batches}`);
      options.onProgress?.(res.cases);
      // A fresh PRNG per batch keeps a failure reproducible from (seed, batch) even if answers vary in timing.
      rnd = seededRandom((options.seed ^ Math.imul(batches, 0x9e3779b1)) >>> 0);
    }
    await check('at the end');
  } finally {
    for (const p of peers) p.destroy();
    s.stop();
    res.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  }
  return res;
}

/** Waits until the speaker has taken the attacker's session down (its routes removed). */
async function waitDown(n: { status(): { state: string }; connectionCount: number }): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((n.status().state === 'Established' || n.connectionCount > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
}

/**
 * Sends nothing when `send` is false (the ROUTE-REFRESH went with the batch); waits for `extra` + 1
 * End-of-RIB-Route-Refresh answers: proof that the speaker processed everything before it. Throws on a
 * NOTIFICATION or a close.
 */
async function ping(peer: ScriptedPeer, extra: number, send = true, timeoutMs = 10_000): Promise<void> {
  if (send) peer.send(encodeRouteRefresh({ afi: 1, safi: 1 }));
  let left = extra + 1;
  const deadline = Date.now() + timeoutMs;
  while (left > 0) {
    const m = await peer.next(Math.max(1, deadline - Date.now()));
    if (m.type === MessageType.Notification) throw new Error(`NOTIFICATION ${m.message[19]}/${m.message[20]}`);
    if (m.type === MessageType.RouteRefresh && decodeRouteRefresh(m.message, 19, m.message.length).subtype === RouteRefreshSubtype.EndOfRouteRefresh) left--;
  }
}

