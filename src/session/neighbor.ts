import { connect as tcpConnect, type Socket } from 'node:net';
import type Logger from 'bunyan';
import {
  Afi,
  BgpError,
  CeaseSubcode,
  ErrorCode,
  OpenSubcode,
  RouteRefreshSubtype,
  Safi,
  decodeRouteRefresh,
  decodeUpdate,
  encodeEndOfRib,
  encodeRouteRefresh,
  type OpenInput,
  type OpenMessage,
  type UpdateResult,
} from '../bgp/index.js';
import { RibUpdateSink, type RibWriter } from '../rib/index.js';
import { Connection, describeError, type CloseInfo, type ConnectionOwner } from './connection.js';
import { afiName, formatId, localOpen, negotiate, type LocalIdentity } from './negotiate.js';
import { Timer, connectRetryDelay } from './timers.js';
import { newNeighborCounters, SessionState, STATE_NAMES, type NeighborCounters, type NeighborOptions, type NeighborStatus } from './types.js';
import { encodeNotificationMessage } from './wire.js';

/**
 * Table-loading progress is logged once a second: often enough to follow a slow feed, while a full table (loaded in
 * about a second) logs only a line or two.
 */
const PROGRESS_INTERVAL_MS = 1_000;
/**
 * RFC 7606 errors logged per session before they are only counted: enough to show what is wrong, few enough that
 * a peer sending malformed UPDATEs by the thousand cannot flood the log.
 */
const MAX_LOGGED_UPDATE_ERRORS = 20;
/**
 * A connection attempt is given at least this long, however short ConnectRetry is (tests, labs use 1-2 s): room
 * for the SYN and two retransmissions (Linux resends after 1 s and 3 s) before we call the peer unreachable.
 */
const MIN_CONNECT_TIMEOUT_MS = 5_000;
/**
 * A refused connection (6/5) is destroyed this long after its NOTIFICATION if the peer has not closed it: time
 * enough for the NOTIFICATION to leave, short enough that a flood of refused connections holds few sockets.
 */
const REFUSED_CLOSE_DELAY_MS = 1_000;

/**
 * One configured neighbor: its connections, timers, routes in the RIB and the neighbor-level states Idle,
 * Connect and Active (RFC 4271 8.2.2). The per-connection states live in ./states/.
 */
export class Neighbor implements ConnectionOwner {
  readonly log: Logger;
  private readonly connections: Connection[] = [];
  private session: Connection | null = null;
  private displayed = SessionState.Idle;
  private started = false;
  private adminDown = false;
  private connecting = false;
  private retryFailures = 0;
  private readonly retryTimer = new Timer(() => this.enterConnect());
  /** Idle hold after the prefix limit closed the session (RFC 4486), then restart. */
  private readonly idleHoldTimer = new Timer(() => this.restartAfterIdleHold());
  private idleHold = false;
  /** The RIB's id for this neighbor's routes; -1 when it holds none. */
  private ribId = -1;
  private readonly sink: RibUpdateSink;
  /** Families whose routes are stale after the peer restarted (RFC 4724). */
  private readonly staleFamilies = new Set<Afi>();
  private readonly restartTimer = new Timer(() => this.restartTimerExpired());
  private readonly stalePathTimer = new Timer(() => this.stalePathTimerExpired());
  private restartedOnce = false;
  /**
   * The stale routes are a warm start's (loaded from a snapshot before any session), not a restarting peer's: they
   * stay until End-of-RIB or the stale-path timer even when the new session does not negotiate graceful restart.
   */
  private warmStale = false;
  /**
   * The peer answered an OPEN with Unsupported Optional Parameter (2/4): it predates capabilities advertisement,
   * so our OPENs go without any (RFC 5492 3) until the neighbor is started again.
   */
  private capabilitiesRefused = false;
  lastError: string | null = null;
  private readonly endOfRib = new Set<Afi>();
  /**
   * True once a session has brought the whole table: End-of-RIB in every negotiated family (RFC 4724 2). Stays
   * true: a later flap does not make the table unloaded, it keeps or withdraws routes as graceful restart says.
   */
  tableLoaded = false;
  /** Called the first time tableLoaded becomes true. */
  onTableLoaded: (() => void) | null = null;
  /** Seconds from Established to End-of-RIB in every family, of the session that first brought the table. */
  tableLoadSeconds: number | null = null;
  private progressTimer: NodeJS.Timeout | null = null;
  private progressLast = 0;
  private updateErrors = 0;
  /** The session ignored NLRI of a family it did not negotiate, and said so once. */
  private ignoredFamilyLogged = false;
  private maxPrefixWarned = new Set<Afi>();

  constructor(
    readonly options: NeighborOptions,
    private readonly local: LocalIdentity & { routerIdText: string },
    private readonly rib: RibWriter,
    parentLog: Logger,
    /** Carried over from a neighbor of the same address that this one replaces (a reload), so they never go down. */
    readonly counters: NeighborCounters = newNeighborCounters(),
  ) {
    this.log = parentLog.child({ neighbor: options.address, remoteAs: options.remoteAs });
    this.sink = new RibUpdateSink(rib);
  }

  get address(): string {
    return this.options.address;
  }

  get state(): SessionState {
    return this.displayed;
  }

  /** Open connections (at most one per direction, plus one being replaced or losing a collision). */
  get connectionCount(): number {
    return this.connections.length;
  }

  /** The largest count of unsent bytes on any of its connections. */
  get outputBacklog(): number {
    return this.connections.reduce((m, c) => Math.max(m, c.outputBacklog), 0);
  }

  // ---- life cycle ----------------------------------------------------------------------------------------------

  /** ManualStart / AutomaticStart: passive neighbors wait in Active, the others connect at once. */
  start(): void {
    this.started = true;
    this.adminDown = false;
    this.idleHold = false;
    this.idleHoldTimer.stop();
    this.retryFailures = 0;
    this.capabilitiesRefused = false;
    if (this.options.passive) this.enterActive();
    else this.enterConnect();
  }

  /**
   * Administrative shutdown (RFC 9003): Cease/Administrative Shutdown with the message on every open connection,
   * routes removed, the neighbor left Idle until start() again. Resolves once the sockets are closed.
   */
  async shutdown(message?: string, subcode: CeaseSubcode = CeaseSubcode.AdministrativeShutdown): Promise<void> {
    this.adminDown = true;
    this.retryTimer.stop();
    this.idleHoldTimer.stop();
    const closing = this.connections.map((c) => new Promise<void>((resolve) => {
      if (c.socket.destroyed) resolve();
      else c.socket.once('close', () => resolve());
    }));
    for (const c of [...this.connections]) {
      if (c.state >= SessionState.OpenSent) {
        // RFC 9003: the shutdown communication rides on subcodes 2 and 4 only; the codec drops it elsewhere.
        c.notify(new BgpError(ErrorCode.Cease, subcode, 'administrative shutdown'), message ?? '');
      } else c.drop('administrative shutdown');
    }
    this.removeRoutes();
    this.updateState();
    await Promise.all(closing);
  }

  /** Stops every timer and socket without a word to the peer (tests, process exit after shutdown). */
  destroy(): void {
    this.adminDown = true;
    for (const c of [...this.connections]) c.drop('destroyed');
    for (const t of [this.retryTimer, this.idleHoldTimer, this.restartTimer, this.stalePathTimer]) t.stop();
    this.stopProgress();
  }

  // ---- Idle / Connect / Active -------------------------------------------------------------------------------

  /** Connect: open a TCP connection to the peer (and still accept one from it). */
  private enterConnect(): void {
    if (this.adminDown || this.idleHold || this.connections.length > 0) {
      this.updateState();
      return;
    }
    const { address, port, localAddress } = this.options;
    const socket = tcpConnect({ host: address, port, ...(localAddress ? { localAddress } : {}) });
    this.connecting = true;
    const conn = new Connection(this, socket, true, false);
    this.connections.push(conn);
    // RFC 4271: the ConnectRetry timer bounds a connection attempt too.
    const timeout = setTimeout(() => conn.state === SessionState.Connect && conn.drop('connect timed out'), Math.max(this.options.connectRetry * 1000, MIN_CONNECT_TIMEOUT_MS));
    socket.once('connect', () => {
      clearTimeout(timeout);
      this.connecting = false;
      this.log.debug({ local: `${socket.localAddress}:${socket.localPort}` }, 'TCP connection established');
      conn.connected();
    });
    socket.once('close', () => clearTimeout(timeout));
    this.updateState();
  }

  /** Active: wait for the peer to connect; non-passive neighbors also retry after a backed-off delay. */
  private enterActive(): void {
    if (!this.options.passive && !this.retryTimer.running) {
      const delay = connectRetryDelay(this.options.connectRetry, this.retryFailures);
      this.retryFailures++;
      this.retryTimer.start(delay);
      this.log.debug({ retryInSeconds: Math.round(delay / 100) / 10 }, 'ConnectRetry timer started');
    }
    this.updateState();
  }

  private restartAfterIdleHold(): void {
    this.idleHold = false;
    this.log.info('prefix limit idle hold over: restarting the neighbor');
    this.start();
  }

  /** An incoming connection for this neighbor (the speaker matched its source address). */
  accept(socket: Socket): void {
    if (!this.started || this.adminDown || this.idleHold) {
      this.log.warn({ remote: `${socket.remoteAddress}:${socket.remotePort}` }, 'connection refused: neighbor is administratively down or holding idle');
      socket.on('error', () => {}); // a reset from the refused peer must not become an uncaught 'error'
      socket.end(encodeNotificationMessage(ErrorCode.Cease, CeaseSubcode.ConnectionRejected, new Uint8Array(0)));
      this.counters.notificationsSent++;
      setTimeout(() => socket.destroy(), REFUSED_CLOSE_DELAY_MS).unref();
      return;
    }
    // At most one incoming connection waits for its OPEN: a newer one replaces it. This bounds what a flood of
    // connections from the neighbor's address can hold (RFC 4271 6.8 needs at most one per direction), and a peer
    // that restarted mid-handshake is not kept waiting for the old connection's 4-minute OpenSent hold timer.
    const waiting = this.connections.filter((c) => !c.outgoing && c.state === SessionState.OpenSent);
    const conn = new Connection(this, socket, false, true);
    this.log.debug({ connection: conn.description }, 'incoming connection accepted');
    this.connections.push(conn);
    for (const old of waiting) old.notify(new BgpError(ErrorCode.Cease, CeaseSubcode.ConnectionRejected, 'replaced by a newer incoming connection'));
    this.updateState();
  }

  // ---- ConnectionOwner -----------------------------------------------------------------------------------------

  ourOpen(): OpenInput {
    return localOpen(this.local, this.options, !this.restartedOnce, this.capabilitiesRefused);
  }

  openReceived(conn: Connection, open: OpenMessage): boolean {
    let negotiated;
    try {
      negotiated = negotiate(open, conn.sentOpen!, this.local, this.options);
    } catch (err) {
      if (err instanceof BgpError) {
        this.lastError = `${describeError(err.code, err.subcode)}: ${err.message}`;
        conn.notify(err);
        return false;
      }
      throw err;
    }
    // Collision detection (RFC 4271 6.8) against every other connection that has seen the peer's OPEN.
    for (const other of [...this.connections]) {
      if (other === conn || other.isClosed) continue;
      if (other.state === SessionState.Established) {
        if (other.negotiated?.gracefulRestart && this.options.gracefulRestart) {
          // RFC 4724 4.2: a new connection from a GR peer while we think it is up means it restarted.
          this.log.info('peer opened a new session while Established: graceful restart, old session dropped');
          other.drop('peer restarted (new OPEN on a new connection)', true);
          continue;
        }
        conn.notify(new BgpError(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution, 'collision with the Established session'));
        return false;
      }
      if (other.state === SessionState.OpenConfirm) {
        // The connection opened by the side with the higher BGP identifier survives; with equal identifiers
        // (possible on eBGP), the side with the higher AS number (RFC 6286 2.3).
        const localWins = this.local.routerId === negotiated.peerBgpId
          ? this.local.localAs > negotiated.peerAs
          : this.local.routerId > negotiated.peerBgpId;
        const loser = (localWins ? !conn.outgoing : conn.outgoing) ? conn : other;
        this.log.info({ kept: (loser === conn ? other : conn).description, closed: loser.description }, 'connection collision resolved');
        loser.notify(new BgpError(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution, 'connection collision resolution'));
        if (loser === conn) return false;
      }
    }
    conn.applyNegotiated(negotiated);
    this.log.info({
      peerRouterId: formatId(negotiated.peerBgpId),
      holdTime: negotiated.holdTime,
      families: negotiated.families.map(afiName),
      addPath: { ipv4: negotiated.decode.addPathIpv4, ipv6: negotiated.decode.addPathIpv6 },
      gracefulRestart: negotiated.gracefulRestart,
      routeRefresh: negotiated.routeRefresh,
      extendedMessage: negotiated.decode.extendedMessage,
    }, 'OPEN accepted');
    return true;
  }

  established(conn: Connection): void {
    const n = conn.negotiated!;
    this.session = conn;
    this.restartedOnce = true;
    this.retryFailures = 0;
    this.retryTimer.stop();
    this.lastError = null;
    this.updateErrors = 0;
    this.ignoredFamilyLogged = false;
    this.maxPrefixWarned.clear();
    // The established connection wins; any other still opening is a collision loser.
    for (const other of [...this.connections]) {
      if (other === conn) continue;
      // An attempt still connecting has sent nothing yet: just drop it.
      if (other.state === SessionState.Connect) other.drop('another connection is Established');
      else other.notify(new BgpError(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution, 'another connection is Established'));
    }
    if (this.ribId >= 0 && this.staleFamilies.size > 0) {
      this.restartTimer.stop();
      for (const afi of [...this.staleFamilies]) {
        // RFC 4724 4.2: without GR in the new OPEN, or without the family, stale routes go at once. A warm start's
        // routes wait for End-of-RIB whatever the OPEN says: they were never the peer's promise, only our memory.
        if (!n.families.includes(afi)) this.sweep(afi, 'family not negotiated');
        else if (!n.gracefulRestart && !this.warmStale) this.sweep(afi, 'graceful restart not negotiated again');
      }
      if (this.staleFamilies.size > 0) this.stalePathTimer.start(this.options.stalePathTime * 1000);
    } else if (this.ribId < 0) {
      this.ribId = this.rib.addNeighbor({
        address: this.options.address,
        remoteAs: n.peerAs,
        localAs: this.local.localAs,
        routerId: n.peerBgpId,
        ibgp: n.ibgp,
      });
    }
    this.sink.neighborId = this.ribId;
    this.sink.acceptFamilies(n.families);
    this.rib.setSessionUp(this.ribId, true);
    this.sink.resetCounters();
    this.endOfRib.clear();
    // We never advertise routes: End-of-RIB for each family tells the peer our (empty) table is complete.
    for (const afi of n.families) conn.send(encodeEndOfRib(afi, Safi.Unicast));
    if (conn.isClosed) return;
    this.startProgress(conn);
    this.updateState();
  }

  update(conn: Connection, buf: Buffer, start: number, end: number): void {
    this.counters.updatesReceived++;
    const n = conn.negotiated!;
    let result: UpdateResult;
    try {
      result = decodeUpdate(buf, start, end, n.decode, this.sink);
    } catch (err) {
      this.sink.done();
      if (err instanceof BgpError) {
        this.lastError = `${describeError(err.code, err.subcode)}: ${err.message}`;
        conn.notify(err);
        return;
      }
      throw err;
    }
    this.sink.done();
    if (result.errors.length > 0) this.logUpdateErrors(result);
    if (this.sink.ignoredPrefixes > 0 && !this.ignoredFamilyLogged) {
      this.ignoredFamilyLogged = true;
      this.log.warn({ families: n.families.map(afiName) }, 'UPDATE with NLRI of a family not negotiated: ignored (RFC 4760 6); not logged again for this session');
    }
    if (result.endOfRib !== 0) this.endOfRibReceived(result.endOfRib);
    if (this.options.maxPrefixes !== null && result.announced > 0) this.checkMaxPrefixes(conn);
  }

  routeRefreshReceived(conn: Connection, buf: Buffer, start: number, end: number): void {
    const m = decodeRouteRefresh(buf, start, end);
    if (m.safi !== Safi.Unicast || (m.afi !== Afi.IPv4 && m.afi !== Afi.IPv6)) return;
    const afi = m.afi as Afi;
    switch (m.subtype) {
      case RouteRefreshSubtype.Normal:
        // The peer asks for our routes: there are none; with enhanced route refresh, say so with BoRR/EoRR.
        if (conn.negotiated?.enhancedRouteRefresh) {
          conn.send(encodeRouteRefresh({ afi, safi: Safi.Unicast, subtype: RouteRefreshSubtype.BeginningOfRouteRefresh }));
          conn.send(encodeRouteRefresh({ afi, safi: Safi.Unicast, subtype: RouteRefreshSubtype.EndOfRouteRefresh }));
        }
        return;
      case RouteRefreshSubtype.BeginningOfRouteRefresh:
        // RFC 7313 4: routes not re-advertised before EoRR are stale.
        if (this.ribId >= 0) {
          this.rib.markStale(this.ribId, afi);
          this.log.info({ afi: afiName(afi) }, 'Beginning-of-RIB-Route-Refresh received: routes marked stale');
        }
        return;
      case RouteRefreshSubtype.EndOfRouteRefresh:
        if (this.ribId >= 0) {
          this.rib.sweepStale(this.ribId, afi);
          this.log.info({ afi: afiName(afi) }, 'End-of-RIB-Route-Refresh received: stale routes swept');
        }
        return;
      default:
        return; // RFC 7313 5: unknown subtypes are ignored.
    }
  }

  connectionClosed(conn: Connection, info: CloseInfo): void {
    const i = this.connections.indexOf(conn);
    if (i >= 0) this.connections.splice(i, 1);
    if (conn.state === SessionState.Connect) this.connecting = false;
    if (info.sent) this.counters.notificationsSent++;
    if (info.received) this.counters.notificationsReceived++;
    if (info.sent || info.received) this.lastError = info.reason;
    else if (conn.state >= SessionState.OpenSent || this.lastError === null) this.lastError = info.reason;
    if (
      info.received?.code === ErrorCode.OpenMessage &&
      info.received.subcode === OpenSubcode.UnsupportedOptionalParameter &&
      (conn.state === SessionState.OpenSent || conn.state === SessionState.OpenConfirm) &&
      !this.capabilitiesRefused
    ) {
      this.peerRefusedCapabilities();
    }
    if (conn === this.session) {
      this.session = null;
      this.stopProgress();
      const gr = conn.negotiated?.gracefulRestart ?? null;
      // RFC 4724: graceful restart covers a lost TCP connection; a NOTIFICATION either way ends the routes, unless
      // both sides set the N bit (RFC 8538 4): then only a Hard Reset does, and a hold timer expiry is a restart.
      const notification = info.sent ?? info.received;
      const hardReset = notification !== null && notification.code === ErrorCode.Cease && notification.subcode === CeaseSubcode.HardReset;
      const graceful = gr !== null && this.options.gracefulRestart && !this.adminDown && (notification === null || (gr.notification && !hardReset));
      this.log.warn({ reason: info.reason, gracefulRestart: graceful }, 'session down');
      // While a restarting peer's routes are held as stale, the neighbor counts as up in the RIB (as for a warm
      // start): the routes still answer, so its POP stays available and the decision keeps using them.
      if (graceful) this.keepAsStale(gr.families, gr.restartTime);
      else this.removeRoutes();
    } else if (conn.state >= SessionState.OpenSent) {
      this.log.info({ connection: conn.description, reason: info.reason }, 'connection closed');
    } else {
      this.log.debug({ reason: info.reason }, 'connection attempt failed');
    }
    if (this.connections.length === 0 && !this.adminDown && !this.idleHold) this.enterActive();
    this.updateState();
  }

  /** RFC 5492 3: a peer that does not support capabilities advertisement gets OPENs without any. */
  private peerRefusedCapabilities(): void {
    if (this.local.localAs > 0xffff) {
      // Without the 4-octet AS capability our AS cannot be told (RFC 6793): AS_TRANS would be a wrong peer AS.
      this.log.error({ localAs: this.local.localAs }, 'peer does not support capabilities advertisement (2/4), and our 4-octet AS needs them: it cannot peer with us');
      return;
    }
    this.capabilitiesRefused = true;
    this.log.warn('peer does not support capabilities advertisement (2/4): the next OPENs carry none (IPv4 unicast, 2-octet AS only)');
  }

  stateChanged(): void {
    this.updateState();
  }

  // ---- routes --------------------------------------------------------------------------------------------------

  /**
   * Warm start, before start(): the RIB id under which a snapshot's routes for this neighbor are to be loaded (the
   * loader announces them through the RIB writer), registering the neighbor in the RIB with what the snapshot says
   * of it. Then holdWarmRoutes() once they are in, or dropWarmRoutes() if the snapshot turned out unusable.
   */
  warmStartRibId(remoteAs: number, routerId: number): number {
    if (this.ribId < 0) {
      this.ribId = this.rib.addNeighbor({
        address: this.options.address,
        remoteAs,
        localAs: this.local.localAs,
        routerId,
        ibgp: remoteAs === this.local.localAs,
      });
      this.sink.neighborId = this.ribId;
    }
    return this.ribId;
  }

  /**
   * The snapshot's routes are in: they are held as after a graceful restart of the peer, stale, each family swept
   * by its End-of-RIB once the session is up (or by the stale-path timer then), and all of them removed after
   * `holdSeconds` if no session comes up. While held they count as the neighbor's session being up in the RIB, so
   * the decision uses them and a POP tied to this neighbor is not down for want of a session. Returns the paths
   * held per family.
   */
  holdWarmRoutes(holdSeconds: number, source: string): { ipv4: number; ipv6: number } {
    const held = { ipv4: 0, ipv6: 0 };
    if (this.ribId < 0) return held;
    held.ipv4 = this.rib.prefixCount(this.ribId, Afi.IPv4);
    held.ipv6 = this.rib.prefixCount(this.ribId, Afi.IPv6);
    if (held.ipv4 + held.ipv6 === 0) {
      this.removeRoutes();
      return held;
    }
    for (const afi of [Afi.IPv4, Afi.IPv6]) {
      this.rib.markStale(this.ribId, afi);
      if (this.rib.prefixCount(this.ribId, afi) > 0) this.staleFamilies.add(afi);
    }
    this.warmStale = true;
    this.rib.setSessionUp(this.ribId, true);
    this.stalePathTimer.stop();
    this.restartTimer.start(holdSeconds * 1000);
    this.log.info({ ...held, holdSeconds, source }, `warm start: ${held.ipv4 + held.ipv6} paths from ${source} held as stale until End-of-RIB (at most ${holdSeconds} s without a session)`);
    return held;
  }

  /** Removes a warm start's routes (the snapshot was unusable after all). */
  dropWarmRoutes(): void {
    this.removeRoutes();
  }

  private keepAsStale(families: Afi[], restartTime: number): void {
    if (this.ribId < 0) return;
    this.warmStale = false;
    for (const afi of [Afi.IPv4, Afi.IPv6]) {
      this.rib.markStale(this.ribId, afi);
      // Only a family that holds routes is kept (as for a warm start): held families keep the neighbor up, and an
      // empty one would keep its POP "available" with nothing to answer from for the whole restart time.
      if (families.includes(afi) && this.rib.prefixCount(this.ribId, afi) > 0) this.staleFamilies.add(afi);
      else this.rib.sweepStale(this.ribId, afi);
    }
    if (this.staleFamilies.size === 0) {
      // Nothing held that the peer asked us to keep: down as without graceful restart.
      this.removeRoutes();
      return;
    }
    this.stalePathTimer.stop();
    this.restartTimer.start(restartTime * 1000);
    this.log.info({ families: families.map(afiName), restartTime }, 'graceful restart: routes kept as stale');
  }

  private sweep(afi: Afi, why: string): void {
    if (this.ribId < 0) return;
    this.rib.sweepStale(this.ribId, afi);
    this.staleFamilies.delete(afi);
    this.log.info({ afi: afiName(afi), why }, 'stale routes swept');
    if (this.staleFamilies.size === 0) {
      this.stalePathTimer.stop();
      this.restartTimer.stop();
      this.warmStale = false;
    }
  }

  private restartTimerExpired(): void {
    this.log.warn(this.warmStale ? 'warm-start hold time over without a session: the snapshot\'s routes removed' : 'graceful restart timer expired: stale routes removed');
    if (this.session === null) this.removeRoutes();
    else for (const afi of [...this.staleFamilies]) this.sweep(afi, 'restart timer expired');
  }

  private stalePathTimerExpired(): void {
    for (const afi of [...this.staleFamilies]) this.sweep(afi, 'no End-of-RIB before the stale-path timer');
  }

  private removeRoutes(): void {
    this.restartTimer.stop();
    this.stalePathTimer.stop();
    this.staleFamilies.clear();
    this.warmStale = false;
    if (this.ribId >= 0) {
      this.rib.removeNeighbor(this.ribId);
      this.ribId = -1;
      this.sink.neighborId = -1;
    }
  }

  private endOfRibReceived(afi: Afi): void {
    if (this.endOfRib.has(afi)) return;
    this.endOfRib.add(afi);
    const count = afi === Afi.IPv4 ? this.sink.announcedIpv4 : this.sink.announcedIpv6;
    const seconds = this.session ? (Date.now() - this.session.establishedAt) / 1000 : 0;
    this.log.info({ afi: afiName(afi), prefixes: count, seconds }, `End-of-RIB received after ${count} prefixes in ${seconds.toFixed(2)} s`);
    if (this.staleFamilies.has(afi)) this.sweep(afi, 'End-of-RIB');
    const families = this.session?.negotiated?.families ?? [];
    if (families.every((f) => this.endOfRib.has(f))) {
      this.stopProgress();
      this.counters.tableLoadSeconds = seconds;
      if (!this.tableLoaded) {
        this.tableLoaded = true;
        this.tableLoadSeconds = seconds;
        this.onTableLoaded?.();
      }
    }
  }

  private checkMaxPrefixes(conn: Connection): void {
    const mp = this.options.maxPrefixes!;
    for (const afi of conn.negotiated!.families) {
      const count = this.rib.prefixCount(this.ribId, afi);
      if (count > mp.limit) {
        const data = Uint8Array.of(afi >> 8, afi & 255, Safi.Unicast, mp.limit >>> 24, (mp.limit >>> 16) & 255, (mp.limit >>> 8) & 255, mp.limit & 255);
        this.log.error({ afi: afiName(afi), count, limit: mp.limit, restartAfter: mp.restartAfter }, 'maximum number of prefixes reached');
        // RFC 4486 4: Cease/Maximum Number of Prefixes Reached with AFI, SAFI and the limit as data.
        this.idleHold = true;
        conn.notify(new BgpError(ErrorCode.Cease, CeaseSubcode.MaximumPrefixesReached, `${count} ${afiName(afi)} prefixes exceed the limit of ${mp.limit}`, data));
        this.removeRoutes();
        if (mp.restartAfter > 0) this.idleHoldTimer.start(mp.restartAfter * 1000);
        this.updateState();
        return;
      }
      if (mp.warningPercent !== null && count * 100 >= mp.limit * mp.warningPercent && !this.maxPrefixWarned.has(afi)) {
        this.maxPrefixWarned.add(afi);
        this.log.warn({ afi: afiName(afi), count, limit: mp.limit, warningPercent: mp.warningPercent }, 'prefix count reached the warning threshold');
      }
    }
  }

  private logUpdateErrors(result: UpdateResult): void {
    for (const err of result.errors) {
      this.updateErrors++;
      if (this.updateErrors <= MAX_LOGGED_UPDATE_ERRORS) {
        this.log.warn({ code: err.code, subcode: err.subcode, action: err.action, treatAsWithdraw: result.treatAsWithdraw }, `malformed UPDATE (RFC 7606 ${err.action}): ${err.message}`);
      } else if (this.updateErrors === MAX_LOGGED_UPDATE_ERRORS + 1) {
        this.log.warn('more malformed UPDATEs: no longer logged one by one for this session');
      }
    }
  }

  // ---- progress logs -----------------------------------------------------------------------------------------

  private startProgress(conn: Connection): void {
    this.stopProgress();
    this.progressLast = 0;
    const started = conn.establishedAt;
    this.progressTimer = setInterval(() => {
      const total = this.sink.announcedIpv4 + this.sink.announcedIpv6;
      if (total === this.progressLast) return;
      const rate = Math.round(((total - this.progressLast) * 1000) / PROGRESS_INTERVAL_MS);
      this.progressLast = total;
      this.log.info({ ipv4: this.sink.announcedIpv4, ipv6: this.sink.announcedIpv6, prefixesPerSecond: rate, seconds: (Date.now() - started) / 1000 }, `table loading: ${total} prefixes so far`);
    }, PROGRESS_INTERVAL_MS);
    this.progressTimer.unref();
  }

  private stopProgress(): void {
    if (this.progressTimer !== null) {
      clearInterval(this.progressTimer);
      this.progressTimer = null;
    }
  }

  // ---- control -------------------------------------------------------------------------------------------------

  /** Sends ROUTE-REFRESH (RFC 2918) for one family or every negotiated one; returns the families asked. */
  routeRefresh(afi?: Afi): string[] {
    const conn = this.session;
    if (conn === null || conn.negotiated === null) throw new Error(`neighbor ${this.address} is not Established`);
    if (!conn.negotiated.routeRefresh) throw new Error(`neighbor ${this.address} did not advertise route refresh`);
    const families = afi === undefined ? conn.negotiated.families : conn.negotiated.families.filter((f) => f === afi);
    if (families.length === 0) throw new Error(`family not negotiated with ${this.address}`);
    for (const f of families) conn.send(encodeRouteRefresh({ afi: f, safi: Safi.Unicast, subtype: RouteRefreshSubtype.Normal }));
    this.log.info({ families: families.map(afiName) }, 'ROUTE-REFRESH sent');
    return families.map(afiName);
  }

  status(): NeighborStatus {
    const conn = this.session;
    const n = conn?.negotiated ?? null;
    return {
      address: this.options.address,
      port: this.options.port,
      remoteAs: this.options.remoteAs,
      description: this.options.description,
      state: STATE_NAMES[this.displayed],
      uptime: conn && this.displayed === SessionState.Established ? Math.floor((Date.now() - conn.establishedAt) / 1000) : 0,
      prefixes: {
        ipv4: this.ribId >= 0 ? this.rib.prefixCount(this.ribId, Afi.IPv4) : 0,
        ipv6: this.ribId >= 0 ? this.rib.prefixCount(this.ribId, Afi.IPv6) : 0,
      },
      lastError: this.lastError,
      routerId: n ? formatId(n.peerBgpId) : null,
      holdTime: n ? n.holdTime : null,
      families: n ? n.families.map(afiName) : [],
      staleFamilies: [...this.staleFamilies].map(afiName),
      capabilitiesAdvertised: !this.capabilitiesRefused,
      gracefulRestart: n?.gracefulRestart ? { restartTime: n.gracefulRestart.restartTime, notification: n.gracefulRestart.notification } : null,
      adminDown: this.adminDown,
      updatesReceived: this.counters.updatesReceived,
      notifications: { sent: this.counters.notificationsSent, received: this.counters.notificationsReceived },
      tableLoadSeconds: this.counters.tableLoadSeconds,
    };
  }

  /** The neighbor's RIB id (for tests and the control server); -1 when it holds no routes. */
  get ribNeighborId(): number {
    return this.ribId;
  }

  private updateState(): void {
    let s: SessionState;
    if (this.adminDown || this.idleHold || !this.started) s = SessionState.Idle;
    else {
      s = this.connections.reduce((m, c) => (c.state > m && c.state >= SessionState.OpenSent ? c.state : m), SessionState.Idle as SessionState);
      if (s === SessionState.Idle) s = this.connecting ? SessionState.Connect : SessionState.Active;
    }
    if (s !== this.displayed) {
      this.log.info({ from: STATE_NAMES[this.displayed], to: STATE_NAMES[s] }, `state ${STATE_NAMES[this.displayed]} -> ${STATE_NAMES[s]}`);
      this.displayed = s;
    }
  }
}
