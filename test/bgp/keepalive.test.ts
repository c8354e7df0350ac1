import test from 'ava';
import { MessageFramer, encodeKeepalive } from '../../src/bgp/index.js';

test('a KEEPALIVE is the 19-byte header of type 4', (t) => {
  const k = encodeKeepalive();
  t.is(k.length, 19);
  t.true(k.subarray(0, 16).every((b) => b === 0xff));
  t.is(k.readUInt16BE(16), 19);
  t.is(k[18], 4);
  const [m] = new MessageFramer().push(k);
  t.is(m.type, 4);
  t.deepEqual(Buffer.from(m.message), k);
});

test('each KEEPALIVE is a fresh buffer', (t) => {
  const a = encodeKeepalive();
  a[18] = 0;
  t.is(encodeKeepalive()[18], 4);
});
