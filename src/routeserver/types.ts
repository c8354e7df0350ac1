// What the route-server adapter reads off a console, independent of which console printed it.

/**
 * The console kinds: 'zebra', 'quagga' and 'frr' all mean a bgpd vty (port 2605) and are told apart by what the
 * console says of itself (banner, `show version`); 'cisco' is an IOS / IOS-XE console (port 23).
 */
export type RouteServerKind = 'zebra' | 'quagga' | 'frr' | 'cisco';

/**
 * The output generation a console was detected as. It picks the commands and the parser:
 * - 'zebra': GNU Zebra 0.8x/0.9x (`show ip bgp`, `show ipv6 bgp`; `table Default-IP-Routing-Table`).
 * - 'quagga': Quagga (same output as Zebra; `show bgp ipv6`).
 * - 'frr-text': FRR without JSON use (7+: `table default`, `best (reason)`; 8+: `, version N`).
 * - 'frr-json': FRR with `show bgp ipv4 unicast ADDR json`.
 * - 'cisco': IOS / IOS-XE (`Refresh Epoch`, `rx pathid`, RPKI state lines, `show bgp ipv6 unicast`).
 */
export type Dialect = 'zebra' | 'quagga' | 'frr-text' | 'frr-json' | 'cisco';

/** One AS_PATH segment as the console prints it: a sequence, or an AS_SET `{a,b}`; confederation `(a b)`, `[a,b]`. */
export interface ConsoleAsSegment {
  type: 'sequence' | 'set' | 'confed-sequence' | 'confed-set';
  asns: number[];
}

/** One path of a `show ip bgp ADDR` entry. */
export interface ConsolePath {
  /** [] for a locally originated path (`Local`) or an iBGP path with an empty AS_PATH. */
  asPath: ConsoleAsSegment[];
  /** The next hop as printed ("192.168.192.1", "2001:db8::1"); null when the console shows none. */
  nextHop: string | null;
  /** The neighbor the path was learned from ("192.168.192.1"), null for local paths. */
  from: string | null;
  origin: 'igp' | 'egp' | 'incomplete' | null;
  /** MED (`metric N`); null when not printed. */
  med: number | null;
  /** LOCAL_PREF; null when not printed (FRR 8+ prints it only when set). */
  localPref: number | null;
  /** Standard communities as uint32 (high 16 bits the AS); well-known names (no-export, ...) as their values. */
  communities: number[];
  /** Large communities as [global, local1, local2]. */
  largeCommunities: Array<[number, number, number]>;
  /** The console marked this path best. */
  best: boolean;
  valid: boolean;
  /** Locally originated (`Local`, weight 32768, next hop 0.0.0.0/::). */
  local: boolean;
  /** Learned over iBGP (`internal`). */
  internal: boolean;
}

/** A `show ip bgp ADDR` answer: the longest matching prefix and its paths. */
export interface ConsoleRoute {
  /** The matched prefix, canonical text ("192.168.193.0/24", "2001:db8::/32"). */
  prefix: string;
  paths: ConsolePath[];
  /** Index into paths of the best path; -1 when the console has no best path (`no best path`). */
  best: number;
}

/** Why a console exchange failed. */
export type RouteServerErrorCode =
  /** The TCP connection could not be made. */
  | 'connect'
  /** The console rejected the password (or asked for one when none was configured). */
  | 'auth'
  /** The console closed the connection. */
  | 'closed'
  /** No answer (or no prompt) within the timeout. */
  | 'timeout'
  /** Output that none of the parsers understand, or a console that is not the kind configured. */
  | 'garbled'
  /** The console refused the command (`% Unknown command`, `% Invalid input`). */
  | 'command'
  /** The adapter was closed. */
  | 'stopped';

export class RouteServerError extends Error {
  constructor(
    readonly code: RouteServerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RouteServerError';
  }
}
