/**
 * A fault in an MRT file: truncated, garbled, or not MRT at all. `recordsRead` counts the records that were read
 * (and yielded) whole before the fault, so a caller knows what it already has is usable. The per-record decoders
 * (decodeBgp4mp, decodeTableDumpV2Rib, ...) do not know the count and throw with -1; the readers above them
 * (readMrtRibEntries, dumpMrtFile) rethrow with the count and the record number.
 */
export class MrtError extends Error {
  override readonly name = 'MrtError';
  constructor(
    message: string,
    readonly recordsRead: number,
    /** Byte offset in the decompressed stream where the fault was found, when known. */
    readonly offset = -1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A per-record decoder's MrtError located by the reader above it: the file, the record's number (from 1) and the
 * count of records read whole before it.
 */
export function mrtErrorAtRecord(err: MrtError, path: string, record: number): MrtError {
  return new MrtError(`${path}: record ${record}: ${err.message}`, record - 1, -1, { cause: err });
}
