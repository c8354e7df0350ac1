// `npm run bench:batch`: batch mode as its two kinds of callers use it, against a daemon holding the full generated
// table (~565k IPv4 + ~168k IPv6 prefixes, fed over a real BGP session by the built-in router peer):
//   piped      the classic invocation (`--peer ... --self ... --socket S --batch`) given 100,000 addresses at once;
//              answers/s from the first write to the last answer line; median of BENCH_ROUNDS (3) rounds, each a
//              fresh CLI process; the modern `supersparrow batch` the same way, rounds interleaved (secondary);
//   lock-step  one address written, its answer awaited, the next written (Apache's RewriteMap prg:): 20,000 after
//              2,000 warm-up, latency of each from just before the write to the arrival of the answer's newline.
// Reference in the same run: the original Super Sparrow asked a route server per query; here BIRD 2 holding the
// same table (same feed), asked `show route for ADDR` in lock-step over its own control socket (one connection,
// no birdc per query), as many queries as ours, and `show route for ADDR all` (which also prints the AS_PATH the
// answer needs). All lock-step subjects run in turns of 200 lines, so that they share the machine's ups and downs.
// Two more lock-step runs split the classic latency into its hops: a Node child that only echoes (the harness's
// floor) and the daemon's control socket asked directly (no CLI process).
// Every answer is checked: exactly one line per address, one of the possible answers, and the route's answer
// wherever the address is inside the table. The last line is JSON.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlRequest } from '../src/cli/control-client.js';
import { generateSyntheticTable, packTable, syntheticRouteGroups } from '../src/replay/index.js';
import { AddressKind, makeAddresses, tablePrefixes, type AddressList } from './lib/addresses.js';
import { BirdCli, replyCode } from './lib/bird-cli.js';
import { feedTable } from './lib/feed.js';
import { LineChild } from './lib/line-child.js';
import { LineSocket } from './lib/line-socket.js';
import { BirdReceiver, SupersparrowReceiver } from './lib/receivers.js';
import { median, percentiles, type Percentiles } from './lib/stats.js';
import { freePort } from '../test/helpers/peers/process.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO_ROOT, 'bin', 'supersparrow.js');
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const PIPED_LINES = Number(process.env['BENCH_PIPED_LINES'] ?? 100_000);
const LOCKSTEP_WARMUP = 2_000;
const LOCKSTEP_LINES = Number(process.env['BENCH_LOCKSTEP_LINES'] ?? 20_000);
/** BIRD gets as many queries as ours (BENCH_BIRD_QUERIES to lower it; at most LOCKSTEP_LINES), the same warm-up. */
const BIRD_QUERIES = Math.min(LOCKSTEP_LINES, Number(process.env['BENCH_BIRD_QUERIES'] ?? LOCKSTEP_LINES));
const BIRD_PATH = '/usr/sbin/bird';
/**
 * Lock-step turns: each subject measures LOCKSTEP_LINES / BLOCKS (BIRD: BIRD_QUERIES / BLOCKS) addresses a turn,
 * so that every subject is sampled all along the run and the machine's ups and downs fall on all of them.
 */
const BLOCKS = 100;

const TARGET_ANSWERS_PER_S = 100_000;
const TARGET_P99_US = 200;

const FEEDER_AS = 65001;
const RECEIVER_AS = 65010;
const OTHER_AS = 64750;
const FEEDER_ADDRESS = '127.78.0.1';
const SUPERSPARROW_ADDRESS = '127.78.0.2';
const BIRD_ADDRESS = '127.78.0.3';

// The classic invocation's answers: x for routes whose first AS is the feeder's (every route of the table), y
// for OTHER_AS (none), self otherwise (no route).
const X = '192.0.2.11';
const Y = '192.0.2.22';
const SELF = '192.0.2.33';
const CLASSIC_ARGS = ['--peer', `${FEEDER_AS}=${X},${OTHER_AS}=${Y}`, '--self', SELF];
// The daemon's own POPs (the modern batch): x is the feeder's AS and self, y another AS.
const X6 = '2001:db8::11';
const Y6 = '2001:db8::22';
const DAEMON_POPS = {
  pops: {
    x: { as: FEEDER_AS, ipv4: X, ipv6: X6 },
    y: { as: OTHER_AS, ipv4: Y, ipv6: Y6 },
  },
  proximity: { rule: 'classic', self: 'x' },
};

const say = (text: string): void => {
  process.stdout.write(text + '\n');
};
const us = (ns: number): number => ns / 1000;
const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const thousands = (x: number): string => Math.round(x).toLocaleString('en-US');

type Check = (answer: string, kind: AddressKind) => boolean;

/** The classic invocation: one of its three answers; x wherever the address has a route. */
const classicAnswer: Check = (a, kind) =>
  kind === AddressKind.Ipv4InTable || kind === AddressKind.Ipv6InTable ? a === X : a === X || a === Y || a === SELF;

/** The modern batch (--format address): the answer of the client's family; x wherever there is a route (and as self). */
const modernAnswer: Check = (a, kind) => {
  switch (kind) {
    case AddressKind.Ipv4InTable:
      return a === X;
    case AddressKind.Ipv6InTable:
      return a === X6;
    case AddressKind.Ipv4Random:
      return a === X || a === Y;
    default:
      return a === X6 || a === Y6;
  }
};

/** Throws on the first few wrong answers; returns the count of each answer. */
function checkAnswers(what: string, answers: string[], list: AddressList, offset: number, check: Check): Map<string, number> {
  const counts = new Map<string, number>();
  const wrong: string[] = [];
  for (let i = 0; i < answers.length; i++) {
    const a = answers[i]!;
    counts.set(a, (counts.get(a) ?? 0) + 1);
    if (!check(a, list.kinds[offset + i] as AddressKind) && wrong.length < 5) wrong.push(`${list.texts[offset + i]} -> ${JSON.stringify(a)}`);
  }
  if (wrong.length > 0) throw new Error(`${what}: wrong answers, e.g. ${wrong.join('; ')}`);
  return counts;
}

const describeCounts = (counts: Map<string, number>): string =>
  [...counts].sort((a, b) => b[1] - a[1]).map(([a, n]) => `${a} ${n}`).join(', ');

const linesOf = (texts: string[]): Buffer[] => texts.map((t) => Buffer.from(t + '\n', 'latin1'));

/** A fresh batch process, ready (module loading done, control connection open: one line answered). */
async function startBatch(label: string, args: string[], check: Check): Promise<LineChild> {
  const child = new LineChild(label, process.execPath, [CLI, ...args], { cwd: REPO_ROOT });
  try {
    const { answers } = await child.lockstep([Buffer.from('1.0.0.1\n')]);
    if (!check(answers[0]!, AddressKind.Ipv4Random)) throw new Error(`${label}: first answer ${JSON.stringify(answers[0])}`);
    return child;
  } catch (err) {
    child.kill();
    throw err;
  }
}

async function closeBatch(child: LineChild): Promise<void> {
  await child.close();
  if (child.unexpectedBytes > 0) throw new Error(`${child.label}: ${child.unexpectedBytes} bytes of output beyond the answers`);
  if (child.errors.trim()) throw new Error(`${child.label} wrote to stderr: ${child.errors.trim()}`);
}

/** One piped round: a fresh process, every address written at once; answers/s. */
async function pipedRound(label: string, args: string[], list: AddressList, input: Buffer, check: Check): Promise<{ perS: number; counts: Map<string, number> }> {
  const child = await startBatch(label, args, check);
  try {
    const { ns, answers } = await child.piped(input, list.texts.length);
    const counts = checkAnswers(label, answers, list, 0, check);
    await closeBatch(child);
    return { perS: list.texts.length / (Number(ns) / 1e9), counts };
  } finally {
    child.kill();
  }
}

interface Lockstep {
  p: Percentiles;
  perS: number;
}

/**
 * One lock-step subject: answers addresses [from, from + count) of the list one at a time, checking every answer.
 * The subjects run in turns of one block each, so that all of them share the machine's ups and downs.
 */
interface Runner {
  readonly name: string;
  /** Addresses measured per turn. */
  readonly block: number;
  run(from: number, count: number): Promise<{ latencies: Float64Array; totalNs: bigint }>;
  close(): Promise<void>;
}

/** A batch process (one for the whole lock-step, as a web server keeps its RewriteMap program). */
async function batchRunner(name: string, args: string[], list: AddressList, check: Check): Promise<Runner> {
  const child = await startBatch(name, args, check);
  return {
    name,
    block: LOCKSTEP_LINES / BLOCKS,
    async run(from, count) {
      const r = await child.lockstep(linesOf(list.texts.slice(from, from + count)));
      checkAnswers(name, r.answers, list, from, check);
      return r;
    },
    async close() {
      try {
        await closeBatch(child);
      } finally {
        child.kill();
      }
    },
  };
}

/**
 * The floor of the harness: a Node child that only echoes each line (the pipe hop each way and Node's cost of one
 * read and one write, nothing else).
 */
function echoRunner(list: AddressList): Runner {
  const child = new LineChild('echo', process.execPath, ['-e', "process.stdin.on('data', (c) => process.stdout.write(c))"]);
  return {
    name: 'echo',
    block: LOCKSTEP_LINES / BLOCKS,
    async run(from, count) {
      const texts = list.texts.slice(from, from + count);
      const r = await child.lockstep(linesOf(texts));
      if (r.answers.some((a, i) => a !== texts[i])) throw new Error('echo: the lines did not come back as sent');
      return r;
    },
    async close() {
      try {
        await child.close();
      } finally {
        child.kill();
      }
    },
  };
}

/** The daemon's control socket asked directly, one `first-as` request of one address at a time (no CLI process). */
async function directRunner(socket: string, list: AddressList): Promise<Runner> {
  const conn = await LineSocket.open(socket);
  const request = (i: number): Buffer => Buffer.from(JSON.stringify({ command: 'first-as', addresses: [list.texts[i]] }) + '\n');
  return {
    name: 'direct',
    block: LOCKSTEP_LINES / BLOCKS,
    async run(from, count) {
      const r = await conn.lockstep(Array.from({ length: count }, (_, i) => request(from + i)));
      r.answers.forEach((text, i) => {
        const answer = JSON.parse(text) as { ok: boolean; result?: { firstAs: number[] } };
        const kind = list.kinds[from + i] as AddressKind;
        const firstAs = answer.ok ? answer.result!.firstAs[0]! : -2;
        const inTable = kind === AddressKind.Ipv4InTable || kind === AddressKind.Ipv6InTable;
        if (inTable ? firstAs !== FEEDER_AS : firstAs !== FEEDER_AS && firstAs !== 0) {
          throw new Error(`first-as ${list.texts[from + i]}: unexpected answer ${text}`);
        }
      });
      return r;
    },
    async close() {
      conn.close();
    },
  };
}

/**
 * BIRD: `show route for ADDR` (suffix '') or `... all`: a route for every address inside the table (with `all`,
 * its AS_PATH starting with the feeder's AS), a route or "8001 Network not found" for the others.
 */
async function birdRunner(socket: string, list: AddressList, suffix: string): Promise<Runner> {
  const cli = await BirdCli.open(socket);
  const command = (i: number): Buffer => Buffer.from(`show route for ${list.texts[i]}${suffix}\n`, 'latin1');
  return {
    name: `BIRD show route for${suffix}`,
    block: BIRD_QUERIES / BLOCKS,
    async run(from, count) {
      const r = await cli.lockstep(Array.from({ length: count }, (_, i) => command(from + i)));
      r.replies.forEach((reply, i) => {
        const kind = list.kinds[from + i] as AddressKind;
        const code = replyCode(reply);
        const found = code === 0 && reply.includes('1007-');
        const inTable = kind === AddressKind.Ipv4InTable || kind === AddressKind.Ipv6InTable;
        const pathOk = suffix === '' || !found || new RegExp(`BGP\\.as_path: ${FEEDER_AS}\\b`).test(reply);
        if ((inTable && !found) || (!found && code !== 8001) || !pathOk) {
          throw new Error(`BIRD: show route for ${list.texts[from + i]}${suffix}: unexpected reply ${JSON.stringify(reply.slice(0, 300))}`);
        }
      });
      return r;
    },
    async close() {
      cli.close();
    },
  };
}

/** Warm-up (each runner its own block's worth from the start of the list), then BLOCKS turns over all runners. */
async function runInTurns(runners: Runner[]): Promise<Lockstep[]> {
  for (const r of runners) await r.run(0, Math.min(LOCKSTEP_WARMUP, r.block * BLOCKS));
  const samples = runners.map(() => [] as Float64Array[]);
  const totals = runners.map(() => 0n);
  for (let b = 0; b < BLOCKS; b++) {
    for (let k = 0; k < runners.length; k++) {
      const r = runners[k]!;
      const out = await r.run(LOCKSTEP_WARMUP + b * r.block, r.block);
      samples[k]!.push(out.latencies);
      totals[k]! += out.totalNs;
    }
  }
  return runners.map((r, k) => {
    const all = new Float64Array(r.block * BLOCKS);
    samples[k]!.forEach((a, i) => all.set(a, i * r.block));
    return { p: percentiles(all), perS: all.length / (Number(totals[k]!) / 1e9) };
  });
}

const latencyLine = (l: Lockstep): string =>
  `p50 ${us(l.p.p50).toFixed(1)} µs, p90 ${us(l.p.p90).toFixed(1)} µs, p99 ${us(l.p.p99).toFixed(1)} µs, max ${us(l.p.max).toFixed(0)} µs, mean ${us(l.p.mean).toFixed(1)} µs; ${thousands(l.perS)} queries/s`;

async function main(): Promise<void> {
  const started = Date.now();
  const synthetic = generateSyntheticTable({ peerAs: FEEDER_AS });
  const table = packTable(syntheticRouteGroups(synthetic));
  const prefixes = tablePrefixes(synthetic);
  const piped = makeAddresses(prefixes, PIPED_LINES, 11);
  const lockstep = makeAddresses(prefixes, LOCKSTEP_WARMUP + LOCKSTEP_LINES, 12);
  const pipedInput = Buffer.from(piped.texts.join('\n') + '\n', 'latin1');
  const share = (kinds: Uint8Array, k: AddressKind): string => `${((kinds.filter((x) => x === k).length / kinds.length) * 100).toFixed(1)}%`;
  say(
    `table: ${table.ipv4} IPv4 + ${table.ipv6} IPv6 prefixes, first AS ${FEEDER_AS} on every path (built in ${((Date.now() - started) / 1000).toFixed(1)} s); ` +
      `addresses: ${share(piped.kinds, AddressKind.Ipv4InTable)} IPv4 in the table, ${share(piped.kinds, AddressKind.Ipv4Random)} IPv4 anywhere, ` +
      `${share(piped.kinds, AddressKind.Ipv6InTable)} IPv6 in the table, ${share(piped.kinds, AddressKind.Ipv6Random)} IPv6 in 2000::/3`,
  );

  const cleanups: Array<() => Promise<void>> = [];
  try {
    // The daemon, with POPs (so that the modern batch answers too), loaded with the table.
    const ssPort = await freePort(SUPERSPARROW_ADDRESS);
    const ss = new SupersparrowReceiver({
      address: SUPERSPARROW_ADDRESS,
      port: ssPort,
      localAs: RECEIVER_AS,
      feederAddress: FEEDER_ADDRESS,
      feederAs: FEEDER_AS,
      repoRoot: REPO_ROOT,
      queryNeighbors: (socket) => controlRequest(socket, { command: 'neighbors' }, 5_000),
      queryRoute: (socket, target) => controlRequest(socket, { command: 'routes', target }, 5_000),
      queryMemory: (socket) => controlRequest(socket, { command: 'memory' }, 5_000),
      extraConfig: DAEMON_POPS,
    });
    cleanups.push(() => ss.stop());
    await ss.start();
    const ssFeed = await feedTable(ss, table, { host: SUPERSPARROW_ADDRESS, port: ssPort, localAddress: FEEDER_ADDRESS, feederAs: FEEDER_AS, receiverAs: RECEIVER_AS });
    cleanups.push(() => ssFeed.feeder.stop('benchmark finished'));
    say(`supersparrow serve (pid ${ss.pid}): table loaded in ${ssFeed.seconds.toFixed(2)} s`);

    // BIRD with the same table, loaded now so that it idles while ours is measured.
    let bird: BirdReceiver | null = null;
    let birdSkipped = '';
    if (!existsSync(BIRD_PATH)) birdSkipped = `${BIRD_PATH} not found (BIRD 2 not installed)`;
    else {
      const birdPort = await freePort(BIRD_ADDRESS);
      const b = new BirdReceiver({ address: BIRD_ADDRESS, port: birdPort, localAs: RECEIVER_AS, feederAddress: FEEDER_ADDRESS, feederAs: FEEDER_AS });
      cleanups.push(() => b.stop());
      await b.start();
      const f = await feedTable(b, table, { host: BIRD_ADDRESS, port: birdPort, localAddress: FEEDER_ADDRESS, feederAs: FEEDER_AS, receiverAs: RECEIVER_AS });
      cleanups.push(() => f.feeder.stop('benchmark finished'));
      say(`BIRD (pid ${b.pid}): table loaded in ${f.seconds.toFixed(2)} s`);
      bird = b;
    }

    const socket = ss.controlSocket;
    const classicArgs = [...CLASSIC_ARGS, '--socket', socket, '--batch'];
    const modernArgs = ['batch', '--socket', socket];

    // Piped: classic and modern rounds interleaved, each a fresh process.
    const classicRates: number[] = [];
    const modernRates: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const c = await pipedRound('classic --batch', classicArgs, piped, pipedInput, classicAnswer);
      classicRates.push(c.perS);
      say(`piped round ${r}/${ROUNDS} classic --batch: ${thousands(c.perS)} answers/s (${describeCounts(c.counts)})`);
      const m = await pipedRound('supersparrow batch', modernArgs, piped, pipedInput, modernAnswer);
      modernRates.push(m.perS);
      say(`piped round ${r}/${ROUNDS} supersparrow batch: ${thousands(m.perS)} answers/s (${describeCounts(m.counts)})`);
    }
    const answersPerS = median(classicRates);
    const modernPerS = median(modernRates);

    // Lock-step, in turns: ours (classic and modern, one process each for the whole run), the floor of the
    // harness, the daemon asked directly, BIRD.
    const runners: Runner[] = [];
    let ours: Lockstep;
    let modern: Lockstep;
    let floor: Lockstep;
    let direct: Lockstep;
    let birdPlain: Lockstep | null = null;
    let birdAll: Lockstep | null = null;
    try {
      runners.push(await batchRunner('classic --batch', classicArgs, lockstep, classicAnswer));
      runners.push(await batchRunner('supersparrow batch', modernArgs, lockstep, modernAnswer));
      runners.push(echoRunner(lockstep));
      runners.push(await directRunner(socket, lockstep));
      if (bird) {
        runners.push(await birdRunner(bird.controlSocket, lockstep, ''));
        runners.push(await birdRunner(bird.controlSocket, lockstep, ' all'));
      }
      const results = await runInTurns(runners);
      [ours, modern, floor, direct] = results as [Lockstep, Lockstep, Lockstep, Lockstep];
      if (bird) [birdPlain, birdAll] = results.slice(4) as [Lockstep, Lockstep];
    } catch (err) {
      for (const r of runners) await r.close().catch(() => undefined);
      throw err;
    }
    // Closing checks that no process wrote more than its answers, or anything on stderr.
    const closing = await Promise.allSettled(runners.map((r) => r.close()));
    for (const c of closing) if (c.status === 'rejected') throw c.reason;
    say(`lock-step in ${BLOCKS} turns over all subjects, after ${LOCKSTEP_WARMUP} lines of warm-up each:`);
    say(`  classic --batch, ${LOCKSTEP_LINES} addresses: ${latencyLine(ours)}`);
    say(`  supersparrow batch, the same: ${latencyLine(modern)}`);
    say(`  floor, a Node child echoing each line (the harness's pipe hop, one read + one write): ${latencyLine(floor)}`);
    say(`  the daemon's control socket directly (first-as, one address a request, no CLI process): ${latencyLine(direct)}`);
    if (birdPlain && birdAll) {
      say(`  BIRD "show route for ADDR", ${BIRD_QUERIES} queries over its control socket: ${latencyLine(birdPlain)}`);
      say(`  BIRD "show route for ADDR all" (prints the AS_PATH): ${latencyLine(birdAll)}`);
    } else say(`  BIRD reference skipped: ${birdSkipped}`);

    // Summary.
    const pipedMet = answersPerS >= TARGET_ANSWERS_PER_S;
    const p99Met = us(ours.p.p99) <= TARGET_P99_US;
    say('');
    say(
      `summary (median of ${ROUNDS} piped rounds of ${PIPED_LINES} addresses; lock-step ${LOCKSTEP_LINES} addresses; ` +
        `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs):`,
    );
    say(`  piped, classic --batch:    ${thousands(answersPerS)} answers/s (rounds: ${classicRates.map(thousands).join(', ')}); target >= ${thousands(TARGET_ANSWERS_PER_S)}: ${pipedMet ? 'met' : 'NOT met'}`);
    say(`  piped, supersparrow batch: ${thousands(modernPerS)} answers/s (rounds: ${modernRates.map(thousands).join(', ')})`);
    say(`  lock-step, classic --batch: ${latencyLine(ours)}; target p99 <= ${TARGET_P99_US} µs: ${p99Met ? 'met' : 'NOT met'}`);
    say(`  lock-step, supersparrow batch: ${latencyLine(modern)}`);
    say(
      `  lock-step breakdown at p50: echo child ${us(floor.p.p50).toFixed(0)} µs (harness and pipe hop), daemon asked directly ${us(direct.p.p50).toFixed(0)} µs ` +
        `(control-socket hop), classic --batch ${us(ours.p.p50).toFixed(0)} µs (both hops and the CLI's own work in between)`,
    );
    const out: Record<string, unknown> = {
      bench: 'batch',
      answers_per_s: Math.round(answersPerS),
      lockstep_p50_us: round(us(ours.p.p50), 1),
      lockstep_p99_us: round(us(ours.p.p99), 1),
      lockstep_p90_us: round(us(ours.p.p90), 1),
      lockstep_max_us: round(us(ours.p.max), 0),
      lockstep_per_s: Math.round(ours.perS),
      modern_answers_per_s: Math.round(modernPerS),
      modern_lockstep_p50_us: round(us(modern.p.p50), 1),
      modern_lockstep_p99_us: round(us(modern.p.p99), 1),
      floor_lockstep_p50_us: round(us(floor.p.p50), 1),
      floor_lockstep_p99_us: round(us(floor.p.p99), 1),
      direct_lockstep_p50_us: round(us(direct.p.p50), 1),
      direct_lockstep_p99_us: round(us(direct.p.p99), 1),
      target_answers_per_s_met: pipedMet,
      target_lockstep_p99_met: p99Met,
    };
    if (birdPlain && birdAll) {
      say(`  reference, BIRD "show route for ADDR" lock-step: ${latencyLine(birdPlain)}`);
      say(`  reference, BIRD "show route for ADDR all" lock-step: ${latencyLine(birdAll)}`);
      say(
        `  ratios (classic --batch lock-step / BIRD "show route for"): p50 ${(ours.p.p50 / birdPlain.p.p50).toFixed(2)}x, p99 ${(ours.p.p99 / birdPlain.p.p99).toFixed(2)}x the latency; ` +
          `${(ours.perS / birdPlain.perS).toFixed(2)}x the queries/s lock-step, ${(answersPerS / birdPlain.perS).toFixed(1)}x piped`,
      );
      out['bird_lockstep_p50_us'] = round(us(birdPlain.p.p50), 1);
      out['bird_lockstep_p99_us'] = round(us(birdPlain.p.p99), 1);
      out['bird_queries_per_s'] = Math.round(birdPlain.perS);
      out['bird_all_lockstep_p50_us'] = round(us(birdAll.p.p50), 1);
      out['bird_all_lockstep_p99_us'] = round(us(birdAll.p.p99), 1);
      out['lockstep_p50_ratio_vs_bird'] = round(ours.p.p50 / birdPlain.p.p50, 2);
      out['lockstep_p99_ratio_vs_bird'] = round(ours.p.p99 / birdPlain.p.p99, 2);
      out['piped_ratio_vs_bird'] = round(answersPerS / birdPlain.perS, 1);
    } else {
      say(`  reference: skipped (${birdSkipped})`);
      out['bird_skipped'] = birdSkipped;
    }
    say(JSON.stringify(out));
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: Error) => process.stderr.write(`cleanup: ${err.message}\n`));
  }
}

main().catch((err) => {
  process.stderr.write(`bench:batch failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
