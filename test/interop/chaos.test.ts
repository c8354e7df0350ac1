// Chaos against real BIRD 2 (issue 13): a small fixed-seed run of bench/lib/stress/chaos.ts with graceful restart
// and one without, each with restarts, a flap and a stall, judged by the harness's own oracle; and the same oracle
// against two broken subjects, to show it counts what it should. The full-size run is `npm run stress`.
import type { ExecutionContext } from 'ava';
import { runChaos, type ChaosResult } from '../../bench/lib/stress/chaos.js';
import { missingReason, peerTest } from '../helpers/peers/index.js';

/** This file's loopback blocks (its brief: 105..108). */
const BLOCK = 105;
const BROKEN_BLOCK = 106;
const HOLD = 3;
/** Recovery bound per restart: BIRD starts in ~0.1 s and connects within ~1 s; generous for a busy machine. */
const MAX_RECOVERY_S = 15;

const missing = (await Promise.all((['bird'] as const).map((n) => missingReason(n)))).filter((m): m is string => m !== null);

function summary(r: ChaosResult): string {
  const s = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
  return `gr=${r.gracefulRestart} seed=${r.seed}: ${r.restarts} restarts, ${r.flaps} flaps (${r.flapKinds.join(', ')}), ${r.stalls} stalls; ${r.queries} queries, ${r.failed} failed, ${r.wrong} wrong, ${r.victimlessAnswers} answered by b inside windows; established after [${s(r.establishedSeconds)}] s, recovered after [${s(r.recoverySeconds)}] s (max ${r.maxRecoveryS.toFixed(2)}, median ${r.medianRecoveryS.toFixed(2)}); stalls detected after [${s(r.stallDetectionSeconds)}] s holding [${r.stallRoutesHeld.join(' ')}] routes; ${r.elapsedS.toFixed(1)} s`;
}

/** What both real runs must show: every fault done and recovered in bounds, nothing failed or wrong, no crash. */
function assertClean(t: ExecutionContext, r: ChaosResult, restarts: number, flaps: number): void {
  t.log(summary(r));
  t.deepEqual(r.failures, [], 'no failure descriptions');
  t.is(r.crashes, 0, 'the daemon stayed alive');
  t.is(r.restarts, restarts, 'every restart done and recovered');
  t.is(r.flaps, flaps, 'every flap done and recovered');
  t.is(r.stalls, 1, 'the stall done and recovered');
  t.true(r.queries > 1000, `the client loop ran throughout (${r.queries} queries)`);
  t.is(r.answered, r.queries, 'every query answered');
  t.is(r.failed, 0, 'no query failed');
  t.is(r.wrong, 0, 'no wrong answer');
  t.is(r.recoverySeconds.length, restarts);
  for (const s of r.recoverySeconds) t.true(s > 0 && s < MAX_RECOVERY_S, `recovery ${s.toFixed(2)} s within ${MAX_RECOVERY_S} s`);
  // The peer's last KEEPALIVE came up to hold/3 before the stall began: the timer may fire that much early.
  for (const s of r.stallDetectionSeconds) t.true(s >= HOLD - HOLD / 3 - 0.1 && s <= HOLD + 5, `the hold timer dropped the stalled peer after ${s.toFixed(2)} s (hold ${HOLD} s)`);
}

peerTest(missing, 'chaos with graceful restart: BIRD killed and restarted 5 times, two flaps and a stall under DNS load (and dnsperf): 0 failed, 0 wrong', async (t) => {
  const r = await runChaos({ restarts: 5, gracefulRestart: true, seed: 1313, flaps: 2, stalls: 1, block: BLOCK, holdTime: HOLD, dnsperfQps: 2000 });
  assertClean(t, r, 5, 2);
  // A TCP reset keeps the routes (stale) like a restart; the disable flap and the stall end them (a NOTIFICATION,
  // and BIRD 2.0 sets no RFC 8538 N bit), so only those opened windows in which b was right too.
  t.deepEqual([...r.flapKinds].sort(), ['disable', 'reset'], 'one flap of each kind');
  t.deepEqual(r.stallRoutesHeld, [0], 'without the N bit the hold timer expiry ends the routes (RFC 4724)');
  t.true(r.dnsperf !== null && r.dnsperf.completed > 0, `dnsperf ran alongside (${JSON.stringify(r.dnsperf)})`);
});

peerTest(missing, 'chaos without graceful restart: the answers move to the other POP while the victim is down and back after: 0 wrong, 0 failed', async (t) => {
  const r = await runChaos({ restarts: 5, gracefulRestart: false, seed: 1314, flaps: 1, stalls: 1, block: BLOCK, holdTime: HOLD });
  assertClean(t, r, 5, 1);
  t.true(r.victimlessAnswers > 0, 'without graceful restart some answers came from b while a was down (the window was needed)');
});

peerTest(missing, 'the oracle counts wrong answers from broken subjects: a daemon without graceful restart in a run that claims it, and a swapped expectation', async (t) => {
  const noGr = await runChaos({ restarts: 2, gracefulRestart: true, seed: 1315, flaps: 0, stalls: 0, block: BROKEN_BLOCK, broken: 'daemon-without-graceful-restart' });
  t.log(summary(noGr));
  t.is(noGr.crashes, 0);
  t.true(noGr.wrong > 0, `answers moved to b during the restarts are counted wrong (${noGr.wrong})`);
  t.true(noGr.failures.some((f) => /wrong .* during restart #\d.*answered b \(baseline a/.test(f)), 'the failures name the restart and the answer');

  const swapped = await runChaos({ restarts: 1, gracefulRestart: true, seed: 1316, flaps: 0, stalls: 0, block: BROKEN_BLOCK, broken: 'swapped-expectation' });
  t.log(summary(swapped));
  t.true(swapped.wrong > swapped.queries / 3, `most answers are wrong against the swapped table (${swapped.wrong} of ${swapped.queries})`);
  t.true(swapped.failures.some((f) => /answered a \(baseline b/.test(f)) && swapped.failures.some((f) => /answered b \(baseline a/.test(f)), 'both directions counted');
});
