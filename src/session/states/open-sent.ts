import { BgpError, ErrorCode, FsmSubcode, MessageType, decodeOpen } from '../../bgp/index.js';
import type { Connection, ConnectionStateHandler } from '../connection.js';
import { SessionState } from '../types.js';

/** OpenSent (RFC 4271 8.2.2): our OPEN is out; the peer's OPEN is the only acceptable message. */
export const openSentState: ConnectionStateHandler = {
  state: SessionState.OpenSent,
  onMessage(conn: Connection, type: MessageType, buf: Buffer, start: number, end: number): void {
    if (type !== MessageType.Open) {
      conn.notify(new BgpError(ErrorCode.FiniteStateMachine, FsmSubcode.UnexpectedInOpenSent, `unexpected message type ${type} in OpenSent`));
      return;
    }
    const open = decodeOpen(buf, start, end);
    conn.peerOpen = open;
    // The neighbor checks the OPEN, negotiates, and resolves a collision; it may close this connection.
    if (!conn.owner.openReceived(conn, open)) return;
    conn.enterOpenConfirm();
  },
};
