import { BgpError, ErrorCode, FsmSubcode, MessageType } from '../../bgp/index.js';
import type { Connection, ConnectionStateHandler } from '../connection.js';
import { SessionState } from '../types.js';

/** Established (RFC 4271 8.2.2): UPDATEs go to the RIB, KEEPALIVEs only feed the hold timer. */
export const establishedState: ConnectionStateHandler = {
  state: SessionState.Established,
  onMessage(conn: Connection, type: MessageType, buf: Buffer, start: number, end: number): void {
    switch (type) {
      case MessageType.Update:
        conn.owner.update(conn, buf, start, end);
        return;
      case MessageType.Keepalive:
        return;
      case MessageType.RouteRefresh:
        conn.owner.routeRefreshReceived(conn, buf, start, end);
        return;
      default:
        conn.notify(new BgpError(ErrorCode.FiniteStateMachine, FsmSubcode.UnexpectedInEstablished, `unexpected message type ${type} in Established`));
    }
  },
};
