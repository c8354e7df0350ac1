
/** RFC 4271 8.2.2 states, in the order a session climbs them. */
export const enum SessionState {
  Idle = 0,
  Connect = 1,
  Active = 2,
  OpenSent = 3,
  OpenConfirm = 4,
  Established = 5,
}

export const STATE_NAMES = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'] as const;
export type StateName = (typeof STATE_NAMES)[number];

export interface MaxPrefixes {
  /** Per address family. */
  limit: number;
  warningPercent: number | null;
  /** Seconds before reconnecting after the limit closed the session; 0 = stay down until enabled again. */
  restartAfter: number;
}

/** What the session layer needs to know about one configured neighbor (the daemon maps its config to this). */
export interface NeighborOptions {
  address: string;
  remoteAs: number;
  port: number;
  passive: boolean;
  localAddress: string | null;
  /** Our proposed hold time in seconds: 0 or 3..65535. */
  holdTime: number;
  /** Initial ConnectRetry interval in seconds; doubles on each failure up to 300 s (or this value if larger). */
  connectRetry: number;
  maxPrefixes: MaxPrefixes | null;
  /** Advertise the graceful restart capability and keep a restarting peer's routes as stale. */
  gracefulRestart: boolean;
  /** Set the graceful restart N bit (RFC 8538). */
  gracefulRestartNotification: boolean;
  /** Seconds stale routes wait for End-of-RIB once the peer is back. */
  stalePathTime: number;
  /** Advertise ADD-PATH receive for IPv4 and IPv6 unicast. */
  addPath: boolean;
  description: string | null;
}

/** A neighbor's counters for the metrics: plain increments, kept across a reload that replaces the neighbor. */
export interface NeighborCounters {
  updatesReceived: number;
  notificationsSent: number;
  notificationsReceived: number;
  /** Seconds from Established to End-of-RIB in every family, of the last session that got that far. */
  tableLoadSeconds: number | null;
}

export function newNeighborCounters(): NeighborCounters {
  return { updatesReceived: 0, notificationsSent: 0, notificationsReceived: 0, tableLoadSeconds: null };
}

/** A snapshot of one neighbor for the control interface. */
export interface NeighborStatus {
  address: string;
  port: number;
  remoteAs: number;
  description: string | null;
  state: StateName;
  /** Seconds since the session became Established; 0 otherwise. */
  uptime: number;
  prefixes: { ipv4: number; ipv6: number };
  lastError: string | null;
  /** The peer's BGP identifier once an OPEN was accepted. */
  routerId: string | null;
  holdTime: number | null;
  families: string[];
  staleFamilies: string[];
  /** False after the peer refused capabilities advertisement (2/4): our OPENs then carry none (RFC 5492 3). */
  capabilitiesAdvertised: boolean;
  /**
   * Graceful restart as negotiated on the current session: the peer's restart time, and whether both sides set
   * the N bit (RFC 8538); null without a session or when either side left the capability out.
   */
  gracefulRestart: { restartTime: number; notification: boolean } | null;
  adminDown: boolean;
  /** UPDATE messages received, over every session since the address was first configured. */
  updatesReceived: number;
  /** NOTIFICATIONs sent to and received from the peer, over every session since the address was first configured. */
  notifications: { sent: number; received: number };
  /**
   * Seconds from Established to End-of-RIB in every negotiated family, for the last session that got that far;
   * null before one did.
   */
  tableLoadSeconds: number | null;
}
