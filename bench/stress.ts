// `npm run stress`: the reliability figures of issue 13 at full size, each part the same harness as its test in
// the suite (which runs a fixed-seed sample):
// (1) BGP codec fuzz: structure-aware mutations of real UPDATEs (../shared/data/mrt) through decodeUpdate, judged by
//     an RFC 7606 oracle (bench/lib/stress/bgp-fuzz.ts), on two worker threads;
// (2) BGP live-session fuzz: an attacker neighbor sends mutated messages to a speaker that also has a good peer;
//     every NOTIFICATION and the RIB are checked against a model (bench/lib/stress/bgp-session-fuzz.ts);
// (3) DNS fuzz: random and structure-aware packets through the responder in process, then over UDP and TCP to the
//     real server, with known-good queries interleaved and checked exactly (bench/lib/stress/dns-fuzz.ts);
// (4) chaos: a `supersparrow serve` daemon with two real BIRD peers answers a judging DNS client loop while one
//     BIRD is SIGKILLed and restarted, its session flapped and the process stalled past the hold time, with
//     graceful restart and without (bench/lib/stress/chaos.ts).
// Sizes: STRESS_BGP_CASES (10 M), STRESS_BGP_SESSION_CASES (100 k), STRESS_DNS_CASES (1 M), STRESS_DNS_NET_CASES
// (50 k), STRESS_RESTARTS (100 per mode), STRESS_FLAPS (5 per mode), STRESS_STALLS (2 per mode), STRESS_DNSPERF_QPS
// (dnsperf's load beside the judging client loop, 2000; 0: none), STRESS_SEED.
// The exit code is 1 when anything broke a rule. The last line is JSON.
import { runBgpCodecFuzz } from './lib/stress/bgp-fuzz.js';
import { runBgpSessionFuzz } from './lib/stress/bgp-session-fuzz.js';
import { runChaos, type ChaosResult } from './lib/stress/chaos.js';
import { runDnsFuzz } from './lib/stress/dns-fuzz.js';

const size = (name: string, fallback: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Math.max(0, Math.floor(Number(v)));
};

const SEED = size('STRESS_SEED', 20261130);
const BGP_CASES = size('STRESS_BGP_CASES', 10_000_000);
const BGP_SESSION_CASES = size('STRESS_BGP_SESSION_CASES', 100_000);
const DNS_CASES = size('STRESS_DNS_CASES', 1_000_000);
const DNS_NET_CASES = size('STRESS_DNS_NET_CASES', 50_000);
const RESTARTS = size('STRESS_RESTARTS', 100);
const FLAPS = size('STRESS_FLAPS', 5);
const STALLS = size('STRESS_STALLS', 2);
const DNSPERF_QPS = size('STRESS_DNSPERF_QPS', 2000);

const interactive = process.stderr.isTTY === true;

/** Progress on stderr: redrawn in place on a terminal, a line every 10 % otherwise. */
function progress(label: string, total: number): (done: number) => void {
  let shownTenth = -1;
  let last = 0;
  return (done) => {
    if (interactive) {
      const now = Date.now();
      if (now - last < 200 && done < total) return;
      last = now;
      process.stderr.write(`\r  ${label}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')}   `);
      if (done >= total) process.stderr.write('\n');
      return;
    }
    const tenth = Math.floor((done * 10) / Math.max(1, total));
    if (tenth !== shownTenth) {
      shownTenth = tenth;
      process.stderr.write(`  ${label}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')}\n`);
    }
  };
}

const n = (x: number): string => x.toLocaleString('en');
const rate = (cases: number, seconds: number): string => `${n(Math.round(cases / Math.max(seconds, 1e-9)))}/s`;

function showFailures(list: readonly string[]): void {
  for (const f of list.slice(0, 5)) console.log(`    ! ${f}`);
}

let broken = false;

console.log(`stress: seed ${SEED}`);

// (1) codec
const codec = await runBgpCodecFuzz({ cases: BGP_CASES, seed: SEED, workers: 2, onProgress: progress('bgp codec', BGP_CASES) });
console.log(
  `bgp codec fuzz: ${n(codec.cases)} cases in ${codec.seconds.toFixed(1)} s (${rate(codec.cases, codec.seconds)}, 2 threads): ` +
    `decoded ${n(codec.outcomes.decoded)}, treat-as-withdraw ${n(codec.outcomes.treatAsWithdraw)}, ` +
    `attribute-discard ${n(codec.outcomes.attributeDiscard)}, NOTIFICATION ${n(codec.outcomes.notification)}; ` +
    `exact RFC 7606 outcome checked ${n(codec.exactChecked)}, wrong ${codec.wrong}; crashes ${codec.crashes}, rule breaks ${codec.failed}`,
);
showFailures(codec.failures);
if (codec.crashes + codec.failed + codec.wrong > 0) broken = true;

// (2) live session
const session = await runBgpSessionFuzz({ cases: BGP_SESSION_CASES, seed: SEED, onProgress: progress('bgp session', BGP_SESSION_CASES) });
console.log(
  `bgp session fuzz: ${n(session.cases)} messages in ${session.seconds.toFixed(1)} s (${rate(session.cases, session.seconds)}): ` +
    `NOTIFICATIONs ${n(session.notifications)}, reconnects ${n(session.reconnects)}, RIB checks ${n(session.ribChecks)} ` +
    `(wrong ${session.wrong}), unexpected answers ${session.failed}, crashes ${session.crashes}`,
);
showFailures(session.failures);
if (session.crashes + session.failed + session.wrong > 0) broken = true;

// (3) DNS
const dnsLocal = await runDnsFuzz({ cases: DNS_CASES, seed: SEED, mode: 'inprocess', onProgress: progress('dns in process', DNS_CASES) });
const dnsNet = await runDnsFuzz({ cases: DNS_NET_CASES, seed: SEED + 1, mode: 'udp', onProgress: progress('dns udp/tcp', DNS_NET_CASES) });
for (const r of [dnsLocal, dnsNet]) {
  console.log(
    `dns fuzz (${r.mode === 'inprocess' ? 'in process' : `UDP and TCP, ${n(r.tcp)} over TCP`}): ${n(r.cases)} packets in ${r.seconds.toFixed(1)} s ` +
      `(${rate(r.cases, r.seconds)}): FORMERR ${n(r.formerr)}, dropped ${n(r.dropped)}, answered ${n(r.answered)}; ` +
      `known-good ${n(r.good)}: failed ${r.failed}, wrong ${r.wrong}; oracle violations ${r.violations}, crashes ${r.crashes}`,
  );
  showFailures(r.failures);
  if (r.crashes + r.failed + r.wrong + r.violations > 0) broken = true;
}

// (4) chaos, with graceful restart, then without
const chaos: ChaosResult[] = [];
for (const gracefulRestart of [true, false]) {
  const label = gracefulRestart ? 'chaos with graceful restart' : 'chaos without graceful restart';
  const r = await runChaos({
    restarts: RESTARTS,
    flaps: FLAPS,
    stalls: STALLS,
    gracefulRestart,
    seed: SEED,
    dnsperfQps: DNSPERF_QPS,
    onProgress: progress(label, RESTARTS + FLAPS + STALLS),
  });
  chaos.push(r);
  const sorted = [...r.recoverySeconds].sort((a, b) => a - b);
  const p95 = sorted.length > 0 ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]! : 0;
  console.log(
    `${label}: ${r.restarts} kill -9 + restarts, ${r.flaps} flaps, ${r.stalls} stalls in ${r.elapsedS.toFixed(0)} s; ` +
      `${n(r.queries)} queries: failed ${r.failed}, wrong ${r.wrong} (answers from the other POP while the victim's routes were gone: ${n(r.victimlessAnswers)}); ` +
      `recovery median ${r.medianRecoveryS.toFixed(2)} s, p95 ${p95.toFixed(2)} s, max ${r.maxRecoveryS.toFixed(2)} s; ` +
      `stall detected after ${r.stallDetectionSeconds.map((x) => x.toFixed(1)).join(', ') || '-'} s; daemon died ${r.crashes}` +
      (r.dnsperf ? `; dnsperf alongside: ${n(r.dnsperf.completed)} of ${n(r.dnsperf.sent)} answered (${n(Math.round(r.dnsperf.qps))} q/s)` : ''),
  );
  showFailures(r.failures);
  if (r.crashes + r.wrong > 0 || (gracefulRestart && r.failed > 0)) broken = true;
}

const figures = {
  bench: 'stress',
  bgp_cases: codec.cases + session.cases,
  dns_cases: dnsLocal.cases + dnsNet.cases,
  crashes: codec.crashes + session.crashes + dnsLocal.crashes + dnsNet.crashes + chaos.reduce((a, r) => a + r.crashes, 0),
  failed_answers: dnsLocal.failed + dnsNet.failed + chaos.reduce((a, r) => a + r.failed, 0),
  wrong_answers: dnsLocal.wrong + dnsLocal.violations + dnsNet.wrong + dnsNet.violations + chaos.reduce((a, r) => a + r.wrong, 0),
  max_recovery_s: Number(Math.max(0, ...chaos.map((r) => r.maxRecoveryS)).toFixed(2)),
};
if (broken) process.exitCode = 1;
console.log(JSON.stringify(figures));
