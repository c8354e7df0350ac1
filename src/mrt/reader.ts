import { createReadStream, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Gunzip, constants, createGunzip } from 'node:zlib';
import { MRT_HEADER_LENGTH, MrtType } from './constants.js';
import { MrtError } from './errors.js';

/** One MRT record (RFC 6396 2): the common header, and the body that follows it. */
export interface MrtRecord {
  /** Seconds since the Unix epoch. */
  timestamp: number;
  /** Microseconds of the extended-timestamp (_ET) types; 0 otherwise. */
  microseconds: number;
  type: number;
  subtype: number;
  /**
   * The record's message field, without the _ET microseconds. A view into the stream's chunk (no copy): it stays
   * valid for as long as the caller keeps it, since chunks are never reused.
   */
  body: Buffer;
}

export type Compression = 'none' | 'gzip' | 'bzip2';

export interface ReadMrtOptions {
  /** A record longer than this is taken for garbage (a corrupt length field), not buffered. Default 64 MiB. */
  maxRecordLength?: number;
}

const DEFAULT_MAX_RECORD_LENGTH = 64 * 1024 * 1024;
// 64 KiB chunks, read and inflated. Each chunk is garbage once framed, and its memory returns only at V8's next
// collection: on a 13.5 MB dump, 1 MiB chunks of the plain file made `mrt dump` ~55 MB larger (and no faster),
// 256 KiB gunzip chunks ~12 MB larger.
const READ_CHUNK = 1 << 16;
const GUNZIP_CHUNK = 1 << 16;

/** Types RFC 6396 defines (including the deprecated ones); anything else in a header means the file is garbled. */
const KNOWN_TYPES = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 32, 33, 48, 49]);

/** The extended-timestamp types carry 4 bytes of microseconds at the start of the message field (RFC 6396 3). */
function hasMicroseconds(type: number): boolean {
  return type === MrtType.Bgp4mpEt || type === 33 || type === 49;
}

/** Looks at the first bytes: gzip is 1f 8b, bzip2 is "BZh"; anything else is read as plain MRT. */
export async function detectCompression(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const magic = Buffer.alloc(3);
    const { bytesRead } = await fh.read(magic, 0, 3, 0);
    if (bytesRead >= 2 && magic[0] === 0x1f && magic[1] === 0x8b) return 'gzip';
    if (bytesRead === 3 && magic[0] === 0x42 && magic[1] === 0x5a && magic[2] === 0x68) return 'bzip2';
    return 'none';
  } finally {
    await fh.close();
  }
}

/**
 * The decompressed bytes of an MRT file, as a stream of chunks. A decompression fault (a truncated or corrupt
 * gzip/bzip2 file) does not destroy the stream: every byte inflated before the fault is delivered first, then the
 * stream ends and `fault` says what went wrong. (Destroying it would drop whatever inflated data sat in the
 * buffers, an amount that depends on timing, and a truncated dump would print a different number of lines from
 * run to run.) An error of the file itself destroys the stream as usual.
 */
export interface MrtByteStream extends Readable {
  fault: Error | null;
  /** Bytes read from the file so far (compressed, for gzip and bzip2): for progress, and to show back-pressure. */
  readonly compressedBytesRead: number;
}

export async function openMrtStream(path: string, known?: Compression): Promise<MrtByteStream> {
  const compression = known ?? (await detectCompression(path));
  const file = createReadStream(path, { highWaterMark: READ_CHUNK });
  if (compression === 'none') return byteStream(file, file);
  let decoder: NodeJS.ReadWriteStream;
  if (compression === 'gzip') {
    // createGunzip reads concatenated gzip members too, as `cat a.gz b.gz` files are common in archives.
    decoder = createGunzip({ chunkSize: GUNZIP_CHUNK });
  } else {
    // Loaded on demand: most files are gzip, and start-up time counts for short dumps.
    const { default: unbzip2 } = await import('unbzip2-stream');
    decoder = unbzip2();
  }
  // The decoder flows into `out`; the file is paused while either the decoder's input or `out` is full, so neither
  // the compressed nor the inflated bytes pile up. Up to 1 MiB ahead: zlib inflates on the thread pool while the
  // caller works on the last chunk.
  let decoderFull = false;
  let outFull = false;
  const out = byteStream(
    new Readable({
      highWaterMark: 16 * GUNZIP_CHUNK,
      read() {
        outFull = false;
        if (!decoderFull && file.isPaused()) file.resume();
      },
      destroy(err, cb) {
        file.destroy();
        cb(err);
      },
    }),
    file,
  );
  decoder.on('data', (d: Buffer) => {
    if (!out.push(d)) {
      outFull = true;
      file.pause();
    }
  });
  decoder.on('drain', () => {
    decoderFull = false;
    if (!outFull && file.isPaused()) file.resume();
  });
  decoder.on('end', () => out.push(null));
  decoder.on('error', (err: Error) => {
    if (out.fault !== null || out.destroyed) return;
    out.fault = err;
    file.destroy();
    out.push(null);
  });
  file.on('data', (c) => {
    if (!decoder.write(c)) {
      decoderFull = true;
      file.pause();
    }
  });
  if (decoder instanceof Gunzip) {
    // Z_FINISH on a truncated stream fails before zlib hands out the output it still holds; a sync flush first
    // delivers every byte the input gave, and the Z_FINISH after it still reports the truncation.
    const gunzip = decoder;
    file.on('end', () => gunzip.flush(constants.Z_SYNC_FLUSH, () => gunzip.end()));
  } else {
    file.on('end', () => decoder.end());
  }
  file.on('error', (err) => out.destroy(err));
  return out;
}

function byteStream(stream: Readable, file: ReadStream): MrtByteStream {
  return Object.defineProperties(stream, {
    fault: { value: null, writable: true },
    compressedBytesRead: { get: () => file.bytesRead },
  }) as unknown as MrtByteStream;
}

/**
 * Frames MRT records out of a stream of chunks, a chunk's worth of records at a time.
 * Records inside one chunk are views of it; a record spanning chunks is joined once (records over 64 KiB work).
 * Throws MrtError on a truncated or garbled stream after yielding every whole record before the fault.
 */
export async function* readMrtRecordBatches(
  path: string,
  options: ReadMrtOptions = {},
): AsyncGenerator<MrtRecord[]> {
  const maxRecordLength = options.maxRecordLength ?? DEFAULT_MAX_RECORD_LENGTH;
  let stream: MrtByteStream;
  let compression: Compression;
  try {
    compression = await detectCompression(path);
    stream = await openMrtStream(path, compression);
  } catch (err) {
    throw new MrtError(`cannot open MRT file ${path}: ${(err as Error).message}`, 0, 0, { cause: err });
  }
  let recordsRead = 0;
  /** Bytes of the stream before `pending[0]` (for error messages). */
  let consumed = 0;
  /** Chunks (or their tails) that hold the start of an incomplete record. */
  let pending: Buffer[] = [];
  let pendingLength = 0;
  /** Bytes needed before the pending record can be framed: the header, then header + length once known. */
  let needed = MRT_HEADER_LENGTH;

  const garbled = (why: string, at: number, before: number): MrtError =>
    new MrtError(`garbled MRT file ${path}: ${why} at byte ${at}, after ${recordsRead + before} records`, recordsRead + before, at);

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const batch: MrtRecord[] = [];
      // A fault is thrown only after the whole records before it in this chunk have been yielded.
      let fault: MrtError | null = null;
      let rest: Buffer | null = chunk;
      while (rest !== null) {
        let buf: Buffer;
        if (pendingLength === 0) {
          buf = rest;
          rest = null;
        } else {
          // Join only what the pending record (or header) needs of this chunk, not the whole chunk.
          const want = needed - pendingLength;
          if (rest.length < want) {
            pending.push(rest);
            pendingLength += rest.length;
            break;
          }
          pending.push(rest.subarray(0, want));
          buf = Buffer.concat(pending, needed);
          rest = rest.length === want ? null : rest.subarray(want);
          pending = [];
          pendingLength = 0;
        }
        let pos = 0;
        const end = buf.length;
        needed = MRT_HEADER_LENGTH;
        while (end - pos >= MRT_HEADER_LENGTH) {
          const type = buf.readUInt16BE(pos + 4);
          const length = buf.readUInt32BE(pos + 8);
          if (!KNOWN_TYPES.has(type)) {
            fault = garbled(`unknown MRT type ${type}`, consumed + pos, batch.length);
            break;
          }
          if (length > maxRecordLength) {
            fault = garbled(`record length ${length} over the limit ${maxRecordLength}`, consumed + pos, batch.length);
            break;
          }
          const recordEnd = pos + MRT_HEADER_LENGTH + length;
          if (recordEnd > end) {
            needed = MRT_HEADER_LENGTH + length;
            break;
          }
          let bodyStart = pos + MRT_HEADER_LENGTH;
          let microseconds = 0;
          if (hasMicroseconds(type)) {
            if (length < 4) {
              fault = garbled(`extended-timestamp record of length ${length}`, consumed + pos, batch.length);
              break;
            }
            microseconds = buf.readUInt32BE(bodyStart);
            bodyStart += 4;
          }
          batch.push({
            timestamp: buf.readUInt32BE(pos),
            microseconds,
            type,
            subtype: buf.readUInt16BE(pos + 6),
            body: buf.subarray(bodyStart, recordEnd),
          });
          pos = recordEnd;
        }
        if (fault !== null) break;
        consumed += pos;
        if (pos < end) {
          pending.push(pos === 0 ? buf : buf.subarray(pos));
          pendingLength = end - pos;
        }
      }
      if (batch.length > 0) {
        recordsRead += batch.length;
        yield batch;
      }
      if (fault !== null) throw fault;
    }
    if (stream.fault !== null) throw stream.fault;
  } catch (err) {
    if (err instanceof MrtError) throw err;
    const msg = (err as Error).message ?? String(err);
    const what = compression === 'none' ? 'cannot read MRT file' : `${compression} data truncated or corrupt in MRT file`;
    throw new MrtError(
      `${what} ${path} after ${recordsRead} records (decompressed byte ${consumed + pendingLength}): ${msg}`,
      recordsRead,
      consumed,
      { cause: err },
    );
  } finally {
    stream.destroy();
  }
  if (pendingLength > 0) {
    throw new MrtError(
      `truncated MRT file ${path}: ${pendingLength} bytes of an incomplete record at byte ${consumed}, after ${recordsRead} records`,
      recordsRead,
      consumed,
    );
  }
}

/**
 * Every record of an MRT file (plain, gzip or bzip2), streamed. A truncated or garbled file throws MrtError after
 * the records before the fault have been yielded; its `recordsRead` says how many.
 */
export async function* readMrtRecords(path: string, options: ReadMrtOptions = {}): AsyncGenerator<MrtRecord> {
  for await (const batch of readMrtRecordBatches(path, options)) yield* batch;
}
