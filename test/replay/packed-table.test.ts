import test from 'ava';
import { Afi, AsPathSegment, AsPathSegmentType, BGP_MAX_MESSAGE_LENGTH, DEFAULT_DECODE_OPTIONS, PathAttributes, decodeUpdate, type NlriSink } from '../../src/bgp/index.js';
import { packTable, type RouteGroup } from '../../src/replay/index.js';

/** The UPDATEs of a packed table, one by one (each chunk is messages back to back). */
function* messages(chunks: readonly Buffer[]): Generator<Buffer> {
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; ) {
      const length = chunk.readUInt16BE(at + 16);
      yield chunk.subarray(at, at + length);
      at += length;
    }
  }
}

/** Decodes every UPDATE: the prefixes announced (as "a/length"), and each message's communities count. */
function decodeAll(chunks: readonly Buffer[]): { prefixes: string[]; lengths: number[]; communities: number[] } {
  const prefixes: string[] = [];
  const communities: number[] = [];
  const sink: NlriSink = {
    announce: (_afi, _pathId, a, _b, _c, _d, length) => void prefixes.push(`${a >>> 0}/${length}`),
    withdraw: () => undefined,
    attributes: (attrs) => void communities.push(attrs.communities?.length ?? 0),
  };
  const lengths: number[] = [];
  for (const m of messages(chunks)) {
    lengths.push(m.length);
    decodeUpdate(m, 19, m.length, DEFAULT_DECODE_OPTIONS, sink);
  }
  return { prefixes, lengths, communities };
}

function group(prefixCount: number, communityCount: number): RouteGroup {
  const attributes = new PathAttributes();
  attributes.origin = 0;
  attributes.asPath = [new AsPathSegment(AsPathSegmentType.AsSequence, [64500, 3356])];
  attributes.nextHop = 0xc0000201;
  attributes.communities = communityCount === 0 ? null : Uint32Array.from({ length: communityCount }, (_, i) => 0xfde80000 + i);
  const prefixes = Array.from({ length: prefixCount }, (_, i) => ({ afi: Afi.IPv4, pathId: 0, a: (0x0a000000 + i * 256) >>> 0, b: 0, c: 0, d: 0, length: 24 }));
  return { attributes, prefixes };
}

test('a group whose attributes and prefixes fit no single UPDATE together is split, each UPDATE within 4096 bytes', (t) => {
  // 700 communities: 2.8 kB of attributes; 400 /24s: 1.6 kB of NLRI. Either fits a message; both do not.
  const g = group(400, 700);
  const table = packTable([g]);
  const decoded = decodeAll(table.chunks);
  t.true(decoded.lengths.length > 1, `${decoded.lengths.length} UPDATEs`);
  t.is(table.messages, decoded.lengths.length);
  for (const length of decoded.lengths) t.true(length <= BGP_MAX_MESSAGE_LENGTH, `${length} bytes`);
  t.deepEqual(decoded.prefixes, g.prefixes.map((p) => `${p.a}/24`), 'every prefix once, in order');
  t.true(decoded.communities.every((n) => n === 700), 'every UPDATE carries the whole attribute set');
  t.is(table.ipv4, 400);
});

test('small groups go out as one UPDATE each, with every prefix', (t) => {
  const groups = [group(3, 2), group(1, 0), group(200, 10)];
  groups[1]!.prefixes[0]!.a = 0x0b000000;
  groups[2]!.prefixes.forEach((p, i) => (p.a = (0x0c000000 + i * 256) >>> 0));
  const table = packTable(groups);
  const decoded = decodeAll(table.chunks);
  t.is(decoded.lengths.length, 3);
  t.deepEqual(decoded.communities, [2, 0, 10]);
  t.deepEqual(decoded.prefixes, groups.flatMap((g) => g.prefixes.map((p) => `${p.a}/24`)));
  t.is(table.ipv4, 204);
});
