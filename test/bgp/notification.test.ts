import test from 'ava';
import {
  BgpError,
  MessageFramer,
  decodeNotification,
  ceaseNeedsHardReset,
  describeNotification,
  encodeNotification,
  summarizeNotification,
  encodeNotificationForError,
} from '../../src/bgp/index.js';

function roundTrip(msg: Buffer): ReturnType<typeof decodeNotification> {
  const [framed] = new MessageFramer().push(msg);
  return decodeNotification(framed.message, 19, framed.message.length);
}

test('a NOTIFICATION round-trips code, subcode and data', (t) => {
  const msg = encodeNotification({ code: 1, subcode: 2, data: Uint8Array.of(0x10, 0x01) });
  const n = roundTrip(msg);
  t.deepEqual(n, { code: 1, subcode: 2, data: Uint8Array.of(0x10, 0x01), shutdownMessage: null, hardReset: null });
  t.deepEqual(encodeNotification(n), msg);
});

test('Cease/Administrative Shutdown and Reset carry the RFC 9003 shutdown communication', (t) => {
  for (const subcode of [2, 4]) {
    const text = 'maintenance: back at 15:00 — ☕';
    const msg = encodeNotification({ code: 6, subcode, shutdownMessage: text });
    const n = roundTrip(msg);
    t.is(n.shutdownMessage, text);
    t.is(msg[21], Buffer.byteLength(text));
    t.is(n.data.length, 0);
    t.deepEqual(encodeNotification(n), msg);
  }
});

test('a shutdown communication is cut at 255 bytes without splitting a character', (t) => {
  const text = 'é'.repeat(200); // 400 bytes of UTF-8
  const n = roundTrip(encodeNotification({ code: 6, subcode: 2, shutdownMessage: text }));
  t.is(Buffer.byteLength(n.shutdownMessage!), 254);
  t.is(n.shutdownMessage, 'é'.repeat(127));
});

test('other Cease subcodes ignore the text and keep data as is', (t) => {
  const n = roundTrip(encodeNotification({ code: 6, subcode: 3, shutdownMessage: 'x', data: Uint8Array.of(1) }));
  t.is(n.shutdownMessage, null);
  t.deepEqual(Array.from(n.data), [1]);
});

test('a shutdown length running past the message, or bad UTF-8, gives no text (RFC 9003 3)', (t) => {
  for (const data of [
    [10, 0x61],
    [2, 0xc3, 0x28],
  ]) {
    const body = Buffer.from([6, 2, ...data]);
    const n = decodeNotification(body, 0, body.length);
    t.is(n.shutdownMessage, null);
    t.deepEqual(Array.from(n.data), data);
  }
});

test('a Hard Reset (RFC 8538 3) carries the code, subcode and data of the NOTIFICATION it encapsulates', (t) => {
  const msg = encodeNotification({ code: 6, subcode: 2, shutdownMessage: 'maintenance', asHardReset: true });
  t.deepEqual([...msg.subarray(19)], [6, 9, 6, 2, 11, ...Buffer.from('maintenance')]);
  const n = roundTrip(msg);
  t.is(n.code, 6);
  t.is(n.subcode, 9);
  t.is(n.shutdownMessage, null);
  t.deepEqual(n.hardReset, { code: 6, subcode: 2, data: new Uint8Array(0), shutdownMessage: 'maintenance', hardReset: null });
  t.is(summarizeNotification(n), 'Cease / Hard Reset (6/9) for Cease / Administrative Shutdown (6/2): "maintenance"');
  // The outer data is the encapsulated message whole, so the decoded form re-encodes to the same bytes.
  t.deepEqual(encodeNotification(n), msg);

  const prefixes = roundTrip(encodeNotification({ code: 6, subcode: 1, data: Uint8Array.of(0, 1, 1, 0, 0, 0, 10), asHardReset: true }));
  t.deepEqual(prefixes.hardReset && [prefixes.hardReset.code, prefixes.hardReset.subcode, ...prefixes.hardReset.data], [6, 1, 0, 1, 1, 0, 0, 0, 10]);
  t.is(summarizeNotification(prefixes), 'Cease / Hard Reset (6/9) for Cease / Maximum Number of Prefixes Reached (6/1)');
});

test('a Hard Reset with less than a code and subcode of data encapsulates nothing, and nesting stops at one level', (t) => {
  for (const data of [[], [6]]) {
    const body = Buffer.from([6, 9, ...data]);
    const n = decodeNotification(body, 0, body.length);
    t.is(n.hardReset, null);
    t.deepEqual([...n.data], data);
    t.is(summarizeNotification(n), 'Cease / Hard Reset (6/9)');
  }
  const body = Buffer.from([6, 9, 6, 9, 4, 0]);
  const n = decodeNotification(body, 0, body.length);
  t.deepEqual(n.hardReset && [n.hardReset.code, n.hardReset.subcode, n.hardReset.hardReset], [6, 9, null]);
});

test('the Cease subcodes that go out as a Hard Reset are those that must end the routes (RFC 8538 5)', (t) => {
  const hard: number[] = [];
  for (let subcode = 0; subcode <= 10; subcode++) if (ceaseNeedsHardReset(6, subcode)) hard.push(subcode);
  t.deepEqual(hard, [1, 2, 3, 4]);
  t.false(ceaseNeedsHardReset(4, 0), 'a hold timer expiry is a restart');
  t.false(ceaseNeedsHardReset(3, 1), 'an UPDATE error is a restart');
});

test('a BgpError becomes the NOTIFICATION it names', (t) => {
  const err = new BgpError(2, 2, 'bad peer AS', Uint8Array.of(0xfd, 0xe8));
  const n = roundTrip(encodeNotificationForError(err));
  t.like(n, { code: 2, subcode: 2 });
  t.deepEqual(Array.from(n.data), [0xfd, 0xe8]);
});

test('describeNotification names codes and subcodes', (t) => {
  t.is(describeNotification(6, 2), 'Cease / Administrative Shutdown');
  t.is(describeNotification(3, 11), 'UPDATE Message Error / Malformed AS_PATH');
  t.is(describeNotification(99, 1), 'code 99 / subcode 1');
});

test('a NOTIFICATION never exceeds 4096 bytes: long data (e.g. a whole bad message) is cut to fit', (t) => {
  const data = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
  const msg = encodeNotification({ code: 7, subcode: 1, data });
  t.is(msg.length, 4096);
  t.is(msg.readUInt16BE(16), 4096);
  const n = roundTrip(msg);
  t.deepEqual([n.code, n.subcode], [7, 1]);
  t.deepEqual(n.data, data.subarray(0, 4096 - 21));
  t.is(encodeNotification({ code: 6, subcode: 2, shutdownMessage: 'x', data }).length, 4096, 'with a shutdown communication too');
});
