import {
  AS_TRANS,
  BGP_MAX_MESSAGE_LENGTH,
  BGP_VERSION,
  ErrorCode,
  MessageType,
  OpenSubcode,
  OptionalParameterType,
} from './constants.js';
import { BgpError } from './errors.js';
import { BufferWriter } from './buffer-writer.js';
import { beginMessage, finishMessage } from './framing.js';
import { type Capabilities, decodeCapabilities, emptyCapabilities, encodeCapabilities } from './capabilities.js';

export interface OpenMessage {
  version: number;
  /** The 2-octet "My Autonomous System" field (AS_TRANS when the speaker's AS needs 4 octets). */
  myAs: number;
  holdTime: number;
  /** BGP Identifier as uint32. */
  bgpIdentifier: number;
  capabilities: Capabilities;
  /** True when the optional parameters used the RFC 9072 extended length encoding. */
  extendedParameters: boolean;
}

export interface OpenInput {
  /** The speaker's AS; above 65535 it is sent as AS_TRANS and must also be in capabilities.fourOctetAs. */
  myAs: number;
  holdTime: number;
  bgpIdentifier: number;
  capabilities: Capabilities;
  /** Force the RFC 9072 encoding even when the parameters fit in 255 bytes. */
  extendedParameters?: boolean;
}

function openError(subcode: number, message: string, data?: Uint8Array): BgpError {
  return new BgpError(ErrorCode.OpenMessage, subcode, message, data);
}

/** Decodes an OPEN body (start..end after the header). Throws BgpError with OPEN Message Error codes. */
export function decodeOpen(buf: Buffer, start: number, end: number): OpenMessage {
  if (end - start < 10) throw new BgpError(ErrorCode.MessageHeader, 2, 'OPEN shorter than 29 bytes');
  const version = buf[start];
  const myAs = buf.readUInt16BE(start + 1);
  const holdTime = buf.readUInt16BE(start + 3);
  const bgpIdentifier = buf.readUInt32BE(start + 5);
  let p = start + 10;
  let paramsLength = buf[start + 9];
  let extendedParameters = false;
  // RFC 9072 2: a non-extended length of 255 followed by type 255 introduces a 2-byte length and 2-byte param lengths.
  if (paramsLength === 255 && end - p >= 3 && buf[p] === OptionalParameterType.ExtendedLength) {
    extendedParameters = true;
    paramsLength = buf.readUInt16BE(p + 1);
    p += 3;
  }
  if (p + paramsLength !== end) {
    throw openError(0, `OPEN optional parameters length ${paramsLength} does not match the message`);
  }
  const capabilities = emptyCapabilities();
  while (p < end) {
    const headerLen = extendedParameters ? 3 : 2;
    if (end - p < headerLen) throw openError(0, 'truncated OPEN optional parameter');
    const type = buf[p];
    const len = extendedParameters ? buf.readUInt16BE(p + 1) : buf[p + 1];
    const vStart = p + headerLen;
    const vEnd = vStart + len;
    if (vEnd > end) throw openError(0, `OPEN optional parameter ${type} overruns the message`);
    if (type !== OptionalParameterType.Capabilities) {
      throw openError(OpenSubcode.UnsupportedOptionalParameter, `unsupported optional parameter ${type}`);
    }
    decodeCapabilities(buf, vStart, vEnd, capabilities);
    p = vEnd;
  }
  return { version, myAs, holdTime, bgpIdentifier, capabilities, extendedParameters };
}

/**
 * Encodes a whole OPEN. All capabilities go in one Capabilities parameter; when that exceeds 255 bytes the
 * RFC 9072 extended format is used.
 */
export function encodeOpen(open: OpenInput): Buffer {
  const caps = new BufferWriter();
  encodeCapabilities(open.capabilities, caps);
  const capBytes = caps.toBuffer();
  const w = new BufferWriter(64 + capBytes.length);
  beginMessage(w, MessageType.Open);
  w.u8(BGP_VERSION)
    .u16(open.myAs > 0xffff ? AS_TRANS : open.myAs)
    .u16(open.holdTime)
    .u32(open.bgpIdentifier);
  const hasParams = capBytes.length > 0;
  const extended = open.extendedParameters === true || capBytes.length + 2 > 255;
  if (!hasParams) {
    w.u8(0);
  } else if (!extended) {
    w.u8(capBytes.length + 2).u8(OptionalParameterType.Capabilities).u8(capBytes.length).bytes(capBytes);
  } else {
    w.u8(255).u8(OptionalParameterType.ExtendedLength).u16(capBytes.length + 3);
    w.u8(OptionalParameterType.Capabilities).u16(capBytes.length).bytes(capBytes);
  }
  return finishMessage(w, BGP_MAX_MESSAGE_LENGTH);
}

/** The speaker's real AS: the 4-octet AS capability when present, else the My AS field. */
export function openPeerAs(open: OpenMessage): number {
  return open.capabilities.fourOctetAs ?? open.myAs;
}

/** RFC 4271 6.2: version must be 4; data is the largest version we support. */
export function validateOpenVersion(open: OpenMessage): void {
  if (open.version !== BGP_VERSION) {
    throw openError(OpenSubcode.UnsupportedVersionNumber, `unsupported BGP version ${open.version}`, Uint8Array.of(0, BGP_VERSION));
  }
}

/** RFC 4271 6.2: hold time 1 or 2 seconds is unacceptable (0 disables keepalives). */
export function validateHoldTime(open: OpenMessage): void {
  if (open.holdTime === 1 || open.holdTime === 2) {
    throw openError(OpenSubcode.UnacceptableHoldTime, `unacceptable hold time ${open.holdTime}`);
  }
}

/**
 * RFC 6286: the identifier must be non-zero, and differ from ours on an eBGP session (on iBGP too, RFC 4271).
 */
export function validateBgpIdentifier(open: OpenMessage, localIdentifier: number): void {
  if (open.bgpIdentifier === 0 || open.bgpIdentifier >>> 0 === localIdentifier >>> 0) {
    throw openError(OpenSubcode.BadBgpIdentifier, `bad BGP identifier ${open.bgpIdentifier >>> 0}`);
  }
}

/** RFC 4271 6.2 / RFC 6793: the peer's AS must be the one configured (null accepts any). */
export function validatePeerAs(open: OpenMessage, expectedAs: number | null): void {
  const as = openPeerAs(open);
  if (open.capabilities.fourOctetAs !== null && open.myAs !== AS_TRANS && open.myAs !== open.capabilities.fourOctetAs) {
    throw openError(OpenSubcode.BadPeerAs, `My AS ${open.myAs} disagrees with 4-octet AS ${open.capabilities.fourOctetAs}`);
  }
  if (expectedAs !== null && as !== expectedAs) {
    throw openError(OpenSubcode.BadPeerAs, `peer AS ${as}, expected ${expectedAs}`, Uint8Array.of((open.myAs >>> 8) & 0xff, open.myAs & 0xff));
  }
}

/** Runs the checks above in RFC order. */
export function validateOpen(open: OpenMessage, localIdentifier: number, expectedAs: number | null): void {
  validateOpenVersion(open);
  validatePeerAs(open, expectedAs);
  validateHoldTime(open);
  validateBgpIdentifier(open, localIdentifier);
}

/** Negotiated hold time: the smaller of both (RFC 4271 4.2). */
export function negotiatedHoldTime(localHoldTime: number, open: OpenMessage): number {
  return Math.min(localHoldTime, open.holdTime);
}
