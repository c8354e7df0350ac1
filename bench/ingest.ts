// `npm run bench:ingest`: the same pre-encoded full-size table (IPv4 + IPv6, packed UPDATEs, one attribute set
// per UPDATE group as a router packs them) sent over a real TCP session, in one run, to BIRD 2 and to
// `supersparrow serve`. Prints seconds from Established to the last prefix installed and the receiver's RSS
// after load, for both, and the ratios; the last line is JSON.
//
// Both receivers are measured the same way: a fresh process per run, the feeder's Established as t0, and the
// receiver's own per-neighbor prefix counter read over its unix control socket in-process every POLL_MS until it
// reaches the table size. Median of RUNS runs (env BENCH_RUNS, default 3).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BgpFeeder } from '../src/replay/index.js';
import { BirdReceiver, SupersparrowReceiver, type Receiver } from './lib/receivers.js';
import { buildPackedTable, type PackedTable } from '../src/replay/index.js';
import { controlRequest } from '../src/cli/control-client.js';
import { freePort, sleep } from '../test/helpers/peers/process.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const POLL_MS = 5;
const LOAD_TIMEOUT_MS = Number(process.env['BENCH_LOAD_TIMEOUT_MS'] ?? 120_000);

const FEEDER_AS = 65001;
const RECEIVER_AS = 65010;
const FEEDER_ADDRESS = '127.77.0.1';
const RECEIVER_ADDRESS = '127.77.0.2';

interface RunResult {
  seconds: number;
  rssMiB: number;
  memoryNote: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

async function measure(receiver: Receiver, table: PackedTable, port: number): Promise<RunResult> {
  await receiver.start();
  let feeder: BgpFeeder | undefined;
  try {
    feeder = await BgpFeeder.connect({
      host: RECEIVER_ADDRESS,
      port,
      localAddress: FEEDER_ADDRESS,
      localAs: FEEDER_AS,
      remoteAs: RECEIVER_AS,
      routerId: FEEDER_ADDRESS,
      holdTime: 240,
    });
    const t0 = feeder.establishedAt;
    const f = feeder;
    const sending = f.send(table.chunks, table.messages).then(() => f.sendEndOfRib());
    sending.catch(() => undefined);
    const expected = table.ipv4 + table.ipv6;
    let installed = 0;
    let t1 = 0n;
    const deadline = Date.now() + LOAD_TIMEOUT_MS;
    for (;;) {
      installed = await receiver.installed();
      if (installed >= expected) {
        t1 = process.hrtime.bigint();
        break;
      }
      if (f.state === 'Closed') throw new Error(`${receiver.name}: session closed during load (${f.closeReason}) at ${installed} prefixes`);
      if (Date.now() > deadline) {
        throw new Error(
          `${receiver.name}: only ${installed} of ${expected} prefixes after ${LOAD_TIMEOUT_MS / 1000} s ` +
            `(feeder ${f.state}, ${f.bytesSent} bytes queued)`,
        );
      }
      await sleep(POLL_MS);
    }
    await sending;
    const seconds = Number(t1 - t0) / 1e9;
    const rssMiB = await receiver.rssMiB();
    const memoryNote = await receiver.memoryNote();
    await checkSamples(receiver, table);
    return { seconds, rssMiB, memoryNote };
  } finally {
    await feeder?.stop('benchmark run finished');
    await receiver.stop();
  }
}

/** A count can lie; the routes cannot: a few sampled prefixes must be there with the AS_PATH they were sent with. */
async function checkSamples(receiver: Receiver, table: PackedTable): Promise<void> {
  for (const s of table.samples) {
    const asPath = await receiver.asPathOf(s.prefix);
    if (asPath === null || asPath.join(' ') !== s.asPath.join(' ')) {
      throw new Error(`${receiver.name}: ${s.prefix} has AS_PATH ${asPath === null ? 'none' : asPath.join(' ')}, sent ${s.asPath.join(' ')}`);
    }
  }
}

async function main(): Promise<void> {
  const tBuild = Date.now();
  const table = buildPackedTable(FEEDER_AS);
  process.stdout.write(
    `table: ${table.ipv4} IPv4 + ${table.ipv6} IPv6 prefixes, ${table.attributeSets} attribute sets, ` +
      `${table.messages} UPDATEs${table.duplicates ? ` (${table.duplicates} prefix announced twice)` : ''}, ${(table.bytes / 1048576).toFixed(1)} MiB pre-encoded (built in ${((Date.now() - tBuild) / 1000).toFixed(1)} s); ` +
      `${table.samples.length} sampled routes are checked on each receiver after load\n`,
  );

  const queryNeighbors = (socket: string): Promise<Array<{ address: string; prefixes: { ipv4: number; ipv6: number } }>> =>
    controlRequest(socket, { command: 'neighbors' }, 5_000);

  const results: Record<'bird' | 'supersparrow', RunResult[]> = { bird: [], supersparrow: [] };
  for (let run = 1; run <= RUNS; run++) {
    for (const name of ['bird', 'supersparrow'] as const) {
      const port = await freePort(RECEIVER_ADDRESS);
      const receiver: Receiver =
        name === 'bird'
          ? new BirdReceiver({ address: RECEIVER_ADDRESS, port, localAs: RECEIVER_AS, feederAddress: FEEDER_ADDRESS, feederAs: FEEDER_AS })
          : new SupersparrowReceiver({
              address: RECEIVER_ADDRESS, port, localAs: RECEIVER_AS, feederAddress: FEEDER_ADDRESS, feederAs: FEEDER_AS,
              repoRoot: REPO_ROOT, queryNeighbors,
              queryRoute: (socket, target) => controlRequest(socket, { command: 'routes', target }, 5_000),
              queryMemory: (socket) => controlRequest(socket, { command: 'memory' }, 5_000),
            });
      const r = await measure(receiver, table, port);
      results[name].push(r);
      process.stdout.write(`run ${run}/${RUNS} ${name}: ${r.seconds.toFixed(3)} s to load, ${r.rssMiB.toFixed(1)} MiB RSS; ${r.memoryNote}\n`);
    }
  }

  const ss = { s: median(results.supersparrow.map((r) => r.seconds)), rss: median(results.supersparrow.map((r) => r.rssMiB)) };
  const bird = { s: median(results.bird.map((r) => r.seconds)), rss: median(results.bird.map((r) => r.rssMiB)) };
  process.stdout.write(`median of ${RUNS}: supersparrow ${ss.s.toFixed(3)} s ${ss.rss.toFixed(1)} MiB; BIRD ${bird.s.toFixed(3)} s ${bird.rss.toFixed(1)} MiB\n`);
  process.stdout.write(`ratios (supersparrow / BIRD): time ${(ss.s / bird.s).toFixed(2)}x, RSS ${(ss.rss / bird.rss).toFixed(2)}x\n`);
  process.stdout.write(
    JSON.stringify({
      bench: 'ingest',
      supersparrow_s: round(ss.s, 3),
      bird_s: round(bird.s, 3),
      time_ratio: round(ss.s / bird.s, 2),
      supersparrow_rss_mib: round(ss.rss, 1),
      bird_rss_mib: round(bird.rss, 1),
      rss_ratio: round(ss.rss / bird.rss, 2),
    }) + '\n',
  );
}

main().catch((err) => {
  process.stderr.write(`bench:ingest failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
