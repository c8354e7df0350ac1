import test from 'ava';
import { BufferReader, readInt32, readUint16, readUint32 } from '../../src/bgp/index.js';

test('reads uint8, uint16 and uint32 big-endian while advancing', (t) => {
  const r = new BufferReader(Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]));
  t.is(r.uint8(), 0x01);
  t.is(r.offset, 1);
  t.is(r.uint16(), 0x0203);
  t.is(r.offset, 3);
  t.is(r.uint32(), 0x04050607);
  t.is(r.offset, 7);
});

test('uint32 and ipv4 are unsigned above 2^31', (t) => {
  const r = new BufferReader(Buffer.from([0xff, 0xff, 0xff, 0xfe, 0xc0, 0x00, 0x02, 0x01]));
  t.is(r.uint32(), 0xfffffffe);
  t.is(r.ipv4(), 0xc0000201);
});

test('setBuffer points the reader at another buffer and offset, and reads plain Uint8Arrays too', (t) => {
  const r = new BufferReader(Buffer.from([1, 2, 3]));
  r.uint8();
  t.is(r.setBuffer(Uint8Array.of(9, 9, 0xab, 0xcd), 2).uint16(), 0xabcd);
  t.is(r.offset, 4);
  t.is(r.setBuffer(Buffer.from([7])).uint8(), 7);
});

test('uint32List reads count words into a new Uint32Array and moves past them', (t) => {
  const r = new BufferReader(Buffer.from([0xee, 0xfd, 0xe8, 0x00, 0x64, 0xff, 0xff, 0xff, 0x01, 0x55]), 1);
  const list = r.uint32List(2);
  t.deepEqual(Array.from(list), [0xfde80064, 0xffffff01]);
  t.is(r.offset, 9);
  t.is(r.uint8(), 0x55);
  t.is(r.uint32List(0).length, 0);
});

test('bytes copies into a plain Uint8Array that does not share the buffer, short and long', (t) => {
  for (const n of [3, 100]) {
    const buf = Buffer.alloc(n + 2, 7);
    const r = new BufferReader(buf, 1);
    const out = r.bytes(n);
    t.is(out.constructor, Uint8Array);
    t.is(out.length, n);
    t.is(r.offset, n + 1);
    buf[1] = 99;
    t.is(out[0], 7, 'a copy, not a view');
  }
});

test('skip advances without reading', (t) => {
  const r = new BufferReader(Buffer.from([1, 2, 3, 4]));
  t.is(r.skip(3).uint8(), 4);
});

test('readUint16 and readUint32 read one field at an offset', (t) => {
  const b = Buffer.from([0, 0x80, 0x00, 0x00, 0x01, 0x12, 0x34]);
  t.is(readUint32(b, 1), 0x80000001);
  t.is(readUint16(b, 5), 0x1234);
  t.is(readUint32(Uint8Array.of(0xff, 0xff, 0xff, 0xff), 0), 0xffffffff);
});

test('readInt32 reads the same bits as readUint32, signed', (t) => {
  const b = Uint8Array.of(0xff, 0xff, 0xff, 0x01, 0x7f, 0xff, 0xff, 0xff);
  t.is(readInt32(b, 0), -255);
  t.is(readInt32(b, 0) >>> 0, readUint32(b, 0));
  t.is(readInt32(b, 4), 0x7fffffff);
});
