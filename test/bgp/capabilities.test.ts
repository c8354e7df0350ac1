import test from 'ava';
import {
  BufferWriter,
  type Capabilities,
  decodeCapabilities,
  emptyCapabilities,
  encodeCapabilities,
  formatCapabilities,
  negotiateDecodeOptions,
  negotiateEncodeOptions,
  negotiatedFamilies,
} from '../../src/bgp/index.js';
import { everyCapability } from './helpers/build.js';

function encode(caps: Capabilities): Buffer {
  const w = new BufferWriter();
  encodeCapabilities(caps, w);
  return w.toBuffer();
}

test('every capability round-trips encode -> decode -> encode, unknown ones kept as bytes', (t) => {
  const caps = everyCapability();
  const bytes = encode(caps);
  const decoded = emptyCapabilities();
  decodeCapabilities(bytes, 0, bytes.length, decoded);
  t.deepEqual(decoded, caps);
  t.deepEqual(encode(decoded), bytes);
});

test('graceful restart flags, restart time and per-family forwarding bits are on the wire where RFC 4724 puts them', (t) => {
  const bytes = encode({ ...emptyCapabilities(), gracefulRestart: everyCapability().gracefulRestart });
  t.deepEqual(Array.from(bytes), [64, 10, 0xc0, 120, 0, 1, 1, 0x80, 0, 2, 1, 0]);
});

test('ADD-PATH send/receive is the RFC 7911 mode field', (t) => {
  const bytes = encode({ ...emptyCapabilities(), addPath: everyCapability().addPath });
  t.deepEqual(Array.from(bytes), [69, 8, 0, 1, 1, 3, 0, 2, 1, 1]);
});

test('a capability of the wrong length is an OPEN error', (t) => {
  for (const bytes of [
    [65, 2, 0, 1],
    [1, 3, 0, 1, 1],
    [2, 1, 0],
    [64, 3, 0, 0, 0],
    [69, 3, 0, 1, 1],
  ]) {
    t.like(
      t.throws(() => decodeCapabilities(Buffer.from(bytes), 0, bytes.length, emptyCapabilities())),
      { code: 2 },
    );
  }
});

test('negotiation: 4-octet AS, extended message and ADD-PATH need both sides; ADD-PATH is directional', (t) => {
  const local = everyCapability();
  const remote: Capabilities = {
    ...everyCapability(),
    addPath: [
      { afi: 1, safi: 1, send: true, receive: false },
      { afi: 2, safi: 1, send: true, receive: true },
    ],
    extendedMessage: false,
  };
  t.deepEqual(negotiateDecodeOptions(local, remote), { fourOctetAs: true, addPathIpv4: true, addPathIpv6: true, extendedMessage: false });
  t.deepEqual(negotiateEncodeOptions(local, remote), { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, extendedMessage: false });
  t.false(negotiateDecodeOptions(local, { ...remote, fourOctetAs: null }).fourOctetAs);
  t.deepEqual(negotiatedFamilies(local, { ...remote, multiprotocol: [{ afi: 2, safi: 1 }] }), [{ afi: 2, safi: 1 }]);
  t.deepEqual(negotiatedFamilies(emptyCapabilities(), emptyCapabilities()), [{ afi: 1, safi: 1 }]);
});

test('formatCapabilities describes each capability', (t) => {
  const lines = formatCapabilities(everyCapability());
  t.true(lines.includes('multiprotocol ipv4/unicast ipv6/unicast'));
  t.true(lines.includes('4-octet AS 4200000000'));
  t.true(lines.includes('graceful restart time 120 R N ipv4/unicast(F) ipv6/unicast'));
  t.true(lines.includes('ADD-PATH ipv4/unicast:send/receive ipv6/unicast:receive'));
  t.true(lines.includes('capability 73 (4 bytes)'));
});
