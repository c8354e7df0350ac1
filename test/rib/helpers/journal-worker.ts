// A replica in a worker thread, as the DNS workers will hold one: chunks of a RibJournal arrive over a MessagePort
// (transferred ArrayBuffers) and are applied to the worker's own RIB; lookups posted to the same port are answered
// from it, after every chunk sent before them (a port delivers in order).
import { workerData, type MessagePort } from 'node:worker_threads';
import { createRib, RibReplica } from '../../../src/rib/index.js';
import { lookupFingerprint, neighborsFingerprint, totalsFingerprint } from './journal-compare.js';

export interface LookupRequest {
  addresses: string[];
  /** Neighbor addresses: one view of each is looked up too. */
  views: string[];
}

export interface LookupReply {
  answers?: string[];
  neighbors?: string;
  totals?: string;
  synced?: boolean;
  chunks?: number;
  error?: string;
}

const port = (workerData as { port: MessagePort }).port;
const { writer, reader } = createRib({ sizing: 'small' });
const replica = new RibReplica(writer);
let failure: string | null = null;

port.on('message', (message: ArrayBuffer | LookupRequest) => {
  if (message instanceof ArrayBuffer) {
    try {
      replica.apply(message);
    } catch (err) {
      failure ??= String(err);
    }
    return;
  }
  if (failure !== null) {
    port.postMessage({ error: failure } satisfies LookupReply);
    return;
  }
  const views = message.views.map((address) => reader.view({ neighbors: [address] }));
  port.postMessage({
    answers: message.addresses.map((a) => lookupFingerprint(reader, a, views)),
    neighbors: neighborsFingerprint(reader),
    totals: totalsFingerprint(reader),
    synced: replica.synced,
    chunks: replica.chunks,
  } satisfies LookupReply);
});
