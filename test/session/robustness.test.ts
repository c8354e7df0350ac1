// "Survive anything a router or an attacker sends" (issue 5): a speaker with two configured neighbors, one good
// peer that stays Established with its routes, and an attacker (the other configured address, and strangers)
// that sends mutated real messages, malformed ones, truncated ones, stalls and floods. Every loop is bounded in
// count and time, the PRNG is seeded, and everything stays on 127.53.x.y.
import test from 'ava';
import path from 'node:path';
import { connect, type Socket } from 'node:net';
import {
  Afi,
  BgpError,
  MessageFramer,
  MessageType,
  RouteRefreshSubtype,
  Safi,
  decodeOpen,
  decodeRouteRefresh,
  decodeUpdate,
  encodeMessage,
  encodeNotification,
  encodeRouteRefresh,
  type DecodeOptions,
  type NlriSink,
  type OpenMessage,
} from '../../src/bgp/index.js';
import { loadMrtMessages, type LoadedBgpMessage } from '../../src/mrt/index.js';
import { negotiate, localOpen, parseId, type NeighborOptions } from '../../src/session/index.js';
import { seededRandom } from '../../src/util/index.js';
import { sharedMrtDir } from '../bgp/helpers/real-updates.js';
import { attributes, neighborOptions, prefix4, ScriptedPeer, sleep, startSpeaker, until, type TestSpeaker } from './harness.js';

const GOOD_AS = 65001;
/** The AS of the real OPENs in the BIRD/Quagga/OpenBGPD MRT dumps: the attacker neighbor is configured with it. */
const ATTACKER_AS = 65000;
const GOOD_PREFIXES = ['198.51.100.0/24', '203.0.113.0/24', '192.0.2.0/25'];

let block = 0;
/** 127.53.<n>.1 speaker, .2 good peer, .3 attacker (configured), .4.. strangers (not configured). */
function nextAddresses() {
  block++;
  const base = `127.53.${block}`;
  return { speaker: `${base}.1`, good: `${base}.2`, attacker: `${base}.3`, stranger: (i: number) => `${base}.${4 + (i % 200)}` };
}

/** A few random edits of a message body: bit flips, random bytes and 16-bit values, truncation, insertion. */
function mutate(body: Buffer, rnd: () => number): Buffer {
  const pick = (n: number): number => Math.floor(rnd() * n);
  let out = Buffer.from(body);
  const rounds = 1 + pick(3);
  for (let i = 0; i < rounds; i++) {
    switch (pick(6)) {
      case 0:
        if (out.length > 0) out[pick(out.length)] ^= 1 << pick(8);
        break;
      case 1:
        if (out.length > 0) out[pick(out.length)] = pick(256);
        break;
      case 2:
        out = out.subarray(0, pick(out.length + 1));
        break;
      case 3:
        if (out.length > 1) out.writeUInt16BE(pick(65536), pick(out.length - 1));
        break;
      case 4: {
        const at = pick(out.length + 1);
        out = Buffer.concat([out.subarray(0, at), Buffer.from([pick(256), pick(256), pick(256)]), out.subarray(at)]);
        break;
      }
      default:
        if (out.length > 0) {
          const at = pick(out.length);
          out[at] = (out[at]! + pick(5) - 2) & 0xff;
        }
    }
  }
  return out;
}

const realUpdates = (async () => {
  const { messages } = await loadMrtMessages(path.join(sharedMrtDir(), 'updates.20160811.1600.gz'));
  // The session below negotiates 4-octet AS and no ADD-PATH: keep the UPDATEs recorded that way.
  return messages.filter((m) => m.fourOctetAs && !m.addPath && m.message.length <= 4096);
})();

const realOpens = (async () => {
  const out: LoadedBgpMessage[] = [];
  for (const file of ['bird_bgp', 'bird6_bgp', 'quagga_bgp', 'openbgpd_bgp']) {
    const { messages } = await loadMrtMessages(path.join(sharedMrtDir(), file), { updatesOnly: false });
    out.push(...messages.filter((m) => m.type === MessageType.Open));
  }
  return out;
})();

class NullSink implements NlriSink {
  announce(): void {}
  withdraw(): void {}
}

/** What the session must answer an UPDATE body with: the codec's verdict (null when it is no session reset). */
function updateVerdict(body: Buffer, opts: DecodeOptions): BgpError | null {
  try {
    decodeUpdate(body, 0, body.length, opts, new NullSink());
    return null;
  } catch (err) {
    if (err instanceof BgpError) return err;
    throw err;
  }
}

interface Fixture {
  a: ReturnType<typeof nextAddresses>;
  s: TestSpeaker;
  good: ScriptedPeer;
  attackerOptions: NeighborOptions;
  /** The good session is still Established, answering, and its routes are all there. */
  goodIsFine(): Promise<void>;
  /** Counts the times a good prefix had no answer or the good session was not Established. */
  answerableThroughout(): { check(): void; misses: number };
  /** Connects from the attacker's configured address. */
  attacker(): Promise<ScriptedPeer>;
  /** Connects from the attacker's configured address and brings the session up (establish()). */
  establishedAttacker(holdTime?: number): Promise<ScriptedPeer>;
}

async function fixture(t: import('ava').ExecutionContext, attacker: Partial<NeighborOptions> = {}): Promise<Fixture> {
  const a = nextAddresses();
  const attackerOptions = neighborOptions(a.attacker, { remoteAs: ATTACKER_AS, gracefulRestart: false, addPath: false, holdTime: 90, ...attacker });
  const s = await startSpeaker(a.speaker, [neighborOptions(a.good, { remoteAs: GOOD_AS }), attackerOptions]);
  t.teardown(s.stop);
  const good = await ScriptedPeer.connect(a.speaker, s.port, a.good);
  t.teardown(() => good.destroy());
  await good.handshake({ as: GOOD_AS, capabilities: { enhancedRouteRefresh: true } });
  good.announce(GOOD_PREFIXES.map((p) => prefix4(p)), attributes([GOOD_AS, 64500]));
  good.endOfRib(Afi.IPv4);
  await until('the good routes', () => s.rib.lookup('192.0.2.1'));
  const peers: ScriptedPeer[] = [];
  t.teardown(() => peers.forEach((p) => p.destroy()));
  const goodNeighbor = s.speaker.neighbor(a.good)!;
  const connectAttacker = async (): Promise<ScriptedPeer> => {
    const p = await ScriptedPeer.connect(a.speaker, s.port, a.attacker);
    peers.push(p);
    return p;
  };
  return {
    a,
    s,
    good,
    attackerOptions,
    async goodIsFine() {
      t.is(goodNeighbor.status().state, 'Established', 'the good session stays Established');
      t.is(goodNeighbor.status().prefixes.ipv4, GOOD_PREFIXES.length, 'the good routes stay in the RIB');
      for (const p of GOOD_PREFIXES) t.truthy(s.rib.lookup(p.replace(/0\/\d+$/, '1')), `${p} answerable`);
      await ping(good);
    },
    answerableThroughout() {
      const probe = {
        misses: 0,
        check() {
          if (goodNeighbor.status().state !== 'Established') probe.misses++;
          for (const p of GOOD_PREFIXES) if (!s.rib.lookup(p.replace(/0\/\d+$/, '1'))) probe.misses++;
        },
      };
      return probe;
    },
    attacker: connectAttacker,
    async establishedAttacker(holdTime?: number) {
      const p = await connectAttacker();
      await establish(p, holdTime);
      return p;
    },
  };
}

/**
 * ROUTE-REFRESH with enhanced route refresh negotiated is answered with BoRR + EoRR: proof that the speaker
 * processed everything sent before it without closing the session.
 */
async function ping(peer: ScriptedPeer, timeoutMs = 5000): Promise<void> {
  peer.send(encodeRouteRefresh({ afi: Afi.IPv4, safi: Safi.Unicast }));
  for (;;) {
    const m = await peer.next(timeoutMs);
    if (m.type === MessageType.Notification) throw new Error('NOTIFICATION instead of a ping answer');
    if (m.type === MessageType.RouteRefresh && decodeRouteRefresh(m.message, 19, m.message.length).subtype === RouteRefreshSubtype.EndOfRouteRefresh) return;
  }
}

/** The attacker's handshake: 4-octet AS, enhanced route refresh (for ping), no ADD-PATH, no extended messages. */
async function establish(peer: ScriptedPeer, holdTime = 90): Promise<void> {
  if (peer.speakerOpen === null) await peer.readOpen();
  peer.sendOpen({ as: ATTACKER_AS, holdTime, id: '10.9.9.9', capabilities: { enhancedRouteRefresh: true } });
  await peer.nextOfType(MessageType.Keepalive);
  peer.sendKeepalive();
  await ping(peer);
}

const ATTACKER_DECODE: DecodeOptions = { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, extendedMessage: false };

/** The open sockets the speaker still holds on its listener: configured sessions and refused strangers alike. */
async function settlesTo(fx: Fixture, sockets: number, timeoutMs = 5000): Promise<void> {
  await until(`${sockets} open connection(s) on the speaker`, () => fx.s.speaker.openConnections === sockets, timeoutMs);
}

// ---- malformed messages: the RFC's NOTIFICATION, byte for byte -------------------------------------------------

const marker = Buffer.alloc(16, 0xff);
function raw(length: number, type: number, body: number[] | Buffer = []): Buffer {
  const h = Buffer.alloc(19);
  marker.copy(h);
  h.writeUInt16BE(length, 16);
  h[18] = type;
  return Buffer.concat([h, Buffer.from(body)]);
}

interface Case {
  name: string;
  /** 'before-open': right after connecting; 'open-confirm': OPENs exchanged, no KEEPALIVE from us yet; 'established'. */
  when: 'before-open' | 'open-confirm' | 'established';
  bytes: Buffer;
  code: number;
  subcode: number;
  data?: number[] | Buffer;
}

const routeRefresh24 = raw(24, 5, [0, 1, 1, 1, 0]);
const cases: Case[] = [
  { name: 'KEEPALIVE with a one-byte body is Bad Message Length (1/2)', when: 'established', bytes: raw(20, 4, [0]), code: 1, subcode: 2, data: [0, 20] },
  { name: 'unknown message type 6 is Bad Message Type (1/3)', when: 'established', bytes: raw(19, 6), code: 1, subcode: 3, data: [6] },
  { name: 'message type 0 is Bad Message Type (1/3)', when: 'before-open', bytes: raw(19, 0), code: 1, subcode: 3, data: [0] },
  { name: 'a broken marker is Connection Not Synchronized (1/1)', when: 'established', bytes: Buffer.concat([Buffer.alloc(16, 0xfe), Buffer.from([0, 19, 4])]), code: 1, subcode: 1 },
  { name: 'a length below the header is Bad Message Length (1/2)', when: 'established', bytes: raw(18, 4), code: 1, subcode: 2, data: [0, 18] },
  { name: 'an UPDATE over 4096 bytes without extended messages is Bad Message Length (1/2)', when: 'established', bytes: raw(4097, 2), code: 1, subcode: 2, data: [0x10, 0x01] },
  { name: 'an OPEN over 4096 bytes is Bad Message Length (1/2)', when: 'before-open', bytes: raw(5000, 1), code: 1, subcode: 2, data: [0x13, 0x88] },
  { name: 'a NOTIFICATION of 20 bytes is Bad Message Length (1/2)', when: 'established', bytes: raw(20, 3, [6]), code: 1, subcode: 2, data: [0, 20] },
  { name: 'ROUTE-REFRESH of 24 bytes is ROUTE-REFRESH Message Error / Invalid Message Length (7/1, RFC 7313)', when: 'established', bytes: routeRefresh24, code: 7, subcode: 1, data: routeRefresh24 },
  { name: 'KEEPALIVE before OPEN is an FSM error in OpenSent (5/1)', when: 'before-open', bytes: raw(19, 4), code: 5, subcode: 1 },
  { name: 'UPDATE before OPEN is an FSM error in OpenSent (5/1)', when: 'before-open', bytes: raw(23, 2, [0, 0, 0, 0]), code: 5, subcode: 1 },
  { name: 'ROUTE-REFRESH before OPEN is an FSM error in OpenSent (5/1)', when: 'before-open', bytes: encodeRouteRefresh({ afi: 1, safi: 1 }), code: 5, subcode: 1 },
  { name: 'a second OPEN in OpenConfirm is an FSM error (5/2)', when: 'open-confirm', bytes: openBytes({}), code: 5, subcode: 2 },
  { name: 'an UPDATE in OpenConfirm is an FSM error (5/2)', when: 'open-confirm', bytes: raw(23, 2, [0, 0, 0, 0]), code: 5, subcode: 2 },
  { name: 'a second OPEN in Established is an FSM error (5/3)', when: 'established', bytes: openBytes({}), code: 5, subcode: 3 },
  { name: 'an UPDATE whose lengths overrun the message is Malformed Attribute List (3/1)', when: 'established', bytes: raw(27, 2, [0, 0, 0, 9, 0x40, 1, 1, 0]), code: 3, subcode: 1 },
  { name: 'an OPEN with an Authentication optional parameter is Unsupported Optional Parameter (2/4)', when: 'before-open', bytes: openWithParams(Buffer.from([1, 2, 0, 0])), code: 2, subcode: 4 },
  { name: 'an OPEN with a truncated capability header is an OPEN Message Error (2/0)', when: 'before-open', bytes: openWithParams(Buffer.from([2, 1, 65])), code: 2, subcode: 0 },
  { name: 'an OPEN with a capability overrunning its parameter is an OPEN Message Error (2/0)', when: 'before-open', bytes: openWithParams(Buffer.from([2, 4, 65, 4, 0, 0])), code: 2, subcode: 0 },
  { name: 'an OPEN whose parameter length disagrees with the message is an OPEN Message Error (2/0)', when: 'before-open', bytes: openWithParams(Buffer.from([2, 6, 65, 4, 0, 0, 0xfd, 0xe8]), 7), code: 2, subcode: 0 },
  { name: 'an RFC 9072 extended parameter length that overruns is an OPEN Message Error (2/0)', when: 'before-open', bytes: openWithParams(Buffer.from([255, 0, 9, 2, 0, 8, 65, 4, 0, 0, 0xfd, 0xe8]), 255), code: 2, subcode: 0 },
  { name: 'an OPEN with hold time 2 is Unacceptable Hold Time (2/6)', when: 'before-open', bytes: openBytes({ holdTime: 2 }), code: 2, subcode: 6 },
  { name: 'an OPEN of version 5 is Unsupported Version Number (2/1) with 4 as data', when: 'before-open', bytes: openBytes({ version: 5 }), code: 2, subcode: 1, data: [0, 4] },
];

/** An OPEN from the attacker's AS with the given capability list (as one Capabilities parameter). */
function openBytes(o: { holdTime?: number; version?: number; caps?: Buffer }): Buffer {
  const caps = o.caps ?? Buffer.from([65, 4, 0, 0, 0xfd, 0xe8, 70, 0]); // 4-octet AS 65000, enhanced route refresh
  return openWithParams(Buffer.concat([Buffer.from([2, caps.length]), caps]), undefined, o);
}

/** An OPEN whose optional parameters are `params` verbatim; `declared` overrides the parameters length byte. */
function openWithParams(params: Buffer, declared?: number, o: { holdTime?: number; version?: number } = {}): Buffer {
  const fixed = Buffer.alloc(10);
  fixed[0] = o.version ?? 4;
  fixed.writeUInt16BE(ATTACKER_AS, 1);
  fixed.writeUInt16BE(o.holdTime ?? 90, 3);
  fixed.writeUInt32BE(0x0a090909, 5);
  fixed[9] = declared ?? params.length;
  return encodeMessage(MessageType.Open, Buffer.concat([fixed, params]));
}

for (const c of cases) {
  test.serial(`robustness: ${c.name}`, async (t) => {
    const fx = await fixture(t);
    const peer = await fx.attacker();
    await peer.readOpen();
    if (c.when === 'established') await establish(peer);
    if (c.when === 'open-confirm') {
      peer.sendOpen({ as: ATTACKER_AS, id: '10.9.9.9' });
      await peer.nextOfType(MessageType.Keepalive);
    }
    peer.send(c.bytes);
    const n = await peer.notification();
    t.deepEqual([n.code, n.subcode], [c.code, c.subcode]);
    if (c.data !== undefined) t.deepEqual(Buffer.from(n.data), Buffer.from(c.data));
    await peer.waitClosed();
    await fx.goodIsFine();
    await settlesTo(fx, 1);
  });
}

test.serial('robustness: an OPEN with duplicate, unknown and RFC 9072 extended-length capabilities is accepted', async (t) => {
  const fx = await fixture(t);
  // 150 unknown capabilities push the parameters past 255 bytes: the RFC 9072 encoding is the only way to send them.
  const unknown = Buffer.concat(Array.from({ length: 150 }, (_, i) => Buffer.from([200 + (i % 50), 0])));
  const dup = Buffer.from([65, 4, 0, 0, 0xfd, 0xe8, 65, 4, 0, 0, 0xfd, 0xe8, 1, 4, 0, 1, 0, 1, 1, 4, 0, 1, 0, 1, 70, 0, 70, 0]);
  const caps = Buffer.concat([dup, unknown]);
  const params = Buffer.concat([Buffer.from([255, (caps.length + 3) >> 8, (caps.length + 3) & 255, 2, caps.length >> 8, caps.length & 255]), caps]);
  const peer = await fx.attacker();
  await peer.readOpen();
  peer.send(openWithParams(params, 255));
  await peer.nextOfType(MessageType.Keepalive);
  peer.sendKeepalive();
  await ping(peer);
  t.is(fx.s.speaker.neighbor(fx.a.attacker)!.status().state, 'Established');
  t.deepEqual(fx.s.speaker.neighbor(fx.a.attacker)!.status().families, ['ipv4'], 'IPv4 unicast listed twice is one family');
  await fx.goodIsFine();
});

test.serial('robustness: a NOTIFICATION with garbage data is logged and the connection closed by the speaker', async (t) => {
  const fx = await fixture(t);
  const peer = await fx.establishedAttacker();
  // Cease/Administrative Shutdown whose shutdown-communication length runs past the data, with invalid UTF-8.
  peer.send(encodeMessage(MessageType.Notification, Buffer.from([6, 2, 200, 0xff, 0xfe, 0xc0])));
  // The attacker keeps its side open: the speaker must not keep the socket (nor answer with a NOTIFICATION).
  await peer.waitClosed(3000);
  await until('the attacker neighbor is down', () => fx.s.speaker.neighbor(fx.a.attacker)!.status().state !== 'Established');
  t.regex(fx.s.speaker.neighbor(fx.a.attacker)!.status().lastError ?? '', /NOTIFICATION received/);
  await fx.goodIsFine();
  await settlesTo(fx, 1);
});

test.serial('robustness: every NOTIFICATION fits in 4096 bytes, even for a 4096-byte ROUTE-REFRESH (RFC 7313 data)', async (t) => {
  const fx = await fixture(t);
  const peer = await fx.establishedAttacker();
  const big = raw(4096, 5, Buffer.concat([Buffer.from([0, 1, 1, 1]), Buffer.alloc(4096 - 23)]));
  // Split in two so that the header arrives before the rest of the message.
  peer.send(big.subarray(0, 100));
  await sleep(50);
  peer.send(big.subarray(100));
  const m = await peer.nextOfType(MessageType.Notification);
  t.true(m.message.length <= 4096, `NOTIFICATION of ${m.message.length} bytes`);
  t.deepEqual([m.message[19], m.message[20]], [7, 1]);
  t.deepEqual(m.message.subarray(21), big.subarray(0, m.message.length - 21), 'the data is the ROUTE-REFRESH, cut to fit');
  await fx.goodIsFine();
});

test.serial('robustness: a ROUTE-REFRESH of bad length split across segments still carries the whole message as data (RFC 7313)', async (t) => {
  const fx = await fixture(t);
  const peer = await fx.establishedAttacker();
  const rr = raw(40, 5, Buffer.concat([Buffer.from([0, 1, 1, 1]), Buffer.alloc(17, 0xab)]));
  peer.send(rr.subarray(0, 20));
  await sleep(50);
  peer.send(rr.subarray(20));
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [7, 1]);
  t.deepEqual(Buffer.from(n.data), rr);
});

// ---- seeded fuzz with real messages ----------------------------------------------------------------------------

test.serial('robustness: 400 mutated real UPDATEs get the codec\'s NOTIFICATION or none, never an internal error', async (t) => {
  const updates = await realUpdates;
  t.true(updates.length > 1000, 'real UPDATEs loaded from updates.20160811.1600.gz');
  const fx = await fixture(t);
  const rnd = seededRandom(0x5ec0_0001);
  const answerable = fx.answerableThroughout();
  const deadline = Date.now() + 12_000;
  const outcome = { accepted: 0, reset: 0, sessions: 0 };
  let peer: ScriptedPeer | null = null;
  for (let i = 0; i < 400 && Date.now() < deadline; ) {
    if (peer === null) {
      peer = await fx.establishedAttacker();
      outcome.sessions++;
    }
    // A batch of mutated UPDATEs, then a ping: the codec tells which one (if any) must reset the session.
    const batch: Buffer[] = [];
    let expected: BgpError | null = null;
    while (batch.length < 8 && i < 400 && expected === null) {
      const m = updates[Math.floor(rnd() * updates.length)]!;
      const body = mutate(m.message.subarray(19), rnd);
      if (body.length + 19 > 4096 || body.length < 4) continue;
      i++;
      batch.push(encodeMessage(MessageType.Update, body));
      expected = updateVerdict(body, ATTACKER_DECODE);
    }
    peer.send(Buffer.concat(batch));
    answerable.check();
    if (expected === null) {
      await ping(peer);
      outcome.accepted += batch.length;
      continue;
    }
    outcome.accepted += batch.length - 1;
    outcome.reset++;
    const n = await peer.notification();
    t.deepEqual([n.code, n.subcode], [expected.code, expected.subcode], `UPDATE #${i}: ${expected.message}`);
    await peer.waitClosed();
    peer = null;
  }
  t.log(outcome);
  t.is(answerable.misses, 0, 'the good routes were answerable after every batch');
  t.true(outcome.accepted > 50 && outcome.reset > 10, 'the mutations hit both outcomes');
  t.false(fx.s.records.some((r) => /internal error/.test(r.msg)), 'no exception escaped the codec as a non-BgpError');
  await fx.goodIsFine();
  peer?.destroy();
  await settlesTo(fx, 1);
  // Every attribute set the attacker's UPDATEs interned went with its sessions (accepted, withdrawn or failed).
  await until('only the good attribute set left', () => fx.s.rib.attributeSetCount === 1).catch(() => undefined);
  t.is(fx.s.rib.attributeSetCount, 1, 'interned attribute sets are released on every path');
});

test.serial('robustness: 150 mutated real OPENs (BIRD, Quagga, OpenBGPD dumps) each get KEEPALIVE or the right OPEN error', async (t) => {
  const opens = await realOpens;
  t.true(opens.length >= 8);
  const fx = await fixture(t);
  const rnd = seededRandom(0x5ec0_0002);
  const deadline = Date.now() + 10_000;
  const ours = localOpen({ localAs: 65010, routerId: parseId(fx.a.speaker) }, fx.attackerOptions, true);
  const tally = { accepted: 0, rejected: 0 };
  for (let i = 0; i < 150 && Date.now() < deadline; i++) {
    const m = opens[i % opens.length]!;
    const body = i < opens.length ? Buffer.from(m.message.subarray(19)) : mutate(m.message.subarray(19), rnd);
    if (body.length < 10 || body.length + 19 > 4096) continue;
    let expected: BgpError | null = null;
    try {
      const open: OpenMessage = decodeOpen(body, 0, body.length);
      negotiate(open, ours, { localAs: 65010, routerId: parseId(fx.a.speaker) }, fx.attackerOptions);
    } catch (err) {
      if (!(err instanceof BgpError)) throw err;
      expected = err;
    }
    const peer = await fx.attacker();
    await peer.readOpen();
    peer.send(encodeMessage(MessageType.Open, body));
    const reply = await peer.next();
    if (expected === null) {
      t.is(reply.type, MessageType.Keepalive, `OPEN #${i} is acceptable`);
      tally.accepted++;
    } else {
      t.is(reply.type, MessageType.Notification, `OPEN #${i}: ${expected.message}`);
      t.deepEqual([reply.message[19], reply.message[20]], [expected.code, expected.subcode], `OPEN #${i}: ${expected.message}`);
      tally.rejected++;
    }
    peer.destroy();
    await peer.waitClosed();
  }
  t.log(tally);
  t.true(tally.accepted >= 8 && tally.rejected > 10);
  t.false(fx.s.records.some((r) => /internal error/.test(r.msg)));
  await fx.goodIsFine();
  await settlesTo(fx, 1);
});

test.serial('robustness: random garbage streams from the configured attacker address end in a NOTIFICATION, not a crash', async (t) => {
  const fx = await fixture(t);
  const rnd = seededRandom(0x5ec0_0003);
  const deadline = Date.now() + 6_000;
  for (let i = 0; i < 40 && Date.now() < deadline; i++) {
    const peer = await fx.attacker();
    await peer.readOpen();
    if (i % 2 === 1) await establish(peer);
    // Half valid-looking headers with random types/lengths, half pure noise, in random segment sizes.
    const parts: Buffer[] = [];
    for (let k = 0; k < 6; k++) {
      const len = Math.floor(rnd() * 64);
      const body = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      parts.push(rnd() < 0.5 ? raw(19 + len + Math.floor(rnd() * 3) - 1, 1 + Math.floor(rnd() * 6), body) : body);
    }
    const stream = Buffer.concat(parts);
    for (let at = 0; at < stream.length; ) {
      const n = 1 + Math.floor(rnd() * 40);
      peer.send(stream.subarray(at, at + n));
      at += n;
    }
    // Either the speaker finds an error (NOTIFICATION, then close) or it waits for more bytes: close ourselves.
    const first = await peer.nextOfType(MessageType.Notification, 400).catch(() => null);
    if (first !== null) t.not(first.message[19], 6, 'a malformed stream is never answered with a Cease (internal error)');
    peer.destroy();
    await peer.waitClosed();
  }
  t.false(fx.s.records.some((r) => /internal error/.test(r.msg)));
  await fx.goodIsFine();
  await settlesTo(fx, 1);
});

// ---- stalls -------------------------------------------------------------------------------------------------------

test.serial('robustness: a peer that claims a 4096-byte message and stalls is dropped by the hold timer (4/0)', async (t) => {
  const fx = await fixture(t, { holdTime: 3 });
  const peer = await fx.establishedAttacker(3);
  peer.send(raw(4096, 2, Buffer.alloc(100)));
  const started = Date.now();
  const n = await peer.notification(6000);
  t.deepEqual([n.code, n.subcode], [4, 0]);
  t.true(Date.now() - started >= 2500, 'not before the hold time');
  await peer.waitClosed();
  await fx.goodIsFine();
  await settlesTo(fx, 1);
});

test.serial('robustness: dripping a message one byte at a time does not hold the session open (hold timer counts messages)', async (t) => {
  const fx = await fixture(t, { holdTime: 3 });
  const peer = await fx.establishedAttacker(3);
  const message = raw(4096, 2, Buffer.alloc(4096 - 19));
  const started = Date.now();
  let at = 0;
  const drip = setInterval(() => {
    if (!peer.closed && at < message.length) peer.send(message.subarray(at, ++at));
  }, 200);
  t.teardown(() => clearInterval(drip));
  const n = await peer.notification(6000);
  clearInterval(drip);
  t.deepEqual([n.code, n.subcode], [4, 0], 'Hold Timer Expired although bytes kept arriving');
  t.true(Date.now() - started < 5000);
  await fx.goodIsFine();
});

test.serial('robustness: a peer that never reads while asking for route refreshes is cut off with bounded buffering', async (t) => {
  const fx = await fixture(t);
  const peer = await fx.establishedAttacker();
  peer.socket.pause(); // never read again: the speaker's BoRR/EoRR answers pile up
  const rr = encodeRouteRefresh({ afi: Afi.IPv4, safi: Safi.Unicast });
  const chunk = Buffer.concat(Array.from({ length: 4096 }, () => rr));
  const neighbor = fx.s.speaker.neighbor(fx.a.attacker)!;
  const deadline = Date.now() + 15_000;
  let sent = 0;
  let maxBacklog = 0;
  while (neighbor.status().state === 'Established' && Date.now() < deadline && sent < 80 << 20) {
    if (!peer.socket.write(chunk)) await new Promise((r) => { peer.socket.once('drain', r); setTimeout(r, 50); });
    sent += chunk.length;
    maxBacklog = Math.max(maxBacklog, neighbor.outputBacklog);
    await sleep(0);
  }
  t.log({ sentMiB: (sent / 2 ** 20).toFixed(1), maxBacklogKiB: Math.round(maxBacklog / 1024) });
  t.not(neighbor.status().state, 'Established', 'the non-reading peer was dropped');
  t.regex(neighbor.status().lastError ?? '', /Out of Resources/);
  t.true(maxBacklog <= 2 << 20, 'the speaker never buffered more than about its output limit for the peer');
  peer.destroy();
  await fx.goodIsFine();
  await settlesTo(fx, 1);
});

// ---- floods --------------------------------------------------------------------------------------------------------

test.serial('robustness: 300 connections from unconfigured addresses are refused with Cease/Connection Rejected (6/5) and released', async (t) => {
  const fx = await fixture(t);
  const replies: Buffer[] = [];
  let maxOpen = 0;
  const sampler = setInterval(() => { maxOpen = Math.max(maxOpen, fx.s.speaker.openConnections); }, 5);
  t.teardown(() => clearInterval(sampler));
  // allowHalfOpen: the strangers do not close when the speaker does; the speaker must let go of them itself.
  const sockets = await Promise.all(Array.from({ length: 300 }, (_, i) => new Promise<Socket>((resolve, reject) => {
    const s = connect({ host: fx.a.speaker, port: fx.s.port, localAddress: fx.a.stranger(i), allowHalfOpen: true });
    s.once('error', reject);
    s.once('connect', () => {
      s.on('error', () => {});
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.write(openBytes({})); // talking does not help
      s.once('close', () => replies.push(Buffer.concat(chunks)));
      resolve(s);
    });
  })));
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  await until('the speaker let go of every stranger', () => fx.s.speaker.openConnections === 1, 10_000);
  clearInterval(sampler);
  t.true(maxOpen <= 1 + 256, `at most 256 refused connections linger at once (saw ${maxOpen - 1})`);
  for (const s of sockets) s.end();
  await until('every stranger closed', () => replies.length === sockets.length, 10_000);
  let told = 0;
  for (const r of replies) {
    if (r.length === 0) continue; // refused without a word once 256 were lingering
    const framed = new MessageFramer().push(r);
    t.is(framed.length, 1);
    t.deepEqual([framed[0]!.type, r[19], r[20]], [MessageType.Notification, 6, 5]);
    told++;
  }
  t.log({ maxLingering: maxOpen - 1, told });
  t.true(told >= 256, `${told} strangers were told why`);
  const refusedLogs = fx.s.records.filter((r) => /not a configured neighbor/.test(r.msg)).length;
  t.true(refusedLogs < 50, `refusals are logged without flooding (${refusedLogs} lines for 300)`);
  await fx.goodIsFine();
});

test.serial('robustness: 100 simultaneous connections from the configured attacker address leave at most one session', async (t) => {
  const fx = await fixture(t);
  const neighbor = fx.s.speaker.neighbor(fx.a.attacker)!;
  let maxConnections = 0;
  const sampler = setInterval(() => { maxConnections = Math.max(maxConnections, neighbor.connectionCount); }, 5);
  t.teardown(() => clearInterval(sampler));
  const peers = await Promise.all(Array.from({ length: 100 }, () => fx.attacker()));
  // Half say OPEN at once (collisions), half stay silent (pre-OPEN stalls).
  peers.forEach((p, i) => { if (i % 2 === 0) p.sendOpen({ as: ATTACKER_AS, id: '10.9.9.9' }); });
  await sleep(500);
  maxConnections = Math.max(maxConnections, neighbor.connectionCount);
  t.true(maxConnections <= 4, `at most a handful of connections kept for one neighbor (saw ${maxConnections})`);
  await until('the refused connections closed', () => peers.filter((p) => !p.closed).length <= 2, 5000).catch(() => undefined);
  const open = peers.filter((p) => !p.closed);
  t.true(open.length <= 2, `${open.length} connections left open (${neighbor.connectionCount} on the speaker)`);
  for (const p of peers) p.destroy();
  await until('the attacker neighbor holds no connection', () => neighbor.connectionCount === 0);
  await settlesTo(fx, 1);
  // The neighbor is still usable afterwards.
  await fx.establishedAttacker();
  t.is(neighbor.status().state, 'Established');
  await fx.goodIsFine();
});

test.serial('robustness: a connection that OPENs, then NOTIFIEs and keeps its socket open, 50 times, leaks nothing', async (t) => {
  const fx = await fixture(t);
  const peers: ScriptedPeer[] = [];
  for (let i = 0; i < 50; i++) {
    const p = await fx.attacker();
    peers.push(p);
    await p.readOpen();
    p.sendOpen({ as: ATTACKER_AS, id: '10.9.9.9' });
    await p.nextOfType(MessageType.Keepalive);
    p.send(encodeNotification({ code: 6, subcode: 4 }));
  }
  await until('the speaker closed every one of them', () => peers.every((p) => p.closed), 5000);
  await settlesTo(fx, 1);
  await fx.goodIsFine();
});

test.serial('robustness: peers that reset the connection (RST) at every stage, mid-write, leave nothing behind', async (t) => {
  const fx = await fixture(t);
  const rr = encodeRouteRefresh({ afi: Afi.IPv4, safi: Safi.Unicast });
  for (let stage = 0; stage < 4; stage++) {
    for (let i = 0; i < 5; i++) {
      const peer = await fx.attacker();
      if (stage >= 1) await peer.readOpen();
      if (stage >= 2) await establish(peer);
      // Stage 3: many answers in flight when the RST comes (EPIPE/ECONNRESET on the speaker's writes).
      if (stage === 3) peer.send(Buffer.concat(Array.from({ length: 2000 }, () => rr)));
      peer.socket.resetAndDestroy();
    }
  }
  for (let i = 0; i < 20; i++) {
    const s = connect({ host: fx.a.speaker, port: fx.s.port, localAddress: fx.a.stranger(i) });
    s.on('error', () => {});
    s.once('connect', () => s.resetAndDestroy());
  }
  await until('the attacker neighbor holds no connection', () => fx.s.speaker.neighbor(fx.a.attacker)!.connectionCount === 0);
  await settlesTo(fx, 1);
  t.false(fx.s.records.some((r) => /internal error/.test(r.msg)));
  await fx.goodIsFine();
});

test.serial('robustness: an exception that is not a BgpError (a RIB bug) closes that session with Cease 6/8, nothing else', async (t) => {
  const fx = await fixture(t);
  const rib = fx.s.rib;
  const announceRows = rib.announceRows.bind(rib);
  const poison = prefix4('192.0.2.128/25');
  // The RIB is not supposed to throw: simulate a bug for one prefix (the update sink installs rows of
  // announcements: afi, pathId, a, b, c, d, length each).
  rib.announceRows = (id: number, rows: Int32Array, count: number, attrId: number) => {
    for (let o = 0; o < count * 7; o += 7) {
      if (rows[o + 2]! >>> 0 === poison.a && rows[o + 6] === poison.length) throw new TypeError('simulated RIB bug');
    }
    announceRows(id, rows, count, attrId);
  };
  t.teardown(() => { rib.announceRows = announceRows; });
  const peer = await fx.establishedAttacker();
  peer.announce([poison], attributes([ATTACKER_AS]));
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [6, 8]);
  await peer.waitClosed();
  t.true(fx.s.records.some((r) => /internal error/.test(r.msg)), 'logged as an internal error');
  await fx.goodIsFine();
  await settlesTo(fx, 1);
});

test.serial('robustness: after the speaker shuts down no socket of it is left, sessions and refused strangers alike', async (t) => {
  const before = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
  const fx = await fixture(t, { holdTime: 3 });
  const peer = await fx.establishedAttacker(3);
  peer.send(raw(4096, 2, Buffer.alloc(10))); // a partial message held in the framer
  const stranger = connect({ host: fx.a.speaker, port: fx.s.port, localAddress: fx.a.stranger(7) });
  stranger.on('error', () => {});
  await until('the stranger refused', () => fx.s.speaker.openConnections === 3);
  await fx.s.speaker.shutdown('test over');
  await until('the peers see the close', () => peer.closed && fx.good.closed, 5000);
  stranger.destroy();
  t.is(fx.s.speaker.openConnections, 0);
  for (const n of fx.s.speaker.neighbors) t.is(n.connectionCount, 0);
  await until('no TCP handle left', () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length <= before, 5000);
});
