import test from 'ava';
import { BgpError, countPrefixes, forEachPrefix, type NlriPrefix, readPrefix } from '../../src/bgp/index.js';

function all(bytes: number[], afi: number, addPath = false): NlriPrefix[] {
  const out: NlriPrefix[] = [];
  const buf = Buffer.from(bytes);
  forEachPrefix(buf, 0, buf.length, afi, addPath, (p) => out.push(p));
  return out;
}

test('IPv4 prefixes of every byte length become one uint32 each', (t) => {
  const got = all([0, 7, 0xfe, 16, 10, 1, 24, 192, 0, 2, 32, 255, 255, 255, 255], 1);
  t.deepEqual(got.map((p) => [p.a, p.length]), [
    [0, 0],
    [0xfe000000, 7],
    [0x0a010000, 16],
    [0xc0000200, 24],
    [0xffffffff, 32],
  ]);
});

test('IPv6 prefixes become four words with host bits cleared', (t) => {
  const got = all([33, 0x20, 0x01, 0x0d, 0xb8, 0xff, 128, ...new Array(16).fill(0xff), 0], 2);
  t.deepEqual(got.map((p) => [p.a, p.b, p.c, p.d, p.length]), [
    [0x20010db8, 0x80000000, 0, 0, 33],
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 128],
    [0, 0, 0, 0, 0],
  ]);
});

test('ADD-PATH identifiers precede each prefix', (t) => {
  const got = all([0xff, 0xff, 0xff, 0xff, 8, 10, 0, 0, 0, 1, 0], 1, true);
  t.deepEqual(got.map((p) => [p.pathId, p.a, p.length]), [
    [0xffffffff, 0x0a000000, 8],
    [1, 0, 0],
  ]);
});

test('countPrefixes rejects lengths beyond the family and overruns with Invalid Network Field (3/10)', (t) => {
  for (const [bytes, afi] of [
    [[33, 1, 2, 3, 4, 5], 1],
    [[129, ...new Array(17).fill(0)], 2],
    [[24, 1, 2], 1],
    [[0, 0, 0], 1],
  ] as Array<[number[], number]>) {
    const buf = Buffer.from(bytes);
    const err = t.throws(() => countPrefixes(buf, 0, buf.length, afi, afi === 1 && bytes.length === 3 && bytes[0] === 0), { instanceOf: BgpError });
    t.like(err, { code: 3, subcode: 10, action: 'session-reset' });
  }
  t.is(countPrefixes(Buffer.from([8, 10, 0]), 0, 3, 1, false), 2);
});

test('readPrefix reads one prefix into a caller object and returns the next offset', (t) => {
  const buf = Buffer.from([24, 192, 0, 2, 8, 10]);
  const out: NlriPrefix = { afi: 0, pathId: 0, a: 0, b: 0, c: 0, d: 0, length: 0 };
  t.is(readPrefix(buf, 0, buf.length, 1, false, out), 4);
  t.like(out, { afi: 1, a: 0xc0000200, length: 24 });
  t.is(readPrefix(buf, 4, buf.length, 1, false, out), 6);
  t.like(out, { a: 0x0a000000, length: 8 });
});
