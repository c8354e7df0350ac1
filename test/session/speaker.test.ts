import test from 'ava';
import { addresses, neighborOptions, ScriptedPeer, startSpeaker, until } from './harness.js';

const next = addresses(44);

test('refuses a connection from an address that is not a configured neighbor, with 6/5, and logs it', async (t) => {
  const a = next();
  const s = await startSpeaker(a.speaker, [neighborOptions(a.peer)]);
  t.teardown(s.stop);
  const stranger = await ScriptedPeer.connect(a.speaker, s.port, a.stranger);
  t.teardown(() => stranger.destroy());
  const n = await stranger.notification();
  t.deepEqual([n.code, n.subcode], [6, 5]);
  await stranger.waitClosed();
  const rec = await until('log record', () => s.records.find((r) => r.msg.includes('not a configured neighbor')));
  t.regex(String(rec.remote), new RegExp(a.stranger.replace(/\./g, '\\.')));
  t.is(s.speaker.neighbor(a.peer)!.status().state, 'Active', 'the configured neighbor is untouched');
});

test('refuses a configured neighbor that is administratively down with 6/5', async (t) => {
  const a = next();
  const s = await startSpeaker(a.speaker, [neighborOptions(a.peer)]);
  t.teardown(s.stop);
  await s.speaker.neighbor(a.peer)!.shutdown('down for the test');
  const peer = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => peer.destroy());
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [6, 5]);
  t.is(s.speaker.neighbor(a.peer)!.status().state, 'Idle');
});
