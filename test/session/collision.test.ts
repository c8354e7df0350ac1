import test from 'ava';
import { MessageType } from '../../src/bgp/index.js';
import { addresses, neighborOptions, ScriptedPeer, startSpeaker, until } from './harness.js';

const next = addresses(43);

/** Both sides connect at once: the speaker to our listener (A), we to the speaker (B). */
async function collide(t: import('ava').ExecutionContext, peerId: string) {
  const a = next();
  const listener = await ScriptedPeer.listen(a.peer);
  t.teardown(() => listener.close());
  const s = await startSpeaker(a.speaker, [neighborOptions(a.peer, { passive: false, port: listener.port })]);
  t.teardown(s.stop);
  const connA = await listener.accept();
  t.teardown(() => connA.destroy());
  t.is(connA.socket.remoteAddress, a.speaker, 'the speaker binds its local address when connecting');
  await connA.readOpen();
  const connB = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => connB.destroy());
  await connB.readOpen();
  connA.sendOpen({ id: peerId });
  await connA.nextOfType(MessageType.Keepalive); // A reached OpenConfirm
  connB.sendOpen({ id: peerId });
  return { a, s, connA, connB };
}

test('keeps the connection it opened when its BGP identifier is higher (RFC 4271 6.8)', async (t) => {
  const { a, s, connA, connB } = await collide(t, '10.0.0.2'); // 127.x.y.1 > 10.0.0.2
  const n = await connB.notification();
  t.deepEqual([n.code, n.subcode], [6, 7], 'the connection the peer opened gets Cease/Connection Collision Resolution');
  connA.sendKeepalive();
  await until('Established on A', () => s.speaker.neighbor(a.peer)!.status().state === 'Established');
  t.false(connA.closed);
});

test('keeps the connection the peer opened when the peer identifier is higher (RFC 4271 6.8)', async (t) => {
  const { a, s, connA, connB } = await collide(t, '200.0.0.1'); // 200.0.0.1 > 127.x.y.1
  const n = await connA.notification();
  t.deepEqual([n.code, n.subcode], [6, 7], 'the connection we opened gets Cease/Connection Collision Resolution');
  await connB.nextOfType(MessageType.Keepalive);
  connB.sendKeepalive();
  await until('Established on B', () => s.speaker.neighbor(a.peer)!.status().state === 'Established');
  t.false(connB.closed);
});
