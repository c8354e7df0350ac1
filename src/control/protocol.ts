// The control socket protocol: one JSON object a line each way (newline-delimited JSON over a unix socket).
//
// Requests:  {"command":"neighbors"}
//            {"command":"routes","target":"192.0.2.7" | "192.0.2.0/24"}
//            {"command":"route-refresh","neighbor":"127.0.0.1","family":"ipv4"|"ipv6"?}
//            {"command":"shutdown","neighbor":"127.0.0.1","message":"maintenance"?}
//            {"command":"enable","neighbor":"127.0.0.1"}
//            {"command":"reload"}   (re-reads the config file; a bad file changes nothing)
// Responses: {"ok":true,"result":...} or {"ok":false,"error":"text"}
import type { NeighborStatus } from '../session/index.js';

export type ControlRequest =
  | { command: 'neighbors' }
  | { command: 'routes'; target: string }
  | { command: 'route-refresh'; neighbor: string; family?: 'ipv4' | 'ipv6' }
  | { command: 'shutdown'; neighbor: string; message?: string }
  | { command: 'enable'; neighbor: string }
  | { command: 'reload' };

export type ControlResponse<T = unknown> = { ok: true; result: T } | { ok: false; error: string };

/** One route as `routes --json` prints it. */
export interface RouteJson {
  prefix: string;
  /** AS_SEQUENCE members as numbers, each AS_SET as a nested array (confederation segments likewise). */
  asPath: (number | number[])[];
  nextHop: string | null;
  /** The neighbor's address the route came from. */
  neighbor: string;
  neighborAs: number | null;
  localPref: number | null;
  med: number | null;
  /** "AS:VALUE" each, well-known ones too (no names). */
  communities: string[];
  largeCommunities: string[];
  origin: 'igp' | 'egp' | 'incomplete' | null;
  atomicAggregate: boolean;
  aggregator: string | null;
  originatorId: string | null;
  clusterList: string[];
  pathId: number;
  stale: boolean;
}

export type NeighborJson = NeighborStatus;

export const DEFAULT_SOCKET_PATHS = ['/run/supersparrow.sock', '/tmp/supersparrow.sock'] as const;
