import type { ErrorCode } from './constants.js';

/**
 * What RFC 7606 says to do about a malformed UPDATE, decided where the fault is found.
 * 'session-reset' is also the only action for errors outside UPDATEs.
 */
export type ErrorAction = 'session-reset' | 'afi-safi-disable' | 'treat-as-withdraw' | 'attribute-discard';

/** Ordering so the strongest action found in one UPDATE wins (RFC 7606 3.h). */
export const ACTION_SEVERITY: Readonly<Record<ErrorAction, number>> = {
  'attribute-discard': 0,
  'treat-as-withdraw': 1,
  'afi-safi-disable': 2,
  'session-reset': 3,
};

/** A protocol error born with its RFC 4271 code/subcode/data and its RFC 7606 action. */
export class BgpError extends Error {
  override readonly name = 'BgpError';
  constructor(
    readonly code: ErrorCode,
    readonly subcode: number,
    message: string,
    readonly data: Uint8Array = EMPTY,
    readonly action: ErrorAction = 'session-reset',
  ) {
    super(message);
  }
}

const EMPTY = new Uint8Array(0);
