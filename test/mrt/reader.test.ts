import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { MrtError, MrtType, decodeTableDumpV2Rib, decodePeerIndexTable, openMrtStream, readMrtRecords, type MrtRecord } from '../../src/mrt/index.js';
import { haveProgram, inCi, mrtFile, tempDir } from './helpers.js';

async function collect(file: string): Promise<{ records: MrtRecord[]; error: unknown }> {
  const records: MrtRecord[] = [];
  try {
    for await (const r of readMrtRecords(file)) records.push(r);
    return { records, error: null };
  } catch (error) {
    return { records, error };
  }
}

/** Byte offsets at which each record of a plain MRT buffer starts. */
function recordOffsets(data: Buffer): number[] {
  const out: number[] = [];
  for (let p = 0; p + 12 <= data.length; p += 12 + data.readUInt32BE(p + 8)) out.push(p);
  return out;
}

const quaggaPlain = readFileSync(mrtFile('quagga_bgp'));

test('reads the same records from plain, gzip and bzip2 copies (detected by magic bytes, not file name)', async (t) => {
  const dir = tempDir();
  const gz = path.join(dir, 'copy.mrt');
  writeFileSync(gz, gzipSync(quaggaPlain));
  const plain = await collect(mrtFile('quagga_bgp'));
  const fromGzip = await collect(gz);
  t.is(plain.error, null);
  t.is(fromGzip.error, null);
  t.is(plain.records.length, recordOffsets(quaggaPlain).length);
  t.deepEqual(fromGzip.records, plain.records);
  if (!haveProgram('bzip2', ['--help'])) {
    if (inCi) t.fail('bzip2 is not installed');
    else t.log('SKIPPED bzip2 part: bzip2 is not installed');
    return;
  }
  const bz = path.join(dir, 'copy.data');
  writeFileSync(bz, spawnSync('bzip2', ['-c'], { input: quaggaPlain }).stdout);
  t.deepEqual((await collect(bz)).records, plain.records);
});

test('frames records longer than 64 KiB', async (t) => {
  const { records, error } = await collect(mrtFile('bview.64k_stream_overflow.gz'));
  t.is(error, null);
  const big = records.filter((r) => r.body.length > 65536);
  t.true(big.length > 0);
  const peers = decodePeerIndexTable(records.find((r) => r.type === MrtType.TableDumpV2 && r.subtype === 1)!);
  // README: 23 RIB entries in this file, most of them inside the big record.
  const entries = records.filter((r) => r.subtype !== 1).flatMap((r) => decodeTableDumpV2Rib(r, peers));
  t.is(entries.length, 23);
});

test('frames records whose header or body straddles the reader\'s chunks', async (t) => {
  // Plain files are read in 64 KiB chunks, so every MiB is a chunk boundary: put one inside a header, one on a
  // record start and one inside a body, and check every record comes back whole and in order.
  const MIB = 1 << 20;
  const parts: Buffer[] = [];
  const bodies: Buffer[] = [];
  let at = 0;
  const add = (bodyLength: number): void => {
    const body = Buffer.alloc(bodyLength, bodies.length & 255);
    const header = Buffer.alloc(12);
    header.writeUInt32BE(1000 + bodies.length, 0);
    header.writeUInt16BE(MrtType.Bgp4mp, 4);
    header.writeUInt16BE(1, 6);
    header.writeUInt32BE(bodyLength, 8);
    parts.push(header, body);
    bodies.push(body);
    at += 12 + bodyLength;
  };
  /** Records of about 40 KiB up to `target`, the last one sized to end exactly there. */
  const fillTo = (target: number): void => {
    while (target - at > 12 + 40000 + 12) add(40000);
    add(target - at - 12);
  };
  fillTo(MIB - 5); // the next header starts 5 bytes before the boundary
  add(100);
  fillTo(2 * MIB); // a record starts exactly on the boundary
  add(0);
  add(70000); // spans the third boundary...
  fillTo(3 * MIB + 1000); // ...as does this filler, with one more record past it
  add(10);
  const file = path.join(tempDir(), 'straddling.mrt');
  writeFileSync(file, Buffer.concat(parts));
  const { records, error } = await collect(file);
  t.is(error, null);
  t.is(records.length, bodies.length);
  t.true(records.every((r, i) => r.timestamp === 1000 + i && r.body.equals(bodies[i]!)));
});

test('reads the microseconds of BGP4MP_ET records and strips them from the body', async (t) => {
  let first: MrtRecord | undefined;
  for await (const r of readMrtRecords(mrtFile('updates.et-header.2015.gz'))) {
    first = r;
    break;
  }
  t.is(first!.type, MrtType.Bgp4mpEt);
  // bgpdump -m prints this record as BGP4MP_ET|1445565678.509481|STATE|...
  t.is(first!.timestamp, 1445565678);
  t.is(first!.microseconds, 509481);
  // A STATE_CHANGE_AS4 over IPv4: 4+4+2+2+4+4+2+2 bytes once the microseconds are gone.
  t.is(first!.body.length, 24);
});

test('a truncated plain file throws MrtError naming how many records were read, after yielding them', async (t) => {
  const offsets = recordOffsets(quaggaPlain);
  const cutAt = offsets[10]! + 20; // inside the 11th record
  const file = path.join(tempDir(), 'truncated');
  writeFileSync(file, quaggaPlain.subarray(0, cutAt));
  const { records, error } = await collect(file);
  t.true(error instanceof MrtError);
  const e = error as MrtError;
  t.is(records.length, 10);
  t.is(e.recordsRead, 10);
  t.regex(e.message, /truncated/);
  t.regex(e.message, /after 10 records/);
  // what was read stays usable
  t.deepEqual(records[9]!.body, quaggaPlain.subarray(offsets[9]! + 12, offsets[10]!));
});

test('a truncated gzip file throws MrtError naming how many records were read, after yielding them', async (t) => {
  const gz = readFileSync(mrtFile('updates.20160811.1600.gz'));
  const file = path.join(tempDir(), 'truncated.gz');
  writeFileSync(file, gz.subarray(0, gz.length >> 1));
  const { records, error } = await collect(file);
  t.true(error instanceof MrtError);
  const e = error as MrtError;
  t.true(records.length > 1000);
  t.is(e.recordsRead, records.length);
  t.true(e.message.includes(`after ${records.length} records`));
  t.regex(e.message, /gzip/);
  // every yielded record is whole: it matches the same record of the intact file
  const whole = gunzipSync(gz);
  const offsets = recordOffsets(whole);
  const last = records.length - 1;
  t.is(records[last]!.body.length, whole.readUInt32BE(offsets[last]! + 8) - (records[last]!.type === 17 ? 4 : 0));
  // Every whole record the truncated input holds, not fewer (the count once depended on timing).
  const inflated = gunzipSync(gz.subarray(0, gz.length >> 1), { finishFlush: constants.Z_SYNC_FLUSH });
  const whole_ = recordOffsets(inflated).filter((o) => o + 12 + inflated.readUInt32BE(o + 8) <= inflated.length);
  t.is(records.length, whole_.length);
});

test('a gzip file is read no faster than it is consumed: the compressed bytes do not pile up either', async (t) => {
  // 16 MiB that does not compress, so the compressed file is as big as what it inflates to.
  const raw = Buffer.alloc(16 << 20);
  for (let i = 0; i < raw.length; i += 4) raw.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
  const file = path.join(tempDir(), 'incompressible.gz');
  writeFileSync(file, gzipSync(raw, { level: 1 }));
  const stream = await openMrtStream(file);
  t.teardown(() => stream.destroy());
  const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
  stream.pause();
  t.true(first.length > 0);
  await new Promise((r) => setTimeout(r, 300));
  t.true(stream.compressedBytesRead < 4 << 20, `${stream.compressedBytesRead} compressed bytes read ahead of a paused reader`);
  let total = first.length;
  stream.resume();
  for await (const chunk of stream as AsyncIterable<Buffer>) total += chunk.length;
  t.is(total, raw.length);
  t.is(stream.fault, null);
});

test('a truncated bzip2 file throws MrtError naming how many records were read', async (t) => {
  const file = path.join(tempDir(), 'truncated.bz2');
  const bz = readFileSync(mrtFile('local_only-updates.bz2'));
  writeFileSync(file, bz.subarray(0, bz.length - 300));
  const { records, error } = await collect(file);
  t.true(error instanceof MrtError);
  t.is((error as MrtError).recordsRead, records.length);
  t.regex((error as MrtError).message, /bzip2 data truncated or corrupt .* after \d+ records/);
});

test('a garbled record header throws MrtError naming how many records were read, after yielding them', async (t) => {
  const offsets = recordOffsets(quaggaPlain);
  const garbled = Buffer.from(quaggaPlain);
  garbled.writeUInt16BE(0xabcd, offsets[5]! + 4); // type of the 6th record
  const file = path.join(tempDir(), 'garbled');
  writeFileSync(file, garbled);
  const { records, error } = await collect(file);
  t.true(error instanceof MrtError);
  t.is(records.length, 5);
  t.is((error as MrtError).recordsRead, 5);
  t.regex((error as MrtError).message, /garbled .*unknown MRT type 43981 .*after 5 records/);
});

test('a garbled length field is refused instead of buffering the rest of the file', async (t) => {
  const offsets = recordOffsets(quaggaPlain);
  const garbled = Buffer.from(quaggaPlain);
  garbled.writeUInt32BE(0xfffffff0, offsets[3]! + 8);
  const file = path.join(tempDir(), 'garbled-length');
  writeFileSync(file, garbled);
  const { records, error } = await collect(file);
  t.true(error instanceof MrtError);
  t.is(records.length, 3);
  t.regex((error as MrtError).message, /record length 4294967280 over the limit/);
});

test('a missing file is an MrtError that read nothing', async (t) => {
  const { records, error } = await collect(path.join(tempDir(), 'nope'));
  t.is(records.length, 0);
  t.true(error instanceof MrtError);
  t.is((error as MrtError).recordsRead, 0);
});
