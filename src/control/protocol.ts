// The control socket protocol: one JSON object a line each way (newline-delimited JSON over a unix socket).
//
// Requests:  {"command":"neighbors"}
//            {"command":"routes","target":"192.0.2.7" | "192.0.2.0/24"}
//            {"command":"route-refresh","neighbor":"127.0.0.1","family":"ipv4"|"ipv6"?}
//            {"command":"shutdown","neighbor":"127.0.0.1","message":"maintenance"?}
//            {"command":"enable","neighbor":"127.0.0.1"}
//            {"command":"reload"}   (re-reads the config file; a bad file changes nothing)
//            {"command":"memory"}   (what the RIB and the process use, like `birdc show memory`)
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
  | { command: 'memory' };

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
