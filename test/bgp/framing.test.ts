import test from 'ava';
import {
  BgpError,
  MessageFramer,
  encodeKeepalive,
  encodeMessage,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeEndOfRib,
  emptyCapabilities,
} from '../../src/bgp/index.js';

function someMessages(): Buffer[] {
  return [
    encodeOpen({ myAs: 65000, holdTime: 90, bgpIdentifier: 0x01020304, capabilities: { ...emptyCapabilities(), routeRefresh: true } }),
    encodeKeepalive(),
    encodeEndOfRib(1),
    encodeRouteRefresh({ afi: 2, safi: 1 }),
    encodeNotification({ code: 6, subcode: 2, shutdownMessage: 'bye' }),
  ];
}

test('messages split into one-byte chunks come out whole and in order', (t) => {
  const messages = someMessages();
  const stream = Buffer.concat(messages);
  const framer = new MessageFramer();
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) {
    for (const m of framer.push(stream.subarray(i, i + 1))) out.push(Buffer.from(m.message));
  }
  t.deepEqual(out, messages);
  t.is(framer.buffered, 0);
});

test('several messages in one chunk, and a chunk ending mid-header, are framed', (t) => {
  const messages = someMessages();
  const stream = Buffer.concat(messages);
  const framer = new MessageFramer();
  const first = framer.push(stream.subarray(0, messages[0].length + 5));
  t.is(first.length, 1);
  t.is(first[0].type, 1);
  t.is(framer.buffered, 5);
  const rest = framer.push(stream.subarray(messages[0].length + 5));
  t.deepEqual(rest.map((m) => m.type), [4, 2, 5, 3]);
});

function header(length: number, type: number, marker = 0xff): Buffer {
  const b = Buffer.alloc(19, marker);
  b.writeUInt16BE(length, 16);
  b[18] = type;
  return b;
}

test('a bad marker is Connection Not Synchronized (1/1)', (t) => {
  const bad = encodeKeepalive();
  bad[3] = 0;
  const err = t.throws(() => new MessageFramer().push(bad), { instanceOf: BgpError });
  t.like(err, { code: 1, subcode: 1, action: 'session-reset' });
});

test('a length below 19 or above 4096 is Bad Message Length (1/2) with the length as data', (t) => {
  for (const length of [18, 4097, 65535]) {
    const err = t.throws(() => new MessageFramer().push(header(length, 2)), { instanceOf: BgpError });
    t.like(err, { code: 1, subcode: 2 });
    t.deepEqual(Array.from(err!.data), [length >> 8, length & 0xff]);
  }
});

test('per-type minimum lengths are enforced (OPEN 29, UPDATE 23, NOTIFICATION 21, KEEPALIVE exactly 19)', (t) => {
  for (const [type, length] of [
    [1, 28],
    [2, 22],
    [3, 20],
    [4, 20],
  ]) {
    t.like(t.throws(() => new MessageFramer().push(header(length, type))), { code: 1, subcode: 2 });
  }
});

test('an unknown type is Bad Message Type (1/3) with the type as data', (t) => {
  for (const type of [0, 6, 255]) {
    const err = t.throws(() => new MessageFramer().push(header(19, type)), { instanceOf: BgpError });
    t.like(err, { code: 1, subcode: 3 });
    t.deepEqual(Array.from(err!.data), [type]);
  }
});

test('a ROUTE-REFRESH of the wrong length is ROUTE-REFRESH error 7/1 with the message as data (RFC 7313)', (t) => {
  const msg = Buffer.concat([header(24, 5), Buffer.from([0, 1, 0, 1, 9])]);
  const err = t.throws(() => new MessageFramer().push(msg), { instanceOf: BgpError });
  t.like(err, { code: 7, subcode: 1 });
  t.deepEqual(Buffer.from(err!.data), msg);
});

test('extended messages raise the UPDATE limit to 65535 but not the OPEN or KEEPALIVE limit (RFC 8654)', (t) => {
  const framer = new MessageFramer();
  framer.setExtendedMessage(true);
  const big = encodeMessage(2, Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.alloc(5000 - 23)]));
  t.is(framer.push(big).length, 1);
  t.like(t.throws(() => framer.push(header(5000, 1))), { code: 1, subcode: 2 });
  t.like(t.throws(() => new MessageFramer().push(big)), { code: 1, subcode: 2 });
});

test('the header is checked as soon as 19 bytes are there, before the body arrives', (t) => {
  const framer = new MessageFramer();
  t.deepEqual(framer.push(header(100, 2).subarray(0, 10)), []);
  t.throws(() => framer.push(Buffer.from([...header(5000, 2).subarray(10)])), { instanceOf: BgpError });
});

test('a ROUTE-REFRESH of the wrong length split across chunks carries the whole message as data (RFC 7313 5)', (t) => {
  const msg = Buffer.concat([header(40, 5), Buffer.from([0, 1, 1, 1]), Buffer.alloc(17, 0xab)]);
  const framer = new MessageFramer();
  t.deepEqual(framer.push(msg.subarray(0, 20)), [], 'the error waits for the rest of the message');
  const err = t.throws(() => framer.push(msg.subarray(20)), { instanceOf: BgpError });
  t.like(err, { code: 7, subcode: 1 });
  t.deepEqual(Buffer.from(err!.data), msg);
});

test('a 65535-byte message dripped one byte at a time comes out whole, with buffered counting the bytes held', (t) => {
  const framer = new MessageFramer();
  framer.setExtendedMessage(true);
  const body = Buffer.alloc(65535 - 19);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
  const msg = Buffer.concat([encodeMessage(2, body), encodeKeepalive()]);
  const out = [];
  for (let i = 0; i < msg.length; i++) {
    out.push(...framer.push(msg.subarray(i, i + 1)));
    if (i === 100) t.is(framer.buffered, 101);
  }
  t.is(out.length, 2);
  t.deepEqual(out[0]!.message, msg.subarray(0, 65535));
  t.is(out[1]!.type, 4);
  t.is(framer.buffered, 0);
});
