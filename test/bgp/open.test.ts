import test from 'ava';
import {
  AS_TRANS,
  BgpError,
  type Capabilities,
  MessageFramer,
  type OpenMessage,
  decodeOpen,
  emptyCapabilities,
  encodeOpen,
  openPeerAs,
  validateBgpIdentifier,
  validateHoldTime,
  validateOpen,
  validateOpenVersion,
  validatePeerAs,
} from '../../src/bgp/index.js';
import { everyCapability } from './helpers/build.js';

function frame(msg: Buffer): OpenMessage {
  const [m] = new MessageFramer().push(msg);
  return decodeOpen(m.message, 19, m.message.length);
}

test('an OPEN with every capability round-trips', (t) => {
  const msg = encodeOpen({ myAs: 4200000000, holdTime: 90, bgpIdentifier: 0xc0000201, capabilities: everyCapability() });
  const open = frame(msg);
  t.like(open, { version: 4, myAs: AS_TRANS, holdTime: 90, bgpIdentifier: 0xc0000201, extendedParameters: false });
  t.deepEqual(open.capabilities, everyCapability());
  t.is(openPeerAs(open), 4200000000);
  t.deepEqual(encodeOpen(open), msg);
});

test('an OPEN without capabilities has no optional parameters', (t) => {
  const msg = encodeOpen({ myAs: 65000, holdTime: 0, bgpIdentifier: 1, capabilities: emptyCapabilities() });
  t.is(msg.length, 29);
  t.is(openPeerAs(frame(msg)), 65000);
});

function bigCapabilities(): Capabilities {
  const caps = everyCapability();
  for (let i = 0; i < 30; i++) caps.unknown.push({ code: 128 + i, value: new Uint8Array(8).fill(i) });
  return caps;
}

test('parameters over 255 bytes use the RFC 9072 extended length, and decode back', (t) => {
  const msg = encodeOpen({ myAs: 65000, holdTime: 90, bgpIdentifier: 1, capabilities: bigCapabilities() });
  t.is(msg[28], 255);
  t.is(msg[29], 255);
  const open = frame(msg);
  t.true(open.extendedParameters);
  t.deepEqual(open.capabilities, bigCapabilities());
  t.deepEqual(encodeOpen(open), msg);
});

test('the RFC 9072 encoding can be forced for small parameters and still decodes', (t) => {
  const msg = encodeOpen({ myAs: 65000, holdTime: 90, bgpIdentifier: 1, capabilities: everyCapability(), extendedParameters: true });
  const open = frame(msg);
  t.true(open.extendedParameters);
  t.deepEqual(open.capabilities, everyCapability());
});

test('capabilities spread over several parameters are gathered', (t) => {
  // Two capability parameters: route refresh, then 4-octet AS 65001.
  const params = [2, 2, 2, 0, 2, 6, 65, 4, 0, 0, 0xfd, 0xe9];
  const body = Buffer.from([4, 0xfd, 0xe9, 0, 90, 1, 2, 3, 4, params.length, ...params]);
  const open = decodeOpen(body, 0, body.length);
  t.true(open.capabilities.routeRefresh);
  t.is(open.capabilities.fourOctetAs, 65001);
});

test('an unknown optional parameter type is Unsupported Optional Parameter (2/4)', (t) => {
  const body = Buffer.from([4, 0xfd, 0xe9, 0, 90, 1, 2, 3, 4, 3, 1, 1, 0]);
  t.like(t.throws(() => decodeOpen(body, 0, body.length), { instanceOf: BgpError }), { code: 2, subcode: 4 });
});

test('a parameter length that disagrees with the message is an OPEN error', (t) => {
  const body = Buffer.from([4, 0xfd, 0xe9, 0, 90, 1, 2, 3, 4, 9, 2, 2, 2, 0]);
  t.like(t.throws(() => decodeOpen(body, 0, body.length)), { code: 2 });
});

function open(over: Partial<OpenMessage>): OpenMessage {
  return { version: 4, myAs: 65001, holdTime: 90, bgpIdentifier: 0x0a000001, capabilities: emptyCapabilities(), extendedParameters: false, ...over };
}

test('version other than 4 is Unsupported Version Number (2/1) with 4 as data', (t) => {
  const err = t.throws(() => validateOpenVersion(open({ version: 3 })), { instanceOf: BgpError });
  t.like(err, { code: 2, subcode: 1 });
  t.deepEqual(Array.from(err!.data), [0, 4]);
});

test('hold time 1 or 2 is Unacceptable Hold Time (2/6); 0 and >= 3 are fine', (t) => {
  for (const holdTime of [1, 2]) t.like(t.throws(() => validateHoldTime(open({ holdTime }))), { code: 2, subcode: 6 });
  for (const holdTime of [0, 3, 65535]) t.notThrows(() => validateHoldTime(open({ holdTime })));
});

test('a zero BGP identifier or our own is Bad BGP Identifier (2/3)', (t) => {
  t.like(t.throws(() => validateBgpIdentifier(open({ bgpIdentifier: 0 }), 5)), { code: 2, subcode: 3 });
  t.like(t.throws(() => validateBgpIdentifier(open({ bgpIdentifier: 5 }), 5)), { code: 2, subcode: 3 });
  t.notThrows(() => validateBgpIdentifier(open({ bgpIdentifier: 0xffffffff }), 5));
});

test('an unexpected peer AS is Bad Peer AS (2/2), using the 4-octet AS capability when present', (t) => {
  t.like(t.throws(() => validatePeerAs(open({}), 65002)), { code: 2, subcode: 2 });
  const four = open({ myAs: AS_TRANS, capabilities: { ...emptyCapabilities(), fourOctetAs: 4200000000 } });
  t.notThrows(() => validatePeerAs(four, 4200000000));
  t.like(t.throws(() => validatePeerAs(four, AS_TRANS)), { code: 2, subcode: 2 });
  t.notThrows(() => validateOpen(open({}), 1, null));
});

test('random and mutated OPEN bodies only ever decode or throw BgpError (seeded fuzz)', (t) => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const good = encodeOpen({ myAs: 65000, holdTime: 90, bgpIdentifier: 1, capabilities: everyCapability() }).subarray(19);
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    const body = Buffer.from(good.subarray(0, rnd(good.length + 1)));
    for (let k = 0; k < 1 + rnd(3); k++) if (body.length > 0) body[rnd(body.length)] = rnd(256);
    try {
      decodeOpen(body, 0, body.length);
      decoded++;
    } catch (err) {
      if (!(err instanceof BgpError)) {
        t.fail(`threw ${String(err)} for ${body.toString('hex')}`);
        return;
      }
      rejected++;
    }
  }
  // both outcomes occur, so the inputs reach past the first length check and into the capabilities
  t.true(decoded > 0, `${decoded} decoded`);
  t.true(rejected > 0, `${rejected} rejected`);
});

test('real OPENs from BIRD, OpenBGPD, Quagga and RIS dumps decode, validate and survive re-encoding', async (t) => {
  const { loadMrtMessages } = await import('../../src/mrt/index.js');
  const { sharedMrtDir } = await import('./helpers/real-updates.js');
  let seen = 0;
  for (const file of ['bird_bgp', 'bird6_bgp', 'openbgpd_bgp', 'quagga_bgp', 'updates.et-header.2015.gz']) {
    const { messages } = await loadMrtMessages(`${sharedMrtDir()}/${file}`, { updatesOnly: false });
    for (const m of messages) {
      if (m.type !== 1) continue;
      seen++;
      const open = decodeOpen(m.message, 19, m.message.length);
      t.notThrows(() => validateOpen(open, 0x7f000001, null), file);
      t.is(openPeerAs(open), open.capabilities.fourOctetAs ?? open.myAs);
      t.true(open.capabilities.multiprotocol.length > 0 || open.capabilities.fourOctetAs !== null, file);
      const again = encodeOpen({ ...open });
      t.deepEqual(frame(again), open, file);
    }
  }
  t.true(seen >= 10);
});
