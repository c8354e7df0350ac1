// The face of src/mrt: reading MRT (RFC 6396) routing dumps, and writing TABLE_DUMP_V2 ones. Other folders import
// only this file.

export { MrtType, TableDumpSubtype, TableDumpV2Subtype, Bgp4mpSubtype, BGP_STATE_NAMES } from './constants.js';
export { MrtError } from './errors.js';
export {
  readMrtRecords,
  readMrtRecordBatches,
  openMrtStream,
  detectCompression,
  type MrtRecord,
  type ReadMrtOptions,
  type Compression,
} from './reader.js';
export { decodeBgp4mp, isBgp4mp, isBgp4mpMessageOrState, type Bgp4mpRecord } from './bgp4mp.js';
export {
  decodePeerIndexTable,
  decodeTableDumpV2Rib,
  decodeTableDumpV1,
  decodeBgp4mpEntry,
  readMrtRibEntries,
  type PeerIndexTable,
  type MrtPeer,
  type MrtRibEntry,
} from './table-dump.js';
export { loadMrtMessages, type LoadedBgpMessage, type LoadedMessages } from './messages.js';
export { bgpdumpAddress, bgpdumpIpv6 } from './address.js';
export { BgpdumpFormatter, dumpMrtFile, bgpdumpAsPath, bgpdumpCommunities, type DumpStats } from './bgpdump-format.js';
export {
  TableDumpV2Writer,
  encodeRibEntryAttributes,
  type TableDumpPeer,
  type ChunkSink,
  type TableDumpWriterOptions,
} from './table-dump-writer.js';
