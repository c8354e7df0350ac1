import type { Socket } from 'node:net';
import type Logger from 'bunyan';
import { BgpError, CeaseSubcode, ErrorCode, MessageType, ceaseNeedsHardReset, describeNotification, type OpenInput, type OpenMessage } from '../bgp/index.js';
import type { Negotiated } from './negotiate.js';
import { SessionState, STATE_NAMES } from './types.js';
import { Timer, jitter } from './timers.js';
import { describeNotificationMessage, encodeKeepaliveMessage, encodeNotificationMessage, encodeOpenMessage, MessageStream } from './wire.js';
import { openSentState } from './states/open-sent.js';
import { openConfirmState } from './states/open-confirm.js';
import { establishedState } from './states/established.js';

/** RFC 4271 8: the large hold time used until the OPENs are exchanged. */
const OPEN_HOLD_TIME_MS = 240_000;
/** How long a NOTIFICATION gets to leave before the socket is destroyed anyway. */
const NOTIFICATION_LINGER_MS = 2_000;
/**
 * Bytes we let pile up unsent for one peer before dropping it. We send only small messages (KEEPALIVE, End-of-RIB,
 * BoRR/EoRR answers), so only a peer that stops reading while it keeps asking for answers gets near this.
 */
export const MAX_OUTPUT_BACKLOG = 256 * 1024;

/** How a connection ended, for the neighbor to decide about routes and reconnection. */
export interface CloseInfo {
  reason: string;
  /** We sent a NOTIFICATION (code/subcode) before closing. */
  sent: { code: number; subcode: number } | null;
  /** The peer sent us a NOTIFICATION. */
  received: { code: number; subcode: number } | null;
  /** The connection was dropped by us without a NOTIFICATION, on purpose (a graceful-restart takeover). */
  silent: boolean;
}

/** The handlers of one connection-level state (OpenSent, OpenConfirm, Established), one file each. */
export interface ConnectionStateHandler {
  readonly state: SessionState;
  onMessage(conn: Connection, type: MessageType, buf: Buffer, start: number, end: number): void;
}

/** What a connection tells its neighbor. */
export interface ConnectionOwner {
  readonly log: Logger;
  /** The OPEN we send on this connection. */
  ourOpen(): OpenInput;
  /** Validates the peer's OPEN and resolves collisions; returns false when this connection was closed. */
  openReceived(conn: Connection, open: OpenMessage): boolean;
  established(conn: Connection): void;
  update(conn: Connection, buf: Buffer, start: number, end: number): void;
  routeRefreshReceived(conn: Connection, buf: Buffer, start: number, end: number): void;
  connectionClosed(conn: Connection, info: CloseInfo): void;
  stateChanged(): void;
}

/**
 * One TCP connection to a neighbor and its climb from OpenSent to Established. A neighbor may briefly hold two
 * (one it opened, one the peer opened) until collision detection (RFC 4271 6.8) keeps one.
 */
export class Connection {
  state: SessionState;
  private handler: ConnectionStateHandler = openSentState;
  negotiated: Negotiated | null = null;
  peerOpen: OpenMessage | null = null;
  sentOpen: OpenInput | null = null;
  establishedAt = 0;
  private readonly stream = new MessageStream();
  private holdMs = OPEN_HOLD_TIME_MS;
  private lastReceived = 0;
  private readonly holdTimer = new Timer(() => this.holdTimerFired());
  private readonly keepaliveTimer = new Timer(() => this.keepaliveFired());
  private keepaliveMs = 0;
  private closed = false;
  private notificationSent: CloseInfo['sent'] = null;

  constructor(
    readonly owner: ConnectionOwner,
    readonly socket: Socket,
    readonly outgoing: boolean,
    connected: boolean,
  ) {
    this.state = connected ? SessionState.OpenSent : SessionState.Connect;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.closeQuietly(`socket error: ${err.message}`));
    socket.on('close', () => this.closeQuietly('connection closed by peer'));
    if (connected) {
      void this.description;
      this.sendOpen();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes written but not yet accepted by the kernel (the peer is not reading fast enough). */
  get outputBacklog(): number {
    return this.socket.writableLength;
  }

  private describedAs: string | null = null;

  /** "outgoing 127.0.0.10:41234-127.0.0.1:179", remembered once known (a destroyed socket forgets it). */
  get description(): string {
    if (this.describedAs !== null) return this.describedAs;
    const s = this.socket;
    const text = `${this.outgoing ? 'outgoing' : 'incoming'} ${s.localAddress}:${s.localPort}-${s.remoteAddress}:${s.remotePort}`;
    if (s.localPort !== undefined && s.remotePort !== undefined) this.describedAs = text;
    return text;
  }

  /** The outgoing TCP connection completed (RFC 4271 Event 17): send our OPEN. */
  connected(): void {
    void this.description;
    this.sendOpen();
  }

  private sendOpen(): void {
    this.setState(SessionState.OpenSent, openSentState);
    this.sentOpen = this.owner.ourOpen();
    this.send(encodeOpenMessage(this.sentOpen));
    this.lastReceived = performance.now();
    this.holdMs = OPEN_HOLD_TIME_MS;
    this.holdTimer.start(this.holdMs);
  }

  setState(state: SessionState, handler: ConnectionStateHandler): void {
    if (this.state === state) return;
    this.owner.log.debug({ connection: this.description, from: STATE_NAMES[this.state], to: STATE_NAMES[state] }, 'connection state');
    this.state = state;
    this.handler = handler;
    this.owner.stateChanged();
  }

  /** After the OPENs: the negotiated hold time, keepalives at a third of it, larger messages if agreed. */
  applyNegotiated(n: Negotiated): void {
    this.negotiated = n;
    this.stream.maxLength = n.maxMessageLength;
    this.holdMs = n.holdTime * 1000;
    this.keepaliveMs = this.holdMs / 3;
    if (this.holdMs > 0) this.holdTimer.start(this.holdMs);
    else this.holdTimer.stop();
  }

  enterOpenConfirm(): void {
    this.sendKeepalive();
    this.setState(SessionState.OpenConfirm, openConfirmState);
  }

  enterEstablished(): void {
    this.establishedAt = Date.now();
    this.setState(SessionState.Established, establishedState);
    this.owner.established(this);
  }

  send(buf: Uint8Array): void {
    if (this.closed) return;
    this.socket.write(buf);
    if (this.socket.writableLength > MAX_OUTPUT_BACKLOG) {
      // A peer that does not read what it asks for must not make us buffer without bound.
      this.notify(new BgpError(ErrorCode.Cease, CeaseSubcode.OutOfResources, `peer does not read: over ${MAX_OUTPUT_BACKLOG} bytes unsent`));
    }
  }

  sendKeepalive(): void {
    this.send(encodeKeepaliveMessage());
    if (this.keepaliveMs > 0) this.keepaliveTimer.start(jitter(this.keepaliveMs));
  }

  private keepaliveFired(): void {
    if (this.closed) return;
    this.sendKeepalive();
  }

  private holdTimerFired(): void {
    if (this.closed || this.holdMs === 0) return;
    // The timer is re-armed lazily: data arrival only stamps lastReceived (cheap on the ingest path).
    const idle = performance.now() - this.lastReceived;
    if (idle < this.holdMs) {
      this.holdTimer.start(this.holdMs - idle + 1);
      return;
    }
    this.notify(new BgpError(ErrorCode.HoldTimerExpired, 0, `hold timer expired (${this.holdMs / 1000} s)`));
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      // RFC 4271 8: messages restart the hold timer, bytes do not (a peer dripping one byte at a time is silent).
      if (this.stream.push(chunk, this.dispatch) > 0) this.lastReceived = performance.now();
    } catch (err) {
      if (err instanceof BgpError) this.notify(err);
      else {
        this.owner.log.error({ err, connection: this.description }, 'internal error while handling a message');
        this.notify(new BgpError(ErrorCode.Cease, CeaseSubcode.OutOfResources /* closest to "internal error" */, `internal error: ${(err as Error).message}`));
      }
    }
  }

  private readonly dispatch = (type: MessageType, buf: Buffer, start: number, end: number): boolean => {
    if (this.closed) return false;
    if (type === MessageType.Notification) {
      const n = describeNotificationMessage(buf, start, end);
      this.owner.log.warn({ connection: this.description, code: n.code, subcode: n.subcode, ...(n.text !== null ? { shutdownText: n.text } : {}) }, `NOTIFICATION received: ${n.summary}`);
      // The peer is done with this connection: close it ourselves rather than wait for a peer that may never.
      this.socket.destroy();
      this.finish({ reason: `NOTIFICATION received: ${n.summary}`, sent: null, received: { code: n.code, subcode: n.subcode }, silent: false });
      return false;
    }
    this.handler.onMessage(this, type, buf, start, end);
    return !this.closed;
  };

  /** Sends the NOTIFICATION an error carries, then closes (RFC 4271: every error closes with a NOTIFICATION). */
  notify(err: BgpError, shutdownText?: string): void {
    if (this.closed) return;
    // RFC 8538 5: with the N bit exchanged, the Cease subcodes that must end the routes go inside a Hard Reset;
    // any other NOTIFICATION now leaves the peer keeping ours as stale (graceful restart).
    const hardReset = this.negotiated?.gracefulRestart?.notification === true && ceaseNeedsHardReset(err.code, err.subcode);
    const summary = hardReset
      ? `${describeError(ErrorCode.Cease, CeaseSubcode.HardReset)} for ${describeError(err.code, err.subcode)}`
      : describeError(err.code, err.subcode);
    this.owner.log.warn({ connection: this.description, code: err.code, subcode: err.subcode, hardReset, ...(shutdownText ? { shutdownText } : {}) }, `NOTIFICATION sent: ${summary}: ${err.message}`);
    // The OPEN must have gone out first; a NOTIFICATION in Connect state (no OPEN yet) is still harmless.
    this.socket.write(encodeNotificationMessage(err.code, err.subcode, err.data, shutdownText, hardReset));
    this.notificationSent = hardReset ? { code: ErrorCode.Cease, subcode: CeaseSubcode.HardReset } : { code: err.code, subcode: err.subcode };
    this.socket.end();
    const linger = setTimeout(() => this.socket.destroy(), NOTIFICATION_LINGER_MS);
    linger.unref();
    this.finish({ reason: `NOTIFICATION sent: ${summary}: ${err.message}`, sent: this.notificationSent, received: null, silent: false });
  }

  /** Drops the connection without a NOTIFICATION (socket trouble, or a graceful-restart takeover). */
  drop(reason: string, silent = false): void {
    if (this.closed) return;
    this.socket.destroy();
    this.finish({ reason, sent: null, received: null, silent });
  }

  private closeQuietly(reason: string): void {
    if (this.closed) return;
    this.socket.destroy();
    this.finish({ reason, sent: null, received: null, silent: false });
  }

  private finish(info: CloseInfo): void {
    if (this.closed) return;
    this.closed = true;
    this.holdTimer.stop();
    this.keepaliveTimer.stop();
    this.owner.connectionClosed(this, info);
  }
}

/** "Cease / Administrative Shutdown (6/2)", names from the codec's IANA tables. */
export function describeError(code: number, subcode: number): string {
  return `${describeNotification(code, subcode)} (${code}/${subcode})`;
}
