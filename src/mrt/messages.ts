import { decodeBgp4mp, isBgp4mpMessageOrState } from './bgp4mp.js';
import { MrtError, mrtErrorAtRecord } from './errors.js';
import { readMrtRecordBatches } from './reader.js';

/** One BGP message of a BGP4MP file, copied into one contiguous arena (for benchmarks). */
export interface LoadedBgpMessage {
  /** The whole BGP message with its 19-byte header; the UPDATE body is message[19..]. */
  message: Buffer;
  /** BGP message type (message[18]): 2 UPDATE, 1 OPEN, ... */
  type: number;
  /** AS_PATH/AGGREGATOR carry 4-octet AS numbers (the record was an _AS4 subtype). */
  fourOctetAs: boolean;
  /** NLRI carry ADD-PATH path identifiers (an _ADDPATH subtype). */
  addPath: boolean;
  /** Address family of the session (of the peer address). */
  afi: number;
  peerAs: number;
  timestamp: number;
}

export interface LoadedMessages {
  messages: LoadedBgpMessage[];
  /** Sum of the message lengths (headers included). */
  bytes: number;
  /** The arena all `message` buffers are views of. */
  arena: Buffer;
}

/**
 * Loads every BGP message of a BGP4MP / BGP4MP_ET file into memory, so a benchmark can time the decoder alone.
 * With `updatesOnly` (default true) only UPDATE messages are kept. Messages are copied back to back into one
 * arena so that they sit together in memory like a socket's receive buffer.
 */
export async function loadMrtMessages(
  path: string,
  options: { updatesOnly?: boolean } = {},
): Promise<LoadedMessages> {
  const updatesOnly = options.updatesOnly ?? true;
  const found: { rec: ReturnType<typeof decodeBgp4mp>; timestamp: number }[] = [];
  let bytes = 0;
  let recordsRead = 0;
  for await (const batch of readMrtRecordBatches(path)) {
    for (const record of batch) {
      recordsRead++;
      if (!isBgp4mpMessageOrState(record)) continue;
      let rec: ReturnType<typeof decodeBgp4mp>;
      try {
        rec = decodeBgp4mp(record);
      } catch (err) {
        // The decoder does not know where it is: say which record, and how many were read before it.
        if (err instanceof MrtError) throw mrtErrorAtRecord(err, path, recordsRead);
        throw err;
      }
      const m = rec.message;
      if (m === undefined || m.length < 19) continue;
      if (updatesOnly && m[18] !== 2) continue;
      found.push({ rec, timestamp: record.timestamp });
      bytes += m.length;
    }
  }
  const arena = Buffer.allocUnsafe(bytes);
  const messages: LoadedBgpMessage[] = [];
  let at = 0;
  for (const { rec, timestamp } of found) {
    const m = rec.message!;
    m.copy(arena, at);
    messages.push({
      message: arena.subarray(at, at + m.length),
      type: m[18]!,
      fourOctetAs: rec.fourOctetAs,
      addPath: rec.addPath,
      afi: rec.afi,
      peerAs: rec.peerAs,
      timestamp,
    });
    at += m.length;
  }
  return { messages, bytes, arena };
}
