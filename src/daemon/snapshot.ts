// Snapshots of the RIB as MRT TABLE_DUMP_V2 files: `mrt save` writes the running daemon's table, and
// `serve --warm-start FILE` loads one into the RIB before the first session, so the decision answers at once.
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { createGzip, type Gzip } from 'node:zlib';
import { Afi, type PathAttributes } from '../bgp/index.js';
import { MrtError, TableDumpV2Writer, encodeRibEntryAttributes, readMrtRibEntries, type MrtPeer, type TableDumpPeer } from '../mrt/index.js';
import { parseAddress, type RibReader, type RibWriter, type WalkedPrefix } from '../rib/index.js';
import { parseId, type Neighbor, type Speaker } from '../session/index.js';

/** What `mrt save` answers. */
export interface SnapshotSaved {
  file: string;
  /** Distinct prefixes written per family. */
  prefixes: { ipv4: number; ipv6: number };
  /** RIB entries (paths) written. */
  paths: number;
  /** Bytes of the file (compressed, for .gz). */
  bytes: number;
  seconds: number;
}

export interface SaveOptions {
  /** Our BGP identifier, dotted quad: the PEER_INDEX_TABLE's collector id. */
  routerId: string;
  /** PEER_INDEX_TABLE view name. */
  viewName?: string;
  /** Prefixes written between two turns of the event loop. Default 2000 (a few ms of work). */
  prefixesPerTurn?: number;
  /** MRT timestamp of the records (seconds). Default: now. */
  timestamp?: number;
}

/** A save or a warm-start load that could not be done; the message names the file. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  constructor(
    message: string,
    /** Records (or, for a load, RIB entries) read before the fault; -1 when not a reading fault. */
    readonly countRead = -1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULT_PREFIXES_PER_TURN = 2000;

/** 4 or 16 bytes of an address text. */
function addressBytes(text: string): Uint8Array {
  const p = parseAddress(text);
  if (p.afi === Afi.IPv4) return Uint8Array.of(p.a >>> 24, (p.a >>> 16) & 255, (p.a >>> 8) & 255, p.a & 255);
  const out = new Uint8Array(16);
  [p.a, p.b, p.c, p.d].forEach((w, i) => {
    out[i * 4] = w >>> 24;
    out[i * 4 + 1] = (w >>> 16) & 255;
    out[i * 4 + 2] = (w >>> 8) & 255;
    out[i * 4 + 3] = w & 255;
  });
  return out;
}

/** The file, or the gzip stream in front of it: written chunk by chunk with back-pressure. */
class SnapshotOutput {
  private failure: Error | null = null;
  private readonly file: WriteStream;
  private readonly head: WriteStream | Gzip;

  constructor(readonly path: string, gzip: boolean) {
    this.file = createWriteStream(path, { flags: 'wx', highWaterMark: 1 << 20 });
    this.file.on('error', (err) => (this.failure ??= err));
    if (gzip) {
      const z = createGzip({ level: 6, chunkSize: 1 << 16 });
      z.on('error', (err) => (this.failure ??= err));
      z.pipe(this.file);
      this.head = z;
    } else {
      this.head = this.file;
    }
  }

  write(chunk: Buffer): void | Promise<void> {
    if (this.failure) throw this.failure;
    if (this.head.write(chunk)) return;
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.head.off('drain', done);
        this.head.off('error', done);
        this.file.off('error', done);
        if (this.failure) reject(this.failure);
        else resolve();
      };
      this.head.on('drain', done);
      this.head.on('error', done);
      this.file.on('error', done);
    });
  }

  /** Ends the stream and waits until the file is written and closed. */
  async end(): Promise<number> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.file.once('close', () => (this.failure ? reject(this.failure) : resolve()));
      this.file.once('error', reject);
      this.head.end();
    });
    return this.file.bytesWritten;
  }

  destroy(): void {
    this.head.destroy();
    this.file.destroy();
  }
}

/**
 * Writes the RIB to `file` as a TABLE_DUMP_V2 dump (gzip when the name ends in .gz): written to FILE.tmp, then
 * renamed, so a reader never sees half a file. Yields to the event loop every few thousand prefixes (sessions,
 * keepalives and DNS go on meanwhile); each prefix is written as it stands when its turn comes.
 */
export async function saveRibSnapshot(rib: RibReader, file: string, options: SaveOptions): Promise<SnapshotSaved> {
  const started = performance.now();
  const perTurn = options.prefixesPerTurn ?? DEFAULT_PREFIXES_PER_TURN;
  const tmp = `${file}.tmp`;
  let out: SnapshotOutput;
  try {
    out = new SnapshotOutput(tmp, file.endsWith('.gz'));
  } catch (err) {
    throw new SnapshotError(`cannot write the snapshot ${file}: ${(err as Error).message}`, -1, { cause: err });
  }
  const writer = new TableDumpV2Writer((chunk) => out.write(chunk), {
    collectorBgpId: parseId(options.routerId),
    viewName: options.viewName,
    timestamp: options.timestamp,
  });
  // Every neighbor the RIB holds, in its order; the walk names neighbors by address.
  const neighbors = rib.neighbors();
  const peerIndex = new Map<string, number>();
  const peers: TableDumpPeer[] = neighbors.map((n, i) => {
    peerIndex.set(n.address, i);
    return { bgpId: n.routerId, address: addressBytes(n.address), as: n.remoteAs };
  });
  // Encoded attribute sections by set handle, valid while the set's serial is the one cached (sets are shared by
  // many paths: a full table has ~1M paths over ~150k sets).
  let cachedSerial = new Uint32Array(1024);
  let cachedBytes: (Buffer | undefined)[] = [];
  const encoded = (attrId: number, serial: number): Buffer => {
    if (attrId >= cachedSerial.length) {
      const bigger = new Uint32Array(Math.max(attrId + 1, cachedSerial.length * 2));
      bigger.set(cachedSerial);
      cachedSerial = bigger;
    }
    let bytes = cachedBytes[attrId];
    if (bytes === undefined || cachedSerial[attrId] !== serial) {
      bytes = encodeRibEntryAttributes(rib.attributesOf(attrId));
      cachedBytes[attrId] = bytes;
      cachedSerial[attrId] = serial;
    }
    return bytes;
  };
  const prefixes = { ipv4: 0, ipv6: 0 };
  const pending: Promise<void>[] = [];
  const writePrefix = (p: WalkedPrefix): void => {
    // RFC 8050 records when a path id must be kept: several paths from one neighbor, or any non-zero id. Paths of
    // a neighbor added since the walk began are left out (it is not in the peer table); a prefix with only such
    // paths gets no record at all.
    let addPath = false;
    let kept = 0;
    for (let i = 0; i < p.count; i++) {
      if (!peerIndex.has(p.neighbor[i]!)) continue;
      kept++;
      if (p.pathId[i] !== 0) addPath = true;
    }
    if (kept === 0) return;
    writer.beginRib(p.afi, p.a, p.b, p.c, p.d, p.length, addPath);
    for (let i = 0; i < p.count; i++) {
      const index = peerIndex.get(p.neighbor[i]!);
      if (index === undefined) continue;
      writer.addEntry(index, Math.floor(p.changedAt[i]! / 1000), p.pathId[i]!, encoded(p.attributes[i]!, p.attributeSerial[i]!));
    }
    const flushed = writer.endRib();
    if (flushed !== undefined) pending.push(flushed);
    if (p.afi === Afi.IPv4) prefixes.ipv4++;
    else prefixes.ipv6++;
  };
  try {
    await writer.peerIndexTable(peers);
    for (const afi of [Afi.IPv4, Afi.IPv6]) {
      const walk = rib.walkRoutes(afi);
      while (!walk.done) {
        // A full chunk stops the slice: the sink's promise must settle before the writer goes on.
        let visited = 0;
        while (visited < perTurn && !walk.done && pending.length === 0) visited += walk.step(1, writePrefix);
        if (pending.length > 0) await pending.pop();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    await writer.finish();
    const bytes = await out.end();
    await rename(tmp, file);
    return {
      file,
      prefixes,
      paths: writer.ribEntries,
      bytes,
      seconds: Math.round(performance.now() - started) / 1000,
    };
  } catch (err) {
    out.destroy();
    await unlink(tmp).catch(() => undefined);
    throw new SnapshotError(`cannot write the snapshot ${file}: ${(err as Error).message}`, -1, { cause: err });
  }
}

/** What a warm start loaded. */
export interface WarmStartLoaded {
  file: string;
  /** When the snapshot was taken (its PEER_INDEX_TABLE's timestamp). */
  takenAt: Date;
  /** Distinct prefixes and paths installed, over the neighbors that matched. */
  prefixes: { ipv4: number; ipv6: number };
  paths: number;
  /** Configured neighbors that got routes from the snapshot. */
  neighbors: string[];
  /** Snapshot peers that match no configured neighbor (or not its AS), and their paths left out. */
  ignored: { address: string; as: number; paths: number }[];
  /** Entries whose attributes did not decode (left out). */
  badEntries: number;
  seconds: number;
}

/**
 * Loads a snapshot into the RIB for a warm start: a snapshot peer whose address (and AS) is a configured
 * neighbor's gets its routes installed as that neighbor's, held as stale until the neighbor's End-of-RIB (see
 * Neighbor.holdWarmRoutes); other peers are skipped. Run before the speaker starts. A missing, truncated or
 * garbled file throws SnapshotError naming the file and the count read, after taking back what it installed:
 * half a table would mislead the decision more than none.
 */
export async function loadWarmStart(file: string, speaker: Speaker, rib: RibWriter, options: { holdSeconds?: number } = {}): Promise<WarmStartLoaded> {
  const started = performance.now();
  const targets = new Map<MrtPeer, { neighbor: Neighbor; ribId: number } | null>();
  const ignored = new Map<MrtPeer, { address: string; as: number; paths: number }>();
  const used = new Set<Neighbor>();
  const prefixes = { ipv4: 0, ipv6: 0 };
  // A snapshot holds a prefix's paths in one record, so its entries come together: a new prefix is a change.
  const last = { afi: 0, a: 0, b: 0, c: 0, d: 0, length: -1 };
  let takenAt = 0;
  let paths = 0;
  let entries = 0;
  let badEntries = 0;
  // Interned sets by the bytes of their attribute section: a snapshot shares sets between paths as the RIB did.
  const interned = new Map<string, number>();
  const targetOf = (peer: MrtPeer) => {
    let t = targets.get(peer);
    if (t !== undefined) return t;
    const neighbor = speaker.neighbor(peer.addressText);
    if (neighbor !== undefined && neighbor.options.remoteAs === peer.as) {
      t = { neighbor, ribId: neighbor.warmStartRibId(peer.as, peer.bgpId) };
      used.add(neighbor);
    } else {
      t = null;
      ignored.set(peer, { address: peer.addressText, as: peer.as, paths: 0 });
    }
    targets.set(peer, t);
    return t;
  };
  try {
    for await (const entry of readMrtRibEntries(file)) {
      entries++;
      if (takenAt === 0) takenAt = entry.timestamp;
      if (entry.peerIndex < 0) throw new MrtError('not a TABLE_DUMP_V2 snapshot (a TABLE_DUMP or BGP4MP_ENTRY record)', -1);
      const target = targetOf(entry.peer);
      if (target === null) {
        ignored.get(entry.peer)!.paths++;
        continue;
      }
      if (entry.attributes === null) {
        badEntries++;
        continue;
      }
      const key = entry.attributeBytes.toString('latin1');
      let attrId = interned.get(key);
      if (attrId === undefined) {
        attrId = rib.intern(entry.attributes as PathAttributes);
        interned.set(key, attrId);
      }
      rib.announce(target.ribId, entry.afi as Afi, entry.pathId, entry.a, entry.b, entry.c, entry.d, entry.length, attrId);
      paths++;
      if (entry.length !== last.length || entry.a !== last.a || entry.b !== last.b || entry.c !== last.c || entry.d !== last.d || entry.afi !== last.afi) {
        if (entry.afi === Afi.IPv6) prefixes.ipv6++;
        else prefixes.ipv4++;
        last.afi = entry.afi;
        last.a = entry.a;
        last.b = entry.b;
        last.c = entry.c;
        last.d = entry.d;
        last.length = entry.length;
      }
    }
  } catch (err) {
    for (const n of used) n.dropWarmRoutes();
    const what = err instanceof MrtError ? err.message : (err as Error).message;
    throw new SnapshotError(`warm start from ${file} failed after ${entries} RIB entries: ${what}`, entries, { cause: err });
  } finally {
    for (const attrId of interned.values()) rib.release(attrId);
  }
  if (entries === 0) throw new SnapshotError(`warm start from ${file}: the file holds no RIB entries`, 0);
  const when = new Date(takenAt * 1000);
  const holdOf = (n: Neighbor) => options.holdSeconds ?? n.options.stalePathTime;
  for (const n of used) n.holdWarmRoutes(holdOf(n), `the snapshot ${file} of ${when.toISOString()}`);
  return {
    file,
    takenAt: when,
    prefixes,
    paths,
    neighbors: [...used].map((n) => n.address),
    ignored: [...ignored.values()],
    badEntries,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}
