// npm run bench:rib — loads full-size tables into the RIB and measures load speed, memory and lookups.
// (1) the 2015 RIS file (one peer's full IPv4 table as UPDATEs, decoded from memory with decodeUpdate);
// (2) a synthetic ~565k IPv4 + ~168k IPv6 table from @ip-location-db/asn (bench/lib/synthetic-table.ts), in a
//     child process so that its RSS is the RIB's and not the generator's;
// plus, in the same run, a static 16-8-8 array built from the same IPv4 table as the reference for lookups.
// The last line is the JSON summary of (2).

import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { Afi, decodeUpdate } from '../src/bgp/index.js';
import { keepYoungGenerationSmall } from '../src/cli/runtime.js';
import { RibUpdateSink } from '../src/rib/index.js';
// The benchmark measures the RIB's insides (tables, lookups) directly.
import { Rib } from '../src/rib/rib.js';
import { LookupResult, RibReader } from '../src/rib/reader.js';
import { forEachSyntheticGroup, generateSyntheticTable, writeSyntheticTable } from '../src/replay/index.js';
import { seededRandom } from '../src/util/index.js';

const LOOKUPS = 1 << 22;
const MiB = 1024 * 1024;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

function mib(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}

/** Runs fn over the whole address array repeatedly for about `seconds`; returns lookups per second. */
function rate(seconds: number, fn: () => number): { perSecond: number; checksum: number } {
  let checksum = fn(); // warm-up
  let done = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    checksum = (checksum + fn()) | 0;
    done += LOOKUPS;
    elapsed = performance.now() - t0;
  }
  return { perSecond: done / (elapsed / 1000), checksum };
}

/**
 * Rates of several lookup loops measured in turn, round after round, and the median of each: loops compared with
 * one another (plain, with scope) then share the machine's ups and downs instead of each getting its own.
 */
function rates(rounds: number, secondsEach: number, fns: Array<() => number>): Array<{ perSecond: number; checksum: number }> {
  const seen = fns.map(() => [] as number[]);
  const checksums = fns.map((fn) => fn()); // warm-up
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const one = rate(secondsEach, fn);
      seen[i]!.push(one.perSecond);
      checksums[i] = (checksums[i]! + one.checksum) | 0;
    });
  }
  return seen.map((v, i) => ({ perSecond: [...v].sort((x, y) => x - y)[v.length >> 1]!, checksum: checksums[i]! }));
}

/** The reference: a static 16-8-8 multibit array painted shortest prefix first (not updatable in place). */
class Static1688 {
  root = new Int32Array(65536);
  chunks: Int32Array;
  count = 0;
  constructor(prefixes: Uint32Array, n: number) {
    // Order prefix indices by length so longer ones paint over shorter ones.
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => prefixes[2 * x + 1]! - prefixes[2 * y + 1]!);
    let cap = 4096;
    this.chunks = new Int32Array(cap * 256);
    const chunkOf = (holder: Int32Array, slot: number): number => {
      const v = holder[slot]!;
      if (v < 0) return ~v;
      if (this.count === cap) {
        cap *= 2;
        const bigger = new Int32Array(cap * 256);
        bigger.set(this.chunks);
        this.chunks = bigger;
      }
      const c = this.count++;
      this.chunks.fill(v, c << 8, (c << 8) + 256);
      holder[slot] = ~c;
      return c;
    };
    for (const i of order) {
      const addr = prefixes[2 * i]!;
      const len = prefixes[2 * i + 1]!;
      const value = i + 1;
      if (len <= 16) {
        const s = addr >>> 16;
        for (let k = s; k < s + (1 << (16 - len)); k++) this.paint(this.root, k, value);
      } else {
        const c1 = chunkOf(this.root, addr >>> 16);
        if (len <= 24) {
          const s = (addr >>> 8) & 255;
          for (let k = s; k < s + (1 << (24 - len)); k++) this.paint(this.chunks, (c1 << 8) | k, value);
        } else {
          const c2 = chunkOf(this.chunks, (c1 << 8) | ((addr >>> 8) & 255));
          const s = addr & 255;
          for (let k = s; k < s + (1 << (32 - len)); k++) this.chunks[(c2 << 8) | k] = value;
        }
      }
    }
    this.chunks = this.chunks.slice(0, this.count * 256);
  }
  private paint(arr: Int32Array, slot: number, value: number): void {
    const v = arr[slot]!;
    if (v < 0) {
      const base = ~v << 8;
      for (let k = 0; k < 256; k++) this.paint(this.chunks, base + k, value);
    } else arr[slot] = value;
  }
  lookup(a: number): number {
    let v = this.root[a >>> 16]!;
    if (v < 0) {
      v = this.chunks[(~v << 8) | ((a >>> 8) & 255)]!;
      if (v < 0) v = this.chunks[(~v << 8) | (a & 255)]!;
    }
    return v - 1;
  }
  get bytes(): number {
    return this.root.byteLength + this.chunks.byteLength;
  }
}

interface SyntheticResult {
  load_s: number;
  inserts_per_s: number;
  rss_mib: number;
  heap_mib: number;
  attr_sets: number;
  v4_lookups_per_s: number;
  v6_lookups_per_s: number;
  v4_scoped_lookups_per_s: number;
  v6_scoped_lookups_per_s: number;
  v4_reader_lookups_per_s: number;
  v6_reader_lookups_per_s: number;
  lines: string[];
}

/** Child-process part: load the table file into a fresh RIB, measure. */
function syntheticRun(file: string): SyntheticResult {
  const lines: string[] = [];
  const say = (s: string): void => {
    lines.push(s);
  };
  gc();
  const rssBefore = process.memoryUsage().rss;
  const rib = new Rib();
  const neighbor = rib.addNeighbor({ address: '192.0.2.1', remoteAs: 64500, localAs: 65000, routerId: 0xc0000201 });
  let loadMs = 0;
  // Timed: intern + announce of each group (the file parsing is not).
  const counts = forEachSyntheticGroup(file, (g) => {
    const t0 = performance.now();
    const attrId = rib.intern(g.attributes);
    const p = g.prefixes;
    if (g.afi === Afi.IPv4) {
      for (let i = 0; i < p.length; i += 2) rib.announce(neighbor, Afi.IPv4, 0, p[i]! | 0, 0, 0, 0, p[i + 1]!, attrId);
    } else {
      for (let i = 0; i < p.length; i += 5) rib.announce(neighbor, Afi.IPv6, 0, p[i]! | 0, p[i + 1]! | 0, p[i + 2]! | 0, p[i + 3]! | 0, p[i + 4]!, attrId);
    }
    rib.release(attrId);
    loadMs += performance.now() - t0;
  });
  const loadSeconds = loadMs / 1000;
  const v4Count = counts.ipv4Prefixes;
  const v6Count = counts.ipv6Prefixes;
  const total = v4Count + v6Count;
  gc();
  const mem = process.memoryUsage();
  const attrSets = rib.attributeSetCount;

  say(`synthetic table: ${rib.prefixTotal(Afi.IPv4)} IPv4 + ${rib.prefixTotal(Afi.IPv6)} IPv6 prefixes (file: ${v4Count} + ${v6Count}), ${rib.attributeSetCount} attribute sets`);
  say(`  load ${loadSeconds.toFixed(3)} s, ${Math.round(total / loadSeconds)} inserts/s`);
  say(
    `  after load + gc: rss ${mib(mem.rss)} MiB (fresh process before load ${mib(rssBefore)} MiB), heap used ${mib(mem.heapUsed)} MiB, ` +
      `array buffers ${mib(mem.arrayBuffers)} MiB`,
  );
  const spaces = v8.getHeapSpaceStatistics().map((sp) => `${sp.space_name.replace('_space', '')} ${mib(sp.physical_space_size)}`);
  say(`  V8 heap spaces resident (MiB): ${spaces.join(', ')}`);
  say(
    `  RIB typed arrays in use ${mib(rib.usedBytes)} MiB: IPv4 table ${mib(rib.ipv4.usedBytes)} MiB (${rib.ipv4.chunks} chunks), ` +
      `IPv6 table ${mib(rib.ipv6.usedBytes)} MiB (${rib.ipv6.chunks} chunks), attributes ${mib(rib.attributes.usedBytes)} MiB, ` +
      `routes ${mib(rib.usedBytes - rib.ipv4.usedBytes - rib.ipv6.usedBytes - rib.attributes.usedBytes)} MiB`,
  );

  // Lookup addresses (after the memory figures): uniform over loaded prefixes, random host bits, pre-generated.
  const t4 = rib.ipv4;
  const t6 = rib.ipv6;
  const ids4 = Int32Array.from(t4.ids());
  const ids6 = Int32Array.from(t6.ids());
  const rand = seededRandom(7);
  // Addresses as int32, as a packet parser makes them (the lookups take either; see RibReader).
  const addr4 = new Int32Array(LOOKUPS);
  for (let i = 0; i < LOOKUPS; i++) {
    const k = ids4[Math.floor(rand() * ids4.length)]!;
    const len = t4.lengths[k]!;
    const host = len === 32 ? 0 : Math.floor(rand() * 2 ** (32 - len));
    addr4[i] = ((t4.words[k]! >>> 0) + host) | 0;
  }
  const addr6 = new Int32Array(LOOKUPS * 4);
  for (let i = 0; i < LOOKUPS; i++) {
    const k = ids6[Math.floor(rand() * ids6.length)]!;
    const len = t6.lengths[k]!;
    for (let w = 0; w < 4; w++) {
      const fixed = Math.max(0, Math.min(32, len - 32 * w));
      const random = fixed === 32 ? 0 : Math.floor(rand() * 2 ** (32 - fixed));
      addr6[4 * i + w] = t6.words[4 * k + w]! | random;
    }
  }
  // Plain longest match, then the same with its ECS scope (PrefixTable), then the reading face's full lookup
  // (scope, best route, attribute set and neighbor into a LookupResult), in turn, so that they share conditions.
  const reader = new RibReader(rib);
  const out = new LookupResult();
  const v4Loop = (): number => {
    let sum = 0;
    for (let i = 0; i < LOOKUPS; i++) sum = (sum + t4.lookup4(addr4[i]!)) | 0;
    return sum;
  };
  const v4ScopedLoop = (): number => {
    let sum = 0;
    for (let i = 0; i < LOOKUPS; i++) sum = (sum + t4.lookupScoped4(addr4[i]!)) | 0; // packed: id and scope
    return sum;
  };
  const v4ReaderLoop = (): number => {
    let sum = 0;
    for (let i = 0; i < LOOKUPS; i++) {
      reader.lookup4(addr4[i]!, out);
      sum = (sum + out.scope + out.attributes) | 0;
    }
    return sum;
  };
  const v6Loop = (): number => {
    let sum = 0;
    for (let i = 0; i < LOOKUPS; i++) {
      const o = 4 * i;
      sum = (sum + t6.lookup6(addr6[o]!, addr6[o + 1]!, addr6[o + 2]!, addr6[o + 3]!)) | 0;
    }
    return sum;
  };
  const v6ScopedLoop = (): number => {
    let sum = 0;
    for (let i = 0; i < LOOKUPS; i++) {
      const o = 4 * i;
      sum = (sum + t6.lookupScoped6(addr6[o]!, addr6[o + 1]!, addr6[o + 2]!, addr6[o + 3]!)) | 0;
    }
    return sum;
  };
  const v6ReaderLoop = (): number => {
    let sum = 0;
    for (let i = 0; i < LOOKUPS; i++) {
      const o = 4 * i;
      reader.lookup6(addr6[o]!, addr6[o + 1]!, addr6[o + 2]!, addr6[o + 3]!, out);
      sum = (sum + out.scope + out.attributes) | 0;
    }
    return sum;
  };
  // Five rounds of each, interleaved; the medians.
  const [v4, v4Scoped, v4Reader, v6, v6Scoped, v6Reader] = rates(5, 0.4, [v4Loop, v4ScopedLoop, v4ReaderLoop, v6Loop, v6ScopedLoop, v6ReaderLoop]) as [
    ReturnType<typeof rate>,
    ReturnType<typeof rate>,
    ReturnType<typeof rate>,
    ReturnType<typeof rate>,
    ReturnType<typeof rate>,
    ReturnType<typeof rate>,
  ];
  const m = (r: { perSecond: number }): string => `${(r.perSecond / 1e6).toFixed(1)} M/s`;
  say(`  longest match, one core (median of 5 interleaved rounds): IPv4 ${m(v4)}, IPv6 ${m(v6)} (checksums ${v4.checksum}, ${v6.checksum})`);
  say(
    `  with ECS scope: IPv4 ${m(v4Scoped)} (${(v4Scoped.perSecond / v4.perSecond).toFixed(2)} of plain), ` +
      `IPv6 ${m(v6Scoped)} (${(v6Scoped.perSecond / v6.perSecond).toFixed(2)} of plain)`,
  );
  say(`  reading face (scope + best route + attribute set + neighbor into a LookupResult): IPv4 ${m(v4Reader)}, IPv6 ${m(v6Reader)}`);

  const flat4 = new Uint32Array(ids4.length * 2);
  for (let i = 0; i < ids4.length; i++) {
    flat4[2 * i] = t4.words[ids4[i]!]! >>> 0;
    flat4[2 * i + 1] = t4.lengths[ids4[i]!]!;
  }
  const reference = new Static1688(flat4, ids4.length);
  const ref = rate(2, () => {
    let sum = 0;
    for (let i = 0; i < LOOKUPS; i++) sum = (sum + reference.lookup(addr4[i]!)) | 0;
    return sum;
  });
  // Both must find the same prefix for every address.
  let disagreements = 0;
  for (let i = 0; i < 100000; i++) {
    const a = t4.lookup4(addr4[i]!);
    const b = reference.lookup(addr4[i]!);
    if ((a < 0) !== (b < 0) || (a >= 0 && a !== ids4[b])) disagreements++;
  }
  say(
    `  reference static 16-8-8 (same IPv4 table): ${(ref.perSecond / 1e6).toFixed(1)} M/s in ${mib(reference.bytes)} MiB; ` +
      `RIB/reference ratio ${(v4.perSecond / ref.perSecond).toFixed(2)}; ${disagreements} disagreements in 100k`,
  );
  // Withdraw everything (IPv4 then IPv6), the other half of what a flapping session costs.
  const all4 = Uint32Array.from(ids4, (k) => t4.words[k]!);
  const len4 = Uint8Array.from(ids4, (k) => t4.lengths[k]!);
  const all6 = new Uint32Array(ids6.length * 4);
  const len6 = Uint8Array.from(ids6, (k) => t6.lengths[k]!);
  for (let i = 0; i < ids6.length; i++) for (let w = 0; w < 4; w++) all6[4 * i + w] = t6.words[4 * ids6[i]! + w]!;
  const tw = performance.now();
  for (let i = 0; i < all4.length; i++) rib.withdraw(neighbor, Afi.IPv4, 0, all4[i]!, 0, 0, 0, len4[i]!);
  for (let i = 0; i < len6.length; i++) rib.withdraw(neighbor, Afi.IPv6, 0, all6[4 * i]!, all6[4 * i + 1]!, all6[4 * i + 2]!, all6[4 * i + 3]!, len6[i]!);
  const withdrawSeconds = (performance.now() - tw) / 1000;
  say(
    `  withdraw all: ${withdrawSeconds.toFixed(3)} s, ${Math.round((all4.length + len6.length) / withdrawSeconds)} withdrawals/s; ` +
      `left: ${rib.prefixTotal(Afi.IPv4) + rib.prefixTotal(Afi.IPv6)} prefixes, ${rib.attributeSetCount} attribute sets, ` +
      `${rib.ipv4.chunks + rib.ipv6.chunks} chunks`,
  );
  return {
    load_s: Math.round(loadSeconds * 1000) / 1000,
    inserts_per_s: Math.round(total / loadSeconds),
    rss_mib: mib(mem.rss),
    heap_mib: mib(mem.heapUsed),
    attr_sets: attrSets,
    v4_lookups_per_s: Math.round(v4.perSecond),
    v6_lookups_per_s: Math.round(v6.perSecond),
    v4_scoped_lookups_per_s: Math.round(v4Scoped.perSecond),
    v6_scoped_lookups_per_s: Math.round(v6Scoped.perSecond),
    v4_reader_lookups_per_s: Math.round(v4Reader.perSecond),
    v6_reader_lookups_per_s: Math.round(v6Reader.perSecond),
    lines,
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--synthetic-child') {
    keepYoungGenerationSmall(); // as bin/supersparrow.js does for the daemon: the table is measured as it runs there
    process.send!(syntheticRun(process.argv[3]!));
    return;
  }
  const ris = await loadRisFile();
  for (const line of ris) console.log(line);
  const file = path.join(os.tmpdir(), `supersparrow-synthetic-${process.pid}.bin`);
  writeSyntheticTable(generateSyntheticTable({ seed: 1 }), file);
  const child = fork(fileURLToPath(import.meta.url), ['--synthetic-child', file], {
    execArgv: ['--expose-gc', ...process.execArgv.filter((a) => a !== '--expose-gc')],
  });
  const result = await new Promise<SyntheticResult>((resolve, reject) => {
    child.once('message', (m) => resolve(m as SyntheticResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`synthetic run exited with ${code}`));
    });
  });
  rmSync(file, { force: true });
  for (const line of result.lines) console.log(line);
  const { lines: _lines, ...summary } = result;
  console.log(JSON.stringify({ bench: 'rib', ...summary }));
}

/** ../shared/data/mrt beside the repository, or $SUPERSPARROW_SHARED_DIR/data/mrt. */
function mrtDir(): string {
  if (process.env.SUPERSPARROW_SHARED_DIR) return path.resolve(process.env.SUPERSPARROW_SHARED_DIR, 'data/mrt');
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  return path.resolve(repoRoot, '../shared/data/mrt');
}

/** (1) The 2015 RIS file (one peer's full IPv4 table) decoded from memory into the RIB. Returns the lines to print. */
async function loadRisFile(): Promise<string[]> {
  const file = path.join(mrtDir(), 'updates.et-header.2015.gz');
  // Imported here so that the synthetic child process (which measures RSS) does not load the MRT reader.
  const { loadMrtMessages } = await import('../src/mrt/index.js');
  const { messages, bytes } = await loadMrtMessages(file);
  const rib = new Rib();
  const neighbors = new Map<string, RibUpdateSink>();
  let announced = 0;
  let withdrawn = 0;
  const t0 = performance.now();
  for (const m of messages) {
    const key = `${m.peerAs}`;
    let sink = neighbors.get(key);
    if (sink === undefined) {
      sink = new RibUpdateSink(rib, rib.addNeighbor({ address: '192.0.2.1', remoteAs: m.peerAs, localAs: 12654, routerId: 1 }));
      neighbors.set(key, sink);
    }
    const opts = { fourOctetAs: m.fourOctetAs, addPathIpv4: m.addPath, addPathIpv6: m.addPath, extendedMessage: true };
    const result = decodeUpdate(m.message, 19, m.message.length, opts, sink);
    sink.done();
    announced += result.treatAsWithdraw ? 0 : result.announced;
    withdrawn += result.withdrawn;
  }
  const seconds = (performance.now() - t0) / 1000;
  return [
    `RIS 2015 (updates.et-header.2015.gz): ${messages.length} UPDATEs, ${mib(bytes)} MiB, decoded from memory into the RIB in ` +
      `${seconds.toFixed(3)} s: ${announced} announced + ${withdrawn} withdrawn -> ${rib.prefixTotal(Afi.IPv4)} IPv4 prefixes, ` +
      `${rib.attributeSetCount} attribute sets; ${Math.round((announced + withdrawn) / seconds)} prefixes/s (decode + RIB), ` +
      `${Math.round(messages.length / seconds)} UPDATEs/s`,
  ];
}

await main();
