// `npm run bench:journal`: what replicating the RIB through a RibJournal costs (src/rib/journal.ts).
// (1) Ingest: the 2015 RIS file (one peer's full IPv4 table as UPDATEs, 89,679 UPDATEs) decoded from memory with
//     decodeUpdate into a fresh RIB through the session's RibUpdateSink, as bench:rib's RIS load does: straight into
//     the Rib (the reference), through a RibJournal with no subscriber, with one subscriber whose listener takes
//     the chunks and drops them, and with one whose listener posts them to a worker thread over a MessagePort
//     (transferred), as the daemon will; the journal is flushed after each 64 KiB of UPDATEs (one socket read).
//     The variants run in turn, round after round, median of RUNS (env BENCH_RUNS, default 5).
//     Also the journal with internBytes 'every-intern' (a set's bytes on every intern, not only when it is new), and
//     the bare MessagePort: 64 KiB chunks transferred to a worker as fast as they can be posted.
// (2) Replica: the chunks of (1) applied to a fresh RIB in this thread: MB/s, records/s, against the primary's time;
//     and (2b) on churn (update files of many peers), where shipping a set's bytes only when it is new and shipping
//     them on every intern differ.
// (3) Snapshot: the RIS table plus the synthetic full table (@ip-location-db/asn) as a second neighbor (~1.3M
//     routes): subscribe() with a listener that drops the chunks (the primary's cost: the event loop is held that
//     long), and with one that applies them to a replica in this thread (until the replica is synced).
// The last line is JSON.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Afi, decodeUpdate } from '../src/bgp/index.js';
import { loadMrtMessages, type LoadedBgpMessage } from '../src/mrt/index.js';
import { createRib, JOURNAL_CHUNK_BYTES, LookupResult, RibJournal, RibReplica, RibUpdateSink, type RibJournalOptions, type RibWriter } from '../src/rib/index.js';
import { generateSyntheticTable } from '../src/replay/index.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RIS_FILE = 'updates.et-header.2015.gz';
const CHURN_FILES = ['updates.20160811.1600.gz', 'updates.20070211.0141.gz'];
const MiB = 1024 * 1024;

function mrtDir(): string {
  if (process.env['SUPERSPARROW_SHARED_DIR']) return path.resolve(process.env['SUPERSPARROW_SHARED_DIR'], 'data/mrt');
  return path.resolve(REPO_ROOT, '../shared/data/mrt');
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** Bytes of UPDATEs after which `after` runs (a journal's flush): what one socket read of the daemon brings. */
const READ_BYTES = 64 * 1024;

/** Decodes every UPDATE into `writer` through one sink per peer AS; returns the milliseconds it took. */
function ingest(messages: LoadedBgpMessage[], writer: RibWriter, after?: () => void): number {
  const sinks = new Map<number, RibUpdateSink>();
  const t0 = performance.now();
  let read = 0;
  for (const m of messages) {
    let sink = sinks.get(m.peerAs);
    if (sink === undefined) {
      sink = new RibUpdateSink(writer, writer.addNeighbor({ address: '192.0.2.1', remoteAs: m.peerAs, localAs: 12654, routerId: 1 }));
      sinks.set(m.peerAs, sink);
    }
    const opts = { fourOctetAs: m.fourOctetAs, addPathIpv4: m.addPath, addPathIpv6: m.addPath, extendedMessage: true };
    try {
      decodeUpdate(m.message, 19, m.message.length, opts, sink);
    } catch {
      // a malformed UPDATE in a churn file: nothing reached the sink
    }
    sink.done();
    // The daemon flushes after each socket read; here after each 64 KiB of UPDATEs.
    read += m.message.length;
    if (after !== undefined && read >= READ_BYTES) {
      after();
      read = 0;
    }
  }
  after?.();
  return performance.now() - t0;
}

interface Variant {
  name: string;
  run: (messages: LoadedBgpMessage[]) => Promise<number>;
}

/** A worker that takes chunks over a port and counts them; answers 'sync' once it has everything before it. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const port = workerData.port;
let bytes = 0;
port.on('message', (m) => {
  if (m instanceof ArrayBuffer) bytes += m.byteLength;
  else port.postMessage(bytes);
});
`;

async function main(): Promise<void> {
  const file = path.join(mrtDir(), RIS_FILE);
  const { messages } = await loadMrtMessages(file);
  console.log(`${RIS_FILE}: ${messages.length} UPDATEs in memory`);

  // ------------------------------------------------------------------ (1) ingest
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2 }, transferList: [port2] });
  const workerSynced = (): Promise<number> =>
    new Promise((resolve) => {
      port1.once('message', (n: number) => resolve(n));
      port1.postMessage('sync');
    });

  let lastChunks: ArrayBuffer[] = [];
  let lastEveryIntern: ArrayBuffer[] = [];
  const journalRun = async (options: RibJournalOptions, listener: ((chunk: ArrayBuffer) => void) | null, keep?: ArrayBuffer[]): Promise<number> => {
    const { writer } = createRib();
    const journal = new RibJournal(writer, options);
    if (listener !== null) journal.subscribe(keep ? (c) => keep.push(c) : listener);
    return ingest(messages, journal, () => journal.flush());
  };
  const variants: Variant[] = [
    { name: 'Rib (reference)', run: async (m) => ingest(m, createRib().writer) },
    { name: 'RibJournal, no subscriber', run: async () => journalRun({}, null) },
    {
      name: 'RibJournal, 1 subscriber (chunks dropped)',
      run: async () => {
        lastChunks = [];
        return journalRun({}, () => {}, lastChunks);
      },
    },
    {
      name: "RibJournal, 1 subscriber, internBytes 'every-intern'",
      run: async () => {
        lastEveryIntern = [];
        return journalRun({ internBytes: 'every-intern' }, () => {}, lastEveryIntern);
      },
    },
    {
      name: 'RibJournal, 1 subscriber posting to a worker',
      run: async () => {
        const t = await journalRun({}, (c) => port1.postMessage(c, [c]));
        await workerSynced();
        return t;
      },
    },
  ];
  const times = variants.map(() => [] as number[]);
  for (let r = 0; r < RUNS + 1; r++) {
    for (let i = 0; i < variants.length; i++) {
      gc();
      const t = await variants[i]!.run(messages);
      if (r > 0) times[i]!.push(t); // the first round warms up
    }
  }
  const base = median(times[0]!);
  const summary: Record<string, number> = {};
  console.log(`(1) ingest of the RIS table from memory (decodeUpdate + RibUpdateSink + RIB), median of ${RUNS}:`);
  variants.forEach((v, i) => {
    const t = median(times[i]!);
    console.log(`  ${v.name.padEnd(54)} ${ms(t)}  (${(t / base).toFixed(3)}x; runs ${times[i]!.map((x) => x.toFixed(0)).join(' ')})`);
  });
  summary['ingest_rib_ms'] = Number(base.toFixed(1));
  summary['ingest_journal_unsubscribed_ms'] = Number(median(times[1]!).toFixed(1));
  summary['ingest_journal_subscribed_ms'] = Number(median(times[2]!).toFixed(1));
  summary['ingest_journal_every_intern_ms'] = Number(median(times[3]!).toFixed(1));
  summary['ingest_journal_worker_ms'] = Number(median(times[4]!).toFixed(1));

  // Chunks of 64 KiB transferred to the worker as fast as they can be posted, until it has counted them all.
  const transfer: number[] = [];
  const CHUNKS = 4000;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < CHUNKS; i++) {
      const c = new ArrayBuffer(JOURNAL_CHUNK_BYTES);
      port1.postMessage(c, [c]);
    }
    await workerSynced();
    transfer.push(performance.now() - t0);
  }
  const tt = median(transfer);
  console.log(
    `  MessagePort: ${CHUNKS} chunks of 64 KiB transferred to a worker in ${ms(tt)}: ${Math.round(CHUNKS / (tt / 1000))} chunks/s, ` +
      `${Math.round((CHUNKS * JOURNAL_CHUNK_BYTES) / MiB / (tt / 1000))} MiB/s`,
  );
  summary['transfer_chunks_per_s'] = Math.round(CHUNKS / (tt / 1000));
  await worker.terminate();
  port1.close();

  // ------------------------------------------------------------------ (2) replica
  const applyAll = (chunks: ArrayBuffer[]): { t: number; replica: RibReplica; reader: ReturnType<typeof createRib>['reader'] } => {
    const { writer, reader } = createRib();
    const replica = new RibReplica(writer);
    const t0 = performance.now();
    for (const c of chunks) replica.apply(c);
    return { t: performance.now() - t0, replica, reader };
  };
  const bytesOf = (chunks: ArrayBuffer[]): number => chunks.reduce((s, c) => s + c.byteLength, 0);
  console.log('(2) replica: the chunks of one subscribed run applied to a fresh RIB, median of', RUNS);
  for (const [name, chunks] of [
    ['new-sets', lastChunks],
    ['every-intern', lastEveryIntern],
  ] as const) {
    const runs: number[] = [];
    let last: ReturnType<typeof applyAll> | undefined;
    for (let r = 0; r < RUNS; r++) {
      gc();
      last = applyAll(chunks);
      runs.push(last.t);
    }
    const t = median(runs);
    const bytes = bytesOf(chunks);
    console.log(
      `  internBytes '${name}': ${chunks.length} chunks, ${(bytes / MiB).toFixed(1)} MiB (${(bytes / messages.length).toFixed(1)} bytes an UPDATE), ` +
        `${last!.replica.records} records; applied in ${ms(t)} = ${(bytes / MiB / (t / 1000)).toFixed(0)} MiB/s, ` +
        `${Math.round(last!.replica.records / (t / 1000))} records/s, ${Math.round(last!.reader.routeCount / (t / 1000))} routes/s ` +
        `(${(t / base).toFixed(2)}x the primary's whole ingest)`,
    );
    summary[`replica_${name.replace('-', '_')}_ms`] = Number(t.toFixed(1));
    summary[`chunk_${name.replace('-', '_')}_mib`] = Number((bytes / MiB).toFixed(2));
    summary[`replica_${name.replace('-', '_')}_mib_per_s`] = Math.round(bytes / MiB / (t / 1000));
  }

  // (2b) The same on churn (two update files, many peers, sets announced again and again): where the two ways of
  // shipping sets differ.
  const churn: LoadedBgpMessage[] = [];
  for (const f of CHURN_FILES) churn.push(...(await loadMrtMessages(path.join(mrtDir(), f))).messages);
  console.log(`(2b) churn: ${CHURN_FILES.join(' + ')}, ${churn.length} UPDATEs; median of ${RUNS}`);
  for (const internBytes of ['new-sets', 'every-intern'] as const) {
    const chunks: ArrayBuffer[] = [];
    const { writer } = createRib({ sizing: 'small' });
    const journal = new RibJournal(writer, { internBytes });
    journal.subscribe((c) => chunks.push(c));
    ingest(churn, journal, () => journal.flush());
    const runs: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      gc();
      const { writer: w } = createRib({ sizing: 'small' });
      const replica = new RibReplica(w);
      const t0 = performance.now();
      for (const c of chunks) replica.apply(c);
      runs.push(performance.now() - t0);
    }
    const bytes = bytesOf(chunks);
    const t = median(runs);
    console.log(`  internBytes '${internBytes}': ${(bytes / MiB).toFixed(2)} MiB of chunks; replica applies them in ${ms(t)} (runs ${runs.map((x) => x.toFixed(0)).join(' ')})`);
    summary[`churn_${internBytes.replace('-', '_')}_mib`] = Number((bytes / MiB).toFixed(2));
    summary[`churn_replica_${internBytes.replace('-', '_')}_ms`] = Number(t.toFixed(1));
  }

  // ------------------------------------------------------------------ (3) snapshot of a full table
  gc();
  const { writer, reader } = createRib();
  const journal = new RibJournal(writer);
  ingest(messages, journal);
  const synthetic = generateSyntheticTable({ seed: 1 });
  const n = journal.addNeighbor({ address: '192.0.2.9', remoteAs: 64500, localAs: 65000, routerId: 9 });
  journal.setSessionUp(n, true);
  for (const g of synthetic.groups) {
    const attrId = journal.intern(g.attributes);
    const p = g.prefixes;
    if (g.afi === Afi.IPv4) for (let i = 0; i < p.length; i += 2) journal.announce(n, Afi.IPv4, 0, p[i]! | 0, 0, 0, 0, p[i + 1]!, attrId);
    else for (let i = 0; i < p.length; i += 5) journal.announce(n, Afi.IPv6, 0, p[i]! | 0, p[i + 1]! | 0, p[i + 2]! | 0, p[i + 3]! | 0, p[i + 4]!, attrId);
    journal.release(attrId);
  }
  console.log(
    `(3) snapshot: ${reader.routeCount} routes (${reader.prefixCount(Afi.IPv4)} IPv4 + ${reader.prefixCount(Afi.IPv6)} IPv6 prefixes, ` +
      `2 neighbors), ${reader.attributeSetCount} attribute sets; median of ${RUNS}`,
  );
  const encode: number[] = [];
  const whole: number[] = [];
  let snapshotBytes = 0;
  let snapshotChunks = 0;
  let replicaReader: ReturnType<typeof createRib>['reader'] | undefined;
  for (let r = 0; r < RUNS; r++) {
    gc();
    snapshotBytes = 0;
    snapshotChunks = 0;
    let t0 = performance.now();
    journal.subscribe((c) => {
      snapshotBytes += c.byteLength;
      snapshotChunks++;
    })();
    encode.push(performance.now() - t0);
    gc();
    const replicaRib = createRib();
    const replica = new RibReplica(replicaRib.writer);
    t0 = performance.now();
    journal.subscribe((c) => replica.apply(c))();
    whole.push(performance.now() - t0);
    if (!replica.synced) throw new Error('replica not synced after the snapshot');
    replicaReader = replicaRib.reader;
  }
  // The replica answers as the primary (a quick check; test/rib/journal.test.ts does it properly).
  const a = new LookupResult();
  const b = new LookupResult();
  let same = 0;
  for (let i = 0; i < 100000; i++) {
    const addr = (Math.imul(i, 0x9e3779b1) >>> 0) | 0;
    reader.lookup4(addr, a);
    replicaReader!.lookup4(addr, b);
    if (a.found === b.found && a.length === b.length && a.scope === b.scope && a.neighbor === b.neighbor && (!a.found || reader.firstAs(a.attributes) === replicaReader!.firstAs(b.attributes))) same++;
  }
  const te = median(encode);
  const tw = median(whole);
  console.log(
    `  encode (subscribe, chunks dropped): ${ms(te)}, ${snapshotChunks} chunks, ${(snapshotBytes / MiB).toFixed(1)} MiB ` +
      `(${(snapshotBytes / reader.routeCount).toFixed(1)} bytes a route); runs ${encode.map((x) => x.toFixed(0)).join(' ')}`,
  );
  console.log(`  encode + apply to a replica in this thread: ${ms(tw)}; runs ${whole.map((x) => x.toFixed(0)).join(' ')}; ${same} of 100000 lookups equal`);
  summary['snapshot_routes'] = reader.routeCount;
  summary['snapshot_encode_ms'] = Number(te.toFixed(1));
  summary['snapshot_encode_apply_ms'] = Number(tw.toFixed(1));
  summary['snapshot_mib'] = Number((snapshotBytes / MiB).toFixed(1));
  console.log(JSON.stringify({ bench: 'journal', ...summary }));
}

await main();
