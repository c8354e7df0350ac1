import test from 'ava';
import { BgpError, MessageFramer, decodeRouteRefresh, encodeRouteRefresh } from '../../src/bgp/index.js';

test('ROUTE-REFRESH round-trips with each RFC 7313 subtype', (t) => {
  for (const subtype of [0, 1, 2]) {
    for (const [afi, safi] of [
      [1, 1],
      [2, 1],
    ]) {
      const msg = encodeRouteRefresh({ afi, safi, subtype });
      t.is(msg.length, 23);
      const [framed] = new MessageFramer().push(msg);
      const decoded = decodeRouteRefresh(framed.message, 19, framed.message.length);
      t.deepEqual(decoded, { afi, safi, subtype });
      t.deepEqual(encodeRouteRefresh(decoded), msg);
    }
  }
});

test('a plain RFC 2918 ROUTE-REFRESH has subtype 0', (t) => {
  const msg = encodeRouteRefresh({ afi: 1, safi: 1 });
  t.is(msg[21], 0);
});

test('a ROUTE-REFRESH body that is not 4 bytes is error 7/1', (t) => {
  const body = Buffer.from([0, 1, 0, 1, 0]);
  t.like(t.throws(() => decodeRouteRefresh(body, 0, body.length), { instanceOf: BgpError }), { code: 7, subcode: 1 });
});
