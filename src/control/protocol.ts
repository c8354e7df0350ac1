// The control socket protocol: one JSON object a line each way (newline-delimited JSON over a unix socket).
//
// Requests:  {"command":"neighbors"}
//            {"command":"routes","target":"192.0.2.7" | "192.0.2.0/24"}
//            {"command":"route-refresh","neighbor":"127.0.0.1","family":"ipv4"|"ipv6"?}
//            {"command":"shutdown","neighbor":"127.0.0.1","message":"maintenance"?}
//            {"command":"enable","neighbor":"127.0.0.1"}
//            {"command":"reload"}   (re-reads the config file; a bad file changes nothing)
//            {"command":"memory"}   (what the RIB and the process use, like `birdc show memory`)
//            {"command":"query","addresses":["192.0.2.7",...],"limit":N?}      the POP decision, one object each
//            {"command":"answers","addresses":[...],"format":"address"|"name"|"host"?}   one answer text each
//            {"command":"first-as","addresses":[...]}   the best path's first AS and prefix hash (classic CLI)
//            {"command":"explain","address":"192.0.2.7"}
//            {"command":"pops"}  {"command":"pop-drain","pop":"x"}  {"command":"pop-undrain","pop":"x"}
//            {"command":"route-server"}   the route-server fallback's state (null when none is configured)
//            {"command":"mrt-save","file":"/abs/path.mrt[.gz]"}   the RIB as an MRT TABLE_DUMP_V2 snapshot, written by
//                         the daemon (one save at a time): {file, prefixes: {ipv4, ipv6}, paths, bytes, seconds}
// Many addresses ride in one request, and requests may be pipelined (answers come back in order): batch mode
// sends what it has read of stdin as one request, so piped input is not one round trip per line.
// Responses: {"ok":true,"result":...} or {"ok":false,"error":"text"}
import type { NeighborStatus } from '../session/index.js';
import type { RouteJson } from '../rib/index.js';

export type { RouteJson };

export type ControlRequest =
  | { command: 'neighbors' }
  | { command: 'routes'; target: string }
  | { command: 'route-refresh'; neighbor: string; family?: 'ipv4' | 'ipv6' }
  | { command: 'shutdown'; neighbor: string; message?: string }
  | { command: 'enable'; neighbor: string }
  | { command: 'reload' }
  | { command: 'memory' }
  | { command: 'query'; addresses: string[]; limit?: number }
  | { command: 'answers'; addresses: string[]; format?: AnswerFormat }
  | { command: 'first-as'; addresses: string[] }
  | { command: 'explain'; address: string }
  | { command: 'pops' }
  | { command: 'pop-drain'; pop: string }
  | { command: 'pop-undrain'; pop: string }
  | { command: 'route-server' }
  | { command: 'mrt-save'; file: string };

/** `mrt-save`: what was written. */
export interface SnapshotJson {
  file: string;
  /** Distinct prefixes per family. */
  prefixes: { ipv4: number; ipv6: number };
  /** RIB entries (paths). */
  paths: number;
  /** Bytes of the file (compressed for .gz). */
  bytes: number;
  seconds: number;
}

/** What batch mode prints for an answer: the POP's address for the client's family, its name, or its host. */
export type AnswerFormat = 'address' | 'name' | 'host';

/** One decision, as `query --json` prints it. */
export interface QueryJson {
  addr: string;
  /** The POP answered (null when no POP is configured or the address is not one). */
  pop: string | null;
  /** Its address for the client's family (else its other address, else its host). */
  answer: string | null;
  /** What decided: override, first-as, self, route, preference, hash, no-route, fallback, all-down, none. */
  rule: string;
  /** The matched prefix the decision rests on, or null. */
  prefix: string | null;
  asPath: (number | number[])[] | null;
  /** ECS scope (RFC 7871) of the decision. */
  scope: number;
  /** Up POPs, closest first. */
  ranking: string[];
  /** Set instead of the rest when the text is not an address. */
  error?: string;
}

/** `first-as`: per address, the best path's first AS (0: none; -1: not an address) and a hash of its prefix. */
export interface FirstAsJson {
  firstAs: number[];
  hash: number[];
}

/** One POP as `pops --json` prints it. */
export interface PopJson {
  name: string;
  as: number;
  up: boolean;
  /** Why it is down ('sessions down', 'drained', 'down in the configuration', 'check failed: ...'). */
  down: string[];
  self: boolean;
  preference: number;
  ipv4: string | null;
  ipv6: string | null;
  host: string | null;
  /** Its tagged neighbors and whether each session is up. */
  neighbors: { address: string; up: boolean }[];
  /** The view that carries its routes (multi-view). */
  view: { neighbors: string[]; community: string | null; largeCommunity: string | null } | null;
  check: { kind: string; target: string; up: boolean; reason: string | null } | null;
  drained: boolean;
  /** When it last went up or down (ISO), and how many times it did. */
  since: string;
  transitions: number;
}

export type ControlResponse<T = unknown> = { ok: true; result: T } | { ok: false; error: string };

export type NeighborJson = NeighborStatus;

/** `memory --json`: bytes, except the counts. */
export interface MemoryJson {
  rib: {
    /** Typed arrays in use per part (the address space reserved beyond them is never touched). */
    ipv4: { prefixes: number; bytes: number };
    ipv6: { prefixes: number; bytes: number };
    attributes: { sets: number; bytes: number };
    routes: { count: number; bytes: number };
    total: number;
  };
  process: {
    /** Resident set size, as the kernel counts it (what `ps` shows). */
    rss: number;
    heapUsed: number;
    heapTotal: number;
    /** Memory of ArrayBuffers, reserved (the RIB's untouched reserve included). */
    arrayBuffers: number;
  };
}

export const DEFAULT_SOCKET_PATHS = ['/run/supersparrow.sock', '/tmp/supersparrow.sock'] as const;
