import test from 'ava';
import { AsciiBuffer } from '../../src/mrt/ascii-buffer.js';
import { bgpdumpIpv6 } from '../../src/mrt/index.js';

/**
 * Reference model of bgpdump 1.6's fmt_ipv6, written plainly and separately from the byte writer: IPv4-mapped and
 * -compatible addresses keep a dotted tail; otherwise the first longest run of zero groups, even one, becomes '::'.
 */
function bgpdumpIpv6Model(a: number, b: number, c: number, d: number): string {
  if (a === 0 && b === 0 && (c === 0xffff || (c === 0 && d >>> 0 > 1))) {
    const v4 = [d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255].join('.');
    return (c === 0xffff ? '::ffff:' : '::') + v4;
  }
  const g = [a >>> 16, a & 0xffff, b >>> 16, b & 0xffff, c >>> 16, c & 0xffff, d >>> 16, d & 0xffff];
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
  }
  if (best < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, best).map((x) => x.toString(16)).join(':');
  const tail = g.slice(best + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** A small deterministic generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
}

function written(fill: (w: AsciiBuffer) => void, capacity = 4): string {
  const w = new AsciiBuffer(capacity);
  fill(w);
  return w.takeString();
}

test('writes integers as String() does, zero-padded as %06u, signed as %d', (t) => {
  const next = lcg(1);
  const values = [0, 1, 9, 10, 99, 100, 999999, 1000000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7];
  for (let i = 0; i < 2000; i++) values.push(next() >>> (next() & 31));
  for (const v of values) {
    t.is(written((w) => w.uint(v)), String(v));
    t.is(written((w) => w.int(v | 0)), String(v | 0));
    if (v < 1e9) t.is(written((w) => w.uintPadded(v, 6)), String(v).padStart(6, '0'));
  }
});

test('writes IPv4 as a dotted quad', (t) => {
  t.is(written((w) => w.ipv4(0)), '0.0.0.0');
  t.is(written((w) => w.ipv4(0xffffffff)), '255.255.255.255');
  t.is(written((w) => w.ipv4(0x0a00640b)), '10.0.100.11');
  t.is(written((w) => w.address(Buffer.from([192, 0, 2, 1]), 0, 4)), '192.0.2.1');
});

test('writes IPv6 like the string formatter of bgpdump\'s fmt_ipv6 rules, zero runs and mapped forms included', (t) => {
  const next = lcg(7);
  const cases: [number, number, number, number][] = [
    [0, 0, 0, 0],
    [0, 0, 0, 1],
    [0, 0, 0, 0x0a000001],
    [0, 0, 0xffff, 0xc0000201],
    [0x20010db8, 0, 0, 1],
    [0x20010db8, 0x10000, 0, 0],
    [0x20010000, 0x00010000, 0x00010000, 0x00010000],
    [0xfe800000, 0, 0x0200aaff, 0xfe000001],
  ];
  for (let i = 0; i < 3000; i++) {
    // Mostly-zero groups, so that runs of every length and position occur.
    const word = (): number => ((next() & 3 ? 0 : next() & 0xffff) << 16 | (next() & 3 ? 0 : next() & 0xffff)) >>> 0;
    cases.push([word(), word(), word(), word()]);
  }
  for (const [a, b, c, d] of cases) {
    t.is(written((w) => w.ipv6(a, b, c, d)), bgpdumpIpv6Model(a, b, c, d), `${a} ${b} ${c} ${d}`);
    t.is(bgpdumpIpv6(a, b, c, d), bgpdumpIpv6Model(a, b, c, d));
  }
  const bytes = Buffer.from('20010db8000000000000000000000001', 'hex');
  t.is(written((w) => w.address(Buffer.concat([Buffer.alloc(3), bytes]), 3, 16)), '2001:db8::1');
});

test('repeats bytes written earlier, short and long, and keeps them across growth', (t) => {
  const w = new AsciiBuffer(8);
  w.text('head|');
  const long = 'x'.repeat(100) + '|tail';
  w.text(long);
  w.repeat(0, 5);
  w.repeat(5, long.length);
  t.is(w.takeString(), 'head|' + long + 'head|' + long);
});

test('take hands over the bytes written and goes on in the buffer given', (t) => {
  const w = new AsciiBuffer(16);
  w.text('first line\n');
  const next = Buffer.alloc(16);
  const chunk = w.take(next);
  w.text('second');
  t.is(chunk.toString('latin1'), 'first line\n');
  t.is(w.buf, next);
  t.is(w.takeString(), 'second');
});
