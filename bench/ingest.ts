// `npm run bench:ingest`: two feeds, each sent over a real TCP session, in one run, to BIRD 2 and to
// `supersparrow serve`:
//   generated  the full-size synthetic table (IPv4 + IPv6, packed UPDATEs, one attribute set per UPDATE group as a
//              router packs them), as the demo replays it;
//   ris        the real 2015 RIS table (one peer's full IPv4 table out of ../shared/data/mrt/updates.et-header.2015.gz,
//              its UPDATEs applied in order, then re-sent as that peer would send it to an eBGP neighbor), as
//              `demo --mrt` replays it.
// Per feed it prints, for both receivers: RSS once the session is up and before the first route (idle), seconds
// from the first UPDATE sent to the last prefix installed, RSS after load with the receiver's own account of its
// table memory, and the ratios; the last line is JSON.
//
// Both receivers are measured the same way: a fresh process per run; the feeder reads the receiver's RSS as soon as
// the session is Established (idle), then starts sending (t0); the receiver's own per-neighbor prefix counter is
// read over its unix control socket in-process every POLL_MS until it reaches the table size. Median of RUNS runs
// (env BENCH_RUNS, default 3). BENCH_FEEDS=generated or =ris runs one feed only.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BgpFeeder, buildPackedTable, packMrtPeerTable, pickMrtPeer, type PackedTable } from '../src/replay/index.js';
import { BirdReceiver, SupersparrowReceiver, type Receiver } from './lib/receivers.js';
import { controlRequest } from '../src/cli/control-client.js';
import { freePort, sleep } from '../test/helpers/peers/process.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const FEEDS = (process.env['BENCH_FEEDS'] ?? 'generated,ris').split(',').map((f) => f.trim());
const POLL_MS = 5;
const LOAD_TIMEOUT_MS = Number(process.env['BENCH_LOAD_TIMEOUT_MS'] ?? 120_000);

const GENERATED_AS = 65001;
const RECEIVER_AS = 65010;
const FEEDER_ADDRESS = '127.77.0.1';
const RECEIVER_ADDRESS = '127.77.0.2';
/** The feeder's address as the IPv4 NEXT_HOP of RIS routes that carry none. */
const FEEDER_NEXT_HOP = 0x7f4d0001;
const RIS_FILE = 'updates.et-header.2015.gz';

interface Feed {
  name: 'generated' | 'ris';
  table: PackedTable;
  /** The AS the feeder speaks as (first in every AS_PATH it sends). */
  feederAs: number;
}

interface RunResult {
  idleRssMiB: number;
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

/** ../shared/data/mrt beside the repository, or $SUPERSPARROW_SHARED_DIR/data/mrt. */
function mrtDir(): string {
  if (process.env['SUPERSPARROW_SHARED_DIR']) return path.resolve(process.env['SUPERSPARROW_SHARED_DIR'], 'data/mrt');
  return path.resolve(REPO_ROOT, '../shared/data/mrt');
}

async function measure(receiver: Receiver, feed: Feed, port: number): Promise<RunResult> {
  const table = feed.table;
  await receiver.start();
  let feeder: BgpFeeder | undefined;
  try {
    feeder = await BgpFeeder.connect({
      host: RECEIVER_ADDRESS,
      port,
      localAddress: FEEDER_ADDRESS,
      localAs: feed.feederAs,
      remoteAs: RECEIVER_AS,
      routerId: FEEDER_ADDRESS,
      holdTime: 240,
    });
    const idleRssMiB = await receiver.rssMiB();
    const t0 = process.hrtime.bigint();
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
    return { idleRssMiB, seconds, rssMiB, memoryNote };
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

function describe(table: PackedTable): string {
  return (
    `${table.ipv4} IPv4 + ${table.ipv6} IPv6 prefixes, ${table.attributeSets} attribute sets, ` +
    `${table.messages} UPDATEs${table.duplicates ? ` (${table.duplicates} prefix announced twice)` : ''}, ${(table.bytes / 1048576).toFixed(1)} MiB pre-encoded`
  );
}

async function buildFeeds(): Promise<Feed[]> {
  const feeds: Feed[] = [];
  for (const name of FEEDS) {
    const started = Date.now();
    const took = (): string => `built in ${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (name === 'generated') {
      const table = buildPackedTable(GENERATED_AS);
      process.stdout.write(`feed generated: ${describe(table)} (${took()})\n`);
      feeds.push({ name, table, feederAs: GENERATED_AS });
    } else if (name === 'ris') {
      const file = path.join(mrtDir(), RIS_FILE);
      const { peer } = await pickMrtPeer(file);
      const { packed } = await packMrtPeerTable(file, peer, FEEDER_NEXT_HOP);
      process.stdout.write(`feed ris: ${RIS_FILE}, peer ${peer.address} AS${peer.as}: ${describe(packed)} (${took()})\n`);
      feeds.push({ name, table: packed, feederAs: peer.as });
    } else {
      throw new Error(`BENCH_FEEDS: unknown feed ${JSON.stringify(name)} (generated, ris)`);
    }
  }
  process.stdout.write(`each receiver is checked for a few sampled routes (prefix and AS_PATH) after each load\n`);
  return feeds;
}

interface FeedSummary {
  ss: { s: number; rss: number };
  bird: { s: number; rss: number };
}

async function runFeed(feed: Feed, idle: Record<'bird' | 'supersparrow', number[]>): Promise<FeedSummary> {
  const queryNeighbors = (socket: string): Promise<Array<{ address: string; prefixes: { ipv4: number; ipv6: number } }>> =>
    controlRequest(socket, { command: 'neighbors' }, 5_000);
  const results: Record<'bird' | 'supersparrow', RunResult[]> = { bird: [], supersparrow: [] };
  for (let run = 1; run <= RUNS; run++) {
    for (const name of ['bird', 'supersparrow'] as const) {
      const port = await freePort(RECEIVER_ADDRESS);
      const o = { address: RECEIVER_ADDRESS, port, localAs: RECEIVER_AS, feederAddress: FEEDER_ADDRESS, feederAs: feed.feederAs };
      const receiver: Receiver =
        name === 'bird'
          ? new BirdReceiver(o)
          : new SupersparrowReceiver({
              ...o,
              repoRoot: REPO_ROOT,
              queryNeighbors,
              queryRoute: (socket, target) => controlRequest(socket, { command: 'routes', target }, 5_000),
              queryMemory: (socket) => controlRequest(socket, { command: 'memory' }, 5_000),
            });
      const r = await measure(receiver, feed, port);
      results[name].push(r);
      idle[name].push(r.idleRssMiB);
      process.stdout.write(
        `${feed.name} run ${run}/${RUNS} ${name}: idle ${r.idleRssMiB.toFixed(1)} MiB RSS; ${r.seconds.toFixed(3)} s to load, ` +
          `${r.rssMiB.toFixed(1)} MiB RSS; ${r.memoryNote}\n`,
      );
    }
  }
  const ss = { s: median(results.supersparrow.map((r) => r.seconds)), rss: median(results.supersparrow.map((r) => r.rssMiB)) };
  const bird = { s: median(results.bird.map((r) => r.seconds)), rss: median(results.bird.map((r) => r.rssMiB)) };
  process.stdout.write(
    `${feed.name}, median of ${RUNS}: supersparrow ${ss.s.toFixed(3)} s ${ss.rss.toFixed(1)} MiB; BIRD ${bird.s.toFixed(3)} s ${bird.rss.toFixed(1)} MiB; ` +
      `ratios (supersparrow / BIRD): time ${(ss.s / bird.s).toFixed(2)}x, RSS ${(ss.rss / bird.rss).toFixed(2)}x\n`,
  );
  return { ss, bird };
}

async function main(): Promise<void> {
  const feeds = await buildFeeds();
  const idle: Record<'bird' | 'supersparrow', number[]> = { bird: [], supersparrow: [] };
  const out: Record<string, unknown> = { bench: 'ingest' };
  for (const feed of feeds) {
    const { ss, bird } = await runFeed(feed, idle);
    const p = feed.name === 'generated' ? '' : `${feed.name}_`;
    out[`${p}supersparrow_s`] = round(ss.s, 3);
    out[`${p}bird_s`] = round(bird.s, 3);
    out[`${p}time_ratio`] = round(ss.s / bird.s, 2);
    out[`${p}supersparrow_rss_mib`] = round(ss.rss, 1);
    out[`${p}bird_rss_mib`] = round(bird.rss, 1);
    out[`${p}rss_ratio`] = round(ss.rss / bird.rss, 2);
  }
  const ssIdle = median(idle.supersparrow);
  const birdIdle = median(idle.bird);
  process.stdout.write(`idle (session up, no route yet), median of all runs: supersparrow ${ssIdle.toFixed(1)} MiB, BIRD ${birdIdle.toFixed(1)} MiB RSS\n`);
  out['supersparrow_idle_rss_mib'] = round(ssIdle, 1);
  out['bird_idle_rss_mib'] = round(birdIdle, 1);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench:ingest failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
