// UPDATE decode throughput over a real RIS table (../shared/data/mrt/updates.et-header.2015.gz), from memory.
import { DEFAULT_DECODE_OPTIONS, type DecodeOptions, decodeUpdate, type NlriSink } from '../src/bgp/index.js';
import { loadMrtMessages } from '../src/mrt/index.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';

const FILE = 'updates.et-header.2015.gz';
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const BIRD_PREFIXES_PER_S = 1.8e6;

/** Counts and xors everything it is given so the decode cannot be optimised away. */
class CountingSink implements NlriSink {
  announced = 0;
  withdrawn = 0;
  hash = 0;
  announce(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.announced++;
    this.hash = (this.hash ^ a ^ b ^ c ^ d ^ (length << 8) ^ afi ^ pathId) | 0;
  }
  withdraw(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.withdrawn++;
    this.hash = (this.hash ^ a ^ b ^ c ^ d ^ (length << 16) ^ afi ^ pathId) | 0;
  }
}

/** The reference: skips through sections, attributes and prefixes, touching only lengths and prefix bytes. */
function walkUpdate(buf: Buffer, start: number, end: number): number {
  const wl = (buf[start] << 8) | buf[start + 1];
  let p = start + 2;
  let n = 0;
  let h = 0;
  const wEnd = p + wl;
  while (p < wEnd) {
    const len = buf[p];
    h ^= buf[p + 1];
    p += 1 + ((len + 7) >> 3);
    n++;
  }
  const al = (buf[p] << 8) | buf[p + 1];
  p += 2;
  const aEnd = p + al;
  while (p < aEnd) {
    const flags = buf[p];
    h ^= buf[p + 1];
    if (flags & 0x10) p += 4 + ((buf[p + 2] << 8) | buf[p + 3]);
    else p += 3 + buf[p + 2];
  }
  while (p < end) {
    const len = buf[p];
    h ^= buf[p + 1];
    p += 1 + ((len + 7) >> 3);
    n++;
  }
  return (n << 8) ^ (h & 0xff);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** ../shared/data/mrt beside the repository, or $SUPERSPARROW_SHARED_DIR/data/mrt. */
function mrtDir(): string {
  if (process.env.SUPERSPARROW_SHARED_DIR) return path.resolve(process.env.SUPERSPARROW_SHARED_DIR, 'data/mrt');
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'); // dist/bench -> repo
  return path.resolve(repoRoot, '../shared/data/mrt');
}

/** Bytes allocated so far that a scavenge has not yet reclaimed: young generation plus array-buffer backing stores. */
function allocatedNow(): number {
  let young = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space') young += space.space_used_size;
  }
  return young + process.memoryUsage().arrayBuffers;
}

/**
 * What decodeUpdate allocates, measured UPDATE by UPDATE, and fitted as bytes = perUpdate + perPrefix x prefixes
 * (least squares). perPrefix near 0 says the prefixes themselves cost no allocation; a measurement spanning a
 * scavenge (the young generation shrank) is left out.
 */
function measureAllocation(count: number, decode: (i: number) => number): { perUpdate: number; perPrefix: number; samples: number } {
  // The probe itself allocates (the statistics objects): measured the same way and taken off.
  const probe: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const a = allocatedNow();
    const b = allocatedNow();
    if (b >= a) probe.push(b - a);
  }
  const overhead = median(probe);
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < count; i++) {
    const a = allocatedNow();
    const prefixes = decode(i);
    const b = allocatedNow();
    if (b < a) continue;
    const y = b - a - overhead;
    n++;
    sx += prefixes;
    sy += y;
    sxx += prefixes * prefixes;
    sxy += prefixes * y;
  }
  const perPrefix = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  return { perUpdate: (sy - perPrefix * sx) / n, perPrefix, samples: n };
}

async function main(): Promise<void> {
  // Loaded with the MRT reader (src/mrt), then copied into one arena: only decodeUpdate is timed.
  const { messages } = await loadMrtMessages(path.join(mrtDir(), FILE));
  // One contiguous buffer of all UPDATEs (headers included), as a receive loop would hold them.
  let total = 0;
  for (const m of messages) total += m.message.length;
  const all = Buffer.alloc(total);
  const starts = new Int32Array(messages.length);
  const ends = new Int32Array(messages.length);
  let off = 0;
  for (let i = 0; i < messages.length; i++) {
    const msg = messages[i].message;
    msg.copy(all, off);
    starts[i] = off + 19;
    ends[i] = off + msg.length;
    off += msg.length;
  }
  const opts: DecodeOptions = { ...DEFAULT_DECODE_OPTIONS, fourOctetAs: messages.every((m) => m.fourOctetAs) };
  const count = messages.length;

  const decodeOnce = (): { ms: number; prefixes: number; hash: number } => {
    const sink = new CountingSink();
    const t0 = process.hrtime.bigint();
    let attrs = 0;
    for (let i = 0; i < count; i++) {
      const r = decodeUpdate(all, starts[i], ends[i], opts, sink);
      if (r.attributes !== null) attrs++;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ms, prefixes: sink.announced + sink.withdrawn, hash: sink.hash ^ attrs };
  };
  const walkOnce = (): { ms: number; prefixes: number } => {
    const t0 = process.hrtime.bigint();
    let n = 0;
    for (let i = 0; i < count; i++) n += walkUpdate(all, starts[i], ends[i]) >> 8;
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, prefixes: n };
  };

  for (let i = 0; i < WARMUP; i++) {
    decodeOnce();
    walkOnce();
  }
  const decodeTimes: number[] = [];
  const walkTimes: number[] = [];
  let prefixes = 0;
  let walkPrefixes = 0;
  let hash = 0;
  for (let i = 0; i < REPETITIONS; i++) {
    const d = decodeOnce();
    decodeTimes.push(d.ms);
    prefixes = d.prefixes;
    hash = d.hash;
    const w = walkOnce();
    walkTimes.push(w.ms);
    walkPrefixes = w.prefixes;
  }
  const allocSink = new CountingSink();
  const alloc = measureAllocation(count, (i) => {
    const before = allocSink.announced + allocSink.withdrawn;
    decodeUpdate(all, starts[i], ends[i], opts, allocSink);
    return allocSink.announced + allocSink.withdrawn - before;
  });
  const decodeMs = median(decodeTimes);
  const walkMs = median(walkTimes);
  const prefixesPerS = Math.round(prefixes / (decodeMs / 1000));
  const mbPerS = Math.round((total / 1e6 / (decodeMs / 1000)) * 10) / 10;
  const walkPerS = Math.round(walkPrefixes / (walkMs / 1000));
  console.log(`file: ${FILE}: ${count} UPDATEs, ${prefixes} prefixes, ${(total / 1e6).toFixed(1)} MB (checksum ${hash})`);
  console.log(`decodeUpdate: median ${decodeMs.toFixed(1)} ms of ${REPETITIONS} after ${WARMUP} warm-up: ${(prefixesPerS / 1e6).toFixed(2)} M prefixes/s, ${mbPerS} MB/s`);
  console.log(`bare walk (reference, same run): median ${walkMs.toFixed(1)} ms: ${(walkPerS / 1e6).toFixed(2)} M prefixes/s; decode/walk time ratio ${(decodeMs / walkMs).toFixed(2)}`);
  console.log(
    `allocation, fitted over ${alloc.samples} UPDATEs one by one: ${Math.round(alloc.perUpdate)} bytes per UPDATE ` +
      `(the decoded attribute set) + ${(Math.abs(alloc.perPrefix) < 0.05 ? 0 : alloc.perPrefix).toFixed(1)} bytes per prefix`,
  );
  console.log(`context: BIRD end to end (socket+decode+RIB) ~${BIRD_PREFIXES_PER_S / 1e6} M prefixes/s (issue 3); decode alone is ${(prefixesPerS / BIRD_PREFIXES_PER_S).toFixed(1)}x that`);
  console.log(JSON.stringify({ bench: 'codec', prefixes_per_s: prefixesPerS, mb_per_s: mbPerS, walk_prefixes_per_s: walkPerS, updates: count, prefixes, alloc_bytes_per_update: Math.round(alloc.perUpdate), alloc_bytes_per_prefix: Math.round(alloc.perPrefix * 10) / 10 + 0 }));
}

await main();
