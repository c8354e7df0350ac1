// Issue 13: the live-session fuzz (bench/lib/stress/bgp-session-fuzz.ts) on a fixed seed: a speaker with a good peer
// and an attacker neighbor sending mutated real UPDATEs, headers, KEEPALIVEs, ROUTE-REFRESHes and OPENs. Every
// fatal message gets the codec's NOTIFICATION, nothing else closes the session, and the RIB holds exactly the
// attacker routes of the runner's model. Then the same run against deliberately broken speakers must fail.
import test from 'ava';
import { runBgpSessionFuzz } from '../../bench/lib/stress/bgp-session-fuzz.js';

test.serial('session fuzz: 4000 mutated messages over live sessions (fixed seed): right NOTIFICATIONs, routes exactly as modelled', async (t) => {
  let progressed = 0;
  const r = await runBgpSessionFuzz({ cases: 4000, seed: 0x13a0_5001, onProgress: (d) => (progressed = d) });
  t.log(JSON.stringify({ ...r, failures: r.failures.length }));
  for (const f of r.failures) t.log(f.slice(0, 1200));
  t.is(r.cases, 4000);
  t.is(progressed, 4000);
  t.is(r.crashes, 0);
  t.is(r.failed, 0);
  t.is(r.wrong, 0);
  // Fatal messages were sent and answered, the attacker came back each time, and the RIB was compared many times
  // while holding attacker routes.
  t.true(r.notifications >= 40, `notifications: ${r.notifications}`);
  t.is(r.reconnects, r.notifications);
  t.true(r.ribChecks >= 15 && r.maxRoutesSeen > 20, `${r.ribChecks} checks, up to ${r.maxRoutesSeen} attacker routes`);
});

test.serial('session fuzz: the oracle catches a speaker whose RIB drops some withdrawals', async (t) => {
  let calls = 0;
  const r = await runBgpSessionFuzz({
    cases: 1500,
    seed: 0x13a0_5002,
    sabotage: (s) => {
      const withdraw = s.rib.withdraw.bind(s.rib);
      // Every 5th withdrawal of the attacker (the good peer withdraws nothing) is lost.
      s.rib.withdraw = (...args: Parameters<typeof withdraw>) => (++calls % 5 === 0 ? false : withdraw(...args));
    },
  });
  t.log(r.failures[0]?.slice(0, 300));
  t.true(calls > 0);
  t.true(r.wrong > 0, `wrong checks: ${r.wrong}`);
});

test.serial('session fuzz: the oracle catches a speaker that throws a TypeError on some prefix (internal error, Cease 6/8)', async (t) => {
  const r = await runBgpSessionFuzz({
    cases: 1500,
    seed: 0x13a0_5003,
    sabotage: (s) => {
      const announceRows = s.rib.announceRows.bind(s.rib);
      s.rib.announceRows = (id, rows, count, attrId) => {
        // A /23 from the attacker is the "poison" (the good peer has none).
        for (let o = 0; o < count * 7; o += 7) if (rows[o + 6] === 23) throw new TypeError('simulated RIB bug');
        announceRows(id, rows, count, attrId);
      };
    },
  });
  t.log(r.failures[0]?.slice(0, 300));
  t.true(r.crashes > 0, `internal errors: ${r.crashes}`);
  t.true(r.failed > 0, 'the unexpected Cease NOTIFICATIONs are counted');
});
