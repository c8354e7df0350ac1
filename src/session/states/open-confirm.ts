import { BgpError, ErrorCode, FsmSubcode, MessageType } from '../../bgp/index.js';
import type { Connection, ConnectionStateHandler } from '../connection.js';
import { SessionState } from '../types.js';

/** OpenConfirm (RFC 4271 8.2.2): OPENs exchanged, our KEEPALIVE sent; the peer's KEEPALIVE establishes. */
export const openConfirmState: ConnectionStateHandler = {
  state: SessionState.OpenConfirm,
  onMessage(conn: Connection, type: MessageType): void {
    if (type === MessageType.Keepalive) {
      conn.enterEstablished();
      return;
    }
    conn.notify(new BgpError(ErrorCode.FiniteStateMachine, FsmSubcode.UnexpectedInOpenConfirm, `unexpected message type ${type} in OpenConfirm`));
  },
};
