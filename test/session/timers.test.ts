import test from 'ava';
import { MessageType } from '../../src/bgp/index.js';
import { connectRetryDelay } from '../../src/session/index.js';
import { addresses, speakerWithPeer } from './harness.js';

const next = addresses(42);

test('closes with 4/0 (Hold Timer Expired) when the peer goes silent for the hold time', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a, { holdTime: 3 });
  await peer.handshake({ holdTime: 3 });
  const established = Date.now();
  const n = await peer.notification(6000);
  const elapsed = Date.now() - established;
  t.deepEqual([n.code, n.subcode], [4, 0]);
  t.true(elapsed >= 2500 && elapsed < 5000, `hold timer fired after ${elapsed} ms`);
  await peer.waitClosed();
  t.is(s.speaker.neighbor(a.peer)!.status().state, 'Active');
});

test('sends KEEPALIVEs at a third of the negotiated hold time, jittered', async (t) => {
  const { peer } = await speakerWithPeer(t, next(), { holdTime: 90 });
  await peer.handshake({ holdTime: 3 }); // negotiated: min(90, 3) = 3 s -> keepalive every 0.75..1 s
  const times: number[] = [];
  const end = Date.now() + 3500;
  const ping = setInterval(() => peer.sendKeepalive(), 500); // keep our side of the hold timer fed
  t.teardown(() => clearInterval(ping));
  while (Date.now() < end) {
    const m = await peer.next(end - Date.now()).catch(() => null);
    if (m?.type === MessageType.Keepalive) times.push(Date.now());
  }
  t.true(times.length >= 3, `${times.length} keepalives in 3.5 s`);
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    // 750..1000 ms, with slack for a busy 2-core machine; half the hold time (1500 ms) would still fail.
    t.true(gap >= 650 && gap <= 1300, `gap ${gap} ms`);
  }
});

test('ConnectRetry backs off exponentially with 75..100% jitter, capped at 300 s', (t) => {
  for (let i = 0; i < 50; i++) {
    const d0 = connectRetryDelay(2, 0);
    const d3 = connectRetryDelay(2, 3);
    const dMax = connectRetryDelay(2, 30);
    t.true(d0 >= 1500 && d0 <= 2000);
    t.true(d3 >= 12000 && d3 <= 16000);
    t.true(dMax >= 225000 && dMax <= 300000);
  }
});

test('hold time 0 on either side means no keepalives and no hold timer', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a, { holdTime: 0 });
  const open = await peer.handshake({ holdTime: 30 });
  t.is(open.holdTime, 0);
  const seen: number[] = [];
  const end = Date.now() + 1500;
  while (Date.now() < end) {
    const m = await peer.next(end - Date.now()).catch(() => null);
    if (m) seen.push(m.type);
  }
  t.false(seen.includes(MessageType.Keepalive), 'no KEEPALIVE after the one that confirms the OPEN');
  t.like(s.speaker.neighbor(a.peer)!.status(), { state: 'Established', holdTime: 0 });
});
