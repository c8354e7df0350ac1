// Damaged MRT files: cut at every record boundary and inside every record's header and body, gzip and bzip2 cut
// short, garbage for a header, impossible lengths, and bytes garbled at random (fixed seeds). Every reader (the
// framing, the bgpdump formatter, the RIB-entry reader, the replay loader) and `supersparrow mrt dump` either reads
// the file or stops with an MrtError naming how many records it read; none throws anything else or hangs.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MrtError, dumpMrtFile, loadMrtMessages, readMrtRecords, readMrtRibEntries } from '../../src/mrt/index.js';
import { seededRandom } from '../../src/util/index.js';
import { loopbackAddress, Supersparrow, waitFor } from '../helpers/peers/index.js';
import { cliPath, mrtFile, tempDir } from './helpers.js';

/** Byte offsets at which each record of a plain MRT buffer starts, and the end of the last whole one. */
function recordOffsets(data: Buffer): number[] {
  const out: number[] = [];
  let p = 0;
  for (; p + 12 <= data.length && p + 12 + data.readUInt32BE(p + 8) <= data.length; p += 12 + data.readUInt32BE(p + 8)) out.push(p);
  out.push(p);
  return out;
}

type Reader = 'records' | 'dump' | 'rib-entries' | 'messages';
const READERS: readonly Reader[] = ['records', 'dump', 'rib-entries', 'messages'];

/** What one reader made of a file: how many records it got, or the error it stopped with. */
interface Outcome {
  records: number;
  error: unknown;
}

const HANG_MS = 20_000;

async function readWith(reader: Reader, file: string): Promise<Outcome> {
  let records = 0;
  const work = (async () => {
    switch (reader) {
      case 'records':
        for await (const _ of readMrtRecords(file)) records++;
        break;
      case 'dump':
        records = (await dumpMrtFile(file, (_chunk, release) => release())).records;
        break;
      case 'rib-entries':
        for await (const _ of readMrtRibEntries(file)) records++;
        break;
      case 'messages':
        records = (await loadMrtMessages(file, { updatesOnly: false })).messages.length;
        break;
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${reader} hung on ${file}`)), HANG_MS);
  });
  try {
    await Promise.race([work, hang]);
    return { records, error: null };
  } catch (error) {
    return { records, error };
  } finally {
    clearTimeout(timer);
  }
}

/** The problem with an outcome, or null: it read the file, or it stopped with an MrtError that counts records. */
function badOutcome(o: Outcome): string | null {
  if (o.error === null) return null;
  if (!(o.error instanceof MrtError)) return `${(o.error as Error)?.name}: ${(o.error as Error)?.message ?? String(o.error)}\n${(o.error as Error)?.stack ?? ''}`;
  if (!Number.isInteger(o.error.recordsRead) || o.error.recordsRead < 0) return `MrtError without a count: ${o.error.message}`;
  if (!/after \d+ records|record \d+:/.test(o.error.message)) return `MrtError whose message gives no count: ${o.error.message}`;
  return null;
}

const PLAIN = ['quagga_bgp', 'quagga_rib', 'openbgpd_rib_table', 'openbgpd_rib_table-v2', 'openbgpd_rib_table-mp', 'bird6_bgp', 'bird-mrtdump_rib'];

test('a plain file cut anywhere: at a boundary it is a shorter file; inside a record, an MrtError with the count of whole records', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let cases = 0;
  for (const name of PLAIN) {
    const data = readFileSync(mrtFile(name));
    const offsets = recordOffsets(data);
    t.is(offsets[offsets.length - 1], data.length, `${name} is whole`);
    const wholeRecords = offsets.length - 1;
    // Each boundary, and cuts inside each record: in its 12-byte header (1, 8, 11) and its body (first byte, middle,
    // last byte).
    const cuts = new Set<number>();
    for (let i = 0; i < wholeRecords; i++) {
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      for (const at of [start, start + 1, start + 8, start + 11, start + 12, (start + 12 + end) >> 1, end - 1]) {
        if (at >= start && at < end) cuts.add(at);
      }
    }
    const file = path.join(dir, name);
    for (const at of [...cuts].sort((a, b) => a - b)) {
      cases++;
      writeFileSync(file, data.subarray(0, at));
      const before = offsets.filter((o, i) => i < wholeRecords && offsets[i + 1]! <= at).length;
      const atBoundary = offsets.includes(at);
      const o = await readWith('records', file);
      t.is(o.records, before, `${name} cut at ${at}: the whole records before the cut are yielded`);
      if (atBoundary) {
        t.is(o.error, null, `${name} cut at boundary ${at}: no error`);
      } else {
        t.true(o.error instanceof MrtError, `${name} cut at ${at}: ${String(o.error)}`);
        const e = o.error as MrtError;
        t.is(e.recordsRead, before);
        t.regex(e.message, new RegExp(`truncated.*after ${before} records`), `${name} cut at ${at}`);
      }
      // The readers above the framing stop the same way (they may stop earlier, at a record they cannot decode).
      for (const reader of READERS.slice(1)) {
        const bad = badOutcome(await readWith(reader, file));
        if (bad !== null) t.fail(`${reader} on ${name} cut at ${at}: ${bad}`);
      }
    }
  }
  t.log(`${cases} cuts of ${PLAIN.length} files, each read by ${READERS.length} readers`);
  t.true(cases > 400);
});

test('gzip and bzip2 cut short at many places: an MrtError naming the compression and the count, never a hang', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sources = ['updates.long_withdrawal.gz', 'bview.64k_stream_overflow.gz', 'bview.ipv4_unicast_add_path.gz', 'local_only-updates.bz2'];
  let cases = 0;
  for (const name of sources) {
    const data = readFileSync(mrtFile(name));
    const isGzip = name.endsWith('.gz');
    const file = path.join(dir, name);
    // 24 cuts spread over the file, the first ones inside the compression header.
    const cuts = new Set<number>([1, 2, 3, 5, 10]);
    for (let i = 1; i < 20; i++) cuts.add(Math.floor((data.length * i) / 20));
    cuts.add(data.length - 1);
    for (const at of cuts) {
      cases++;
      writeFileSync(file, data.subarray(0, at));
      for (const reader of READERS) {
        const o = await readWith(reader, file);
        const bad = badOutcome(o);
        if (bad !== null) {
          t.fail(`${reader} on ${name} cut at ${at}: ${bad}`);
          continue;
        }
        if (reader !== 'records') continue;
        // A compressed stream cut short is always an error (its end is missing), with the count of whole records.
        t.true(o.error instanceof MrtError, `${name} cut at ${at}/${data.length}: ${String(o.error)}`);
        const e = o.error as MrtError;
        t.is(e.recordsRead, o.records);
        t.regex(e.message, new RegExp(`after ${o.records} records`));
        // Cut inside the first bytes, the magic may be gone: then it is read as plain, and garbage.
        if (at >= 10) t.regex(e.message, isGzip ? /gzip/ : /bzip2/, `${name} cut at ${at}`);
      }
    }
  }
  t.log(`${cases} cuts of compressed files`);
});

test('garbage for a header, impossible lengths and random bytes: an MrtError that read nothing', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const random = seededRandom(1309);
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const header = (type: number, subtype: number, length: number) => {
    const h = Buffer.alloc(12);
    h.writeUInt32BE(1_700_000_000, 0);
    h.writeUInt16BE(type, 4);
    h.writeUInt16BE(subtype, 6);
    h.writeUInt32BE(length, 8);
    return h;
  };
  const cases: Array<[string, Buffer]> = [
    ['a text file', Buffer.from('this is not an MRT file\nbut a README someone renamed\n')],
    ['a JSON file', Buffer.from(JSON.stringify({ routes: [1, 2, 3] }))],
    ['eleven bytes', header(13, 1, 0).subarray(0, 11)],
    ['an unknown type', Buffer.concat([header(999, 1, 4), Buffer.alloc(4)])],
    ['a length past the end', Buffer.concat([header(13, 1, 1000), Buffer.alloc(10)])],
    ['a length of 4 GiB', Buffer.concat([header(16, 4, 0xffffffff), Buffer.alloc(64)])],
    ['gzip magic, then garbage', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), randomBytes(200)])],
    ['bzip2 magic, then garbage', Buffer.concat([Buffer.from('BZh9'), randomBytes(200)])],
    ['gzip of garbage', gzipSync(randomBytes(500))],
    ['gzip of a text file', gzipSync(Buffer.from('not MRT either\n'.repeat(50)))],
  ];
  for (let i = 0; i < 20; i++) cases.push([`random bytes #${i} (seed 1309)`, randomBytes(1 + Math.floor(random() * 3000))]);
  for (const [what, bytes] of cases) {
    const file = path.join(dir, 'garbage');
    writeFileSync(file, bytes);
    for (const reader of READERS) {
      const o = await readWith(reader, file);
      const bad = badOutcome(o);
      if (bad !== null) {
        t.fail(`${reader} on ${what}: ${bad}`);
        continue;
      }
      // Random bytes may happen to frame a record or two: whatever was read is counted.
      if (reader === 'records') {
        t.true(o.error instanceof MrtError, `${what}: ${o.records} records, no error`);
        t.is((o.error as MrtError).recordsRead, o.records, what);
      }
    }
  }
  // An empty file holds no record, and that is no fault.
  const empty = path.join(dir, 'empty');
  writeFileSync(empty, '');
  for (const reader of READERS) t.deepEqual(await readWith(reader, empty), { records: 0, error: null }, reader);
});

test('bytes garbled at random in real files (fixed seed): every reader reads on or stops with a counted MrtError', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sources = [...PLAIN, 'openbgpd_bgp', 'bird-mrtdump_bgp', 'bird6-mrtdump_rib'].map((n) => ({ name: n, data: readFileSync(mrtFile(n)) }));
  sources.push({ name: 'bview.ipv6_unicast_add_path (inflated)', data: gunzipSync(readFileSync(mrtFile('bview.ipv6_unicast_add_path.gz'))) });
  const seed = 4242;
  const random = seededRandom(seed);
  const runs = 300;
  const tally = { read: 0, mrtError: 0 };
  for (let run = 0; run < runs; run++) {
    const source = sources[run % sources.length]!;
    const bytes = Buffer.from(source.data);
    const offsets = recordOffsets(bytes);
    // Structure-aware: half the runs hit record headers (type, subtype, length), the rest any byte of the bodies.
    const flips = 1 + Math.floor(random() * 4);
    const touched: string[] = [];
    for (let f = 0; f < flips; f++) {
      let at: number;
      if (run % 2 === 0) {
        const record = offsets[Math.floor(random() * (offsets.length - 1))]!;
        at = record + 4 + Math.floor(random() * 8);
      } else {
        at = Math.floor(random() * bytes.length);
      }
      const value = random() < 0.3 ? [0x00, 0xff, 0x80, 0x7f][Math.floor(random() * 4)]! : Math.floor(random() * 256);
      touched.push(`${at}:${bytes[at]!.toString(16)}->${value.toString(16)}`);
      bytes[at] = value;
    }
    const file = path.join(dir, `garbled-${run}`);
    writeFileSync(file, bytes);
    for (const reader of READERS) {
      const o = await readWith(reader, file);
      const bad = badOutcome(o);
      if (bad !== null) t.fail(`seed ${seed} run ${run}: ${reader} on ${source.name} with ${touched.join(' ')}: ${bad}`);
      else if (o.error === null) tally.read++;
      else tally.mrtError++;
    }
    rmSync(file);
  }
  t.log(`${runs} garbled files x ${READERS.length} readers: ${tally.read} read, ${tally.mrtError} MrtErrors`);
  t.true(tally.mrtError > 0 && tally.read > 0, 'both outcomes occur: the garbling reaches what the readers check');
});

/** `supersparrow mrt dump FILE`: its exit status, stderr, and whether it had to be killed. */
function mrtDump(file: string): Promise<{ code: number | null; stderr: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, 'mrt', 'dump', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, killed });
    });
  });
}

test('mrt dump of damaged files: exit 1 and one clear line with the count, no stack trace', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const quagga = readFileSync(mrtFile('quagga_bgp'));
  const offsets = recordOffsets(quagga);
  const gz = readFileSync(mrtFile('updates.long_withdrawal.gz'));
  const bz = readFileSync(mrtFile('local_only-updates.bz2'));
  const garbledType = Buffer.from(quagga);
  garbledType.writeUInt16BE(0x4242, offsets[7]! + 4);
  const files: Array<[string, Buffer, RegExp]> = [
    ['truncated', quagga.subarray(0, offsets[12]! + 30), /truncated .*after 12 records/],
    ['garbled-type', garbledType, /unknown MRT type 16962 .*after 7 records/],
    ['garbage', Buffer.from('not MRT at all, just text\n'.repeat(4)), /after 0 records/],
    ['truncated.gz', gz.subarray(0, gz.length >> 1), /gzip.*after \d+ records/],
    ['truncated.bz2', bz.subarray(0, bz.length - 200), /bzip2.*after \d+ records/],
  ];
  await Promise.all(files.map(async ([name, bytes, pattern]) => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    const r = await mrtDump(file);
    t.false(r.killed, `${name}: it ended by itself`);
    t.is(r.code, 1, `${name}: ${r.stderr}`);
    t.regex(r.stderr, /^supersparrow mrt dump: /, name);
    t.regex(r.stderr, pattern, name);
    t.notRegex(r.stderr, /\n\s+at /, `${name}: no stack trace`);
    t.true(r.stderr.includes(file), `${name}: the file is named`);
  }));
});

test('serve --warm-start from a damaged snapshot logs the file and the count, starts cold and answers', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rib = gunzipSync(readFileSync(mrtFile('bview.ipv4_unicast_add_path.gz')));
  const offsets = recordOffsets(rib);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['garbage.mrt', Buffer.from('garbage, not a snapshot\n'.repeat(10)), /failed after 0 RIB entries: garbled MRT file/],
    ['truncated.mrt.gz', gzipSync(rib).subarray(0, 300), /failed after \d+ RIB entries: .*gzip/],
    ['cut.mrt', rib.subarray(0, offsets[5]! + 40), /failed after \d+ RIB entries: truncated MRT file/],
  ];
  for (const [name, bytes, pattern] of cases) {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    const address = loopbackAddress(110);
    const ss = new Supersparrow({
      localAs: 65110, address, listenPort: 0, logLevel: 'info',
      neighbors: [{ address: loopbackAddress(110), remoteAs: 65110, port: 179, passive: true }],
      serveArgs: ['--warm-start', file],
    });
    t.teardown(() => ss.stop());
    await ss.start(); // it answers on its control socket: it did not die
    const error = await waitFor(`${name}: the warm-start error in the log`, async () => {
      const found = (await ss.logRecords()).find((r) => typeof r.msg === 'string' && /warm start from/.test(r.msg) && (r.level as number) >= 50);
      if (found) return found.msg as string;
      throw new Error('not yet');
    }, 15_000, 200);
    t.true(error.includes(file), `${name}: ${error}`);
    t.regex(error, pattern, name);
    t.regex(error, /starting cold$/, name);
    t.is((await ss.cli(['neighbors', '--json'])).code, 0, `${name}: still answering`);
    await ss.stop();
  }
});
