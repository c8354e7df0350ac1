import { AddPathMode, Afi, CapabilityCode, ErrorCode, GracefulRestartFlag, Safi } from './constants.js';
import { BgpError } from './errors.js';
import { BufferWriter } from './buffer-writer.js';
import type { DecodeOptions } from './options.js';

export interface AfiSafi {
  afi: number;
  safi: number;
}

export interface GracefulRestartFamily extends AfiSafi {
  /** F bit: forwarding state was preserved for this family. */
  forwardingPreserved: boolean;
}

export interface GracefulRestart {
  /** R bit: the sender has restarted. */
  restarting: boolean;
  /** N bit (RFC 8538): graceful restart also applies to NOTIFICATIONs. */
  notification: boolean;
  /** Restart time in seconds (12 bits). */
  restartTime: number;
  families: GracefulRestartFamily[];
}

export interface AddPathFamily extends AfiSafi {
  send: boolean;
  receive: boolean;
}

export interface UnknownCapability {
  code: number;
  value: Uint8Array;
}

/** Everything an OPEN announced, gathered from all its capability parameters. */
export interface Capabilities {
  multiprotocol: AfiSafi[];
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  /** RFC 6793: the speaker's 4-octet AS; null when the capability is absent. */
  fourOctetAs: number | null;
  gracefulRestart: GracefulRestart | null;
  addPath: AddPathFamily[];
  extendedMessage: boolean;
  unknown: UnknownCapability[];
}

export function emptyCapabilities(): Capabilities {
  return {
    multiprotocol: [],
    routeRefresh: false,
    enhancedRouteRefresh: false,
    fourOctetAs: null,
    gracefulRestart: null,
    addPath: [],
    extendedMessage: false,
    unknown: [],
  };
}

/** One row per capability code (BIRD-style table): how to read it into, and write it from, Capabilities. */
interface CapabilityDescriptor {
  readonly code: number;
  readonly name: string;
  /** Reads the value at buf[start..end) into caps; throws BgpError when its length is wrong. */
  decode(buf: Buffer, start: number, end: number, caps: Capabilities): void;
  /** Writes zero or more whole capabilities (code, length, value). */
  encode(caps: Capabilities, w: BufferWriter): void;
  format(caps: Capabilities): string | null;
}

function lengthError(name: string, length: number): BgpError {
  // RFC 5492 leaves the reaction open; a malformed capability makes the OPEN unacceptable.
  return new BgpError(ErrorCode.OpenMessage, 0, `${name} capability has bad length ${length}`);
}

function header(w: BufferWriter, code: number, length: number): void {
  w.u8(code).u8(length);
}

function familyName(afi: number, safi: number): string {
  const a = afi === Afi.IPv4 ? 'ipv4' : afi === Afi.IPv6 ? 'ipv6' : `afi${afi}`;
  const s = safi === Safi.Unicast ? 'unicast' : safi === Safi.Multicast ? 'multicast' : `safi${safi}`;
  return `${a}/${s}`;
}

const MULTIPROTOCOL: CapabilityDescriptor = {
  code: CapabilityCode.Multiprotocol,
  name: 'multiprotocol',
  decode(buf, start, end, caps) {
    if (end - start !== 4) throw lengthError(this.name, end - start);
    caps.multiprotocol.push({ afi: buf.readUInt16BE(start), safi: buf[start + 3] });
  },
  encode(caps, w) {
    for (const f of caps.multiprotocol) {
      header(w, this.code, 4);
      w.u16(f.afi).u8(0).u8(f.safi);
    }
  },
  format(caps) {
    return caps.multiprotocol.length === 0
      ? null
      : `multiprotocol ${caps.multiprotocol.map((f) => familyName(f.afi, f.safi)).join(' ')}`;
  },
};

function flagCapability(code: number, name: string, field: 'routeRefresh' | 'enhancedRouteRefresh' | 'extendedMessage'): CapabilityDescriptor {
  return {
    code,
    name,
    decode(_buf, start, end, caps) {
      if (end !== start) throw lengthError(name, end - start);
      caps[field] = true;
    },
    encode(caps, w) {
      if (caps[field]) header(w, code, 0);
    },
    format(caps) {
      return caps[field] ? name : null;
    },
  };
}

const FOUR_OCTET_AS: CapabilityDescriptor = {
  code: CapabilityCode.FourOctetAs,
  name: '4-octet AS',
  decode(buf, start, end, caps) {
    if (end - start !== 4) throw lengthError(this.name, end - start);
    caps.fourOctetAs = buf.readUInt32BE(start);
  },
  encode(caps, w) {
    if (caps.fourOctetAs !== null) {
      header(w, this.code, 4);
      w.u32(caps.fourOctetAs);
    }
  },
  format(caps) {
    return caps.fourOctetAs === null ? null : `4-octet AS ${caps.fourOctetAs}`;
  },
};

const GRACEFUL_RESTART: CapabilityDescriptor = {
  code: CapabilityCode.GracefulRestart,
  name: 'graceful restart',
  decode(buf, start, end, caps) {
    const len = end - start;
    if (len < 2 || (len - 2) % 4 !== 0) throw lengthError(this.name, len);
    const word = buf.readUInt16BE(start);
    const flags = word >>> 12;
    const families: GracefulRestartFamily[] = [];
    for (let p = start + 2; p < end; p += 4) {
      families.push({ afi: buf.readUInt16BE(p), safi: buf[p + 2], forwardingPreserved: (buf[p + 3] & 0x80) !== 0 });
    }
    caps.gracefulRestart = {
      restarting: (flags & GracefulRestartFlag.Restart) !== 0,
      notification: (flags & GracefulRestartFlag.Notification) !== 0,
      restartTime: word & 0xfff,
      families,
    };
  },
  encode(caps, w) {
    const gr = caps.gracefulRestart;
    if (gr === null) return;
    header(w, this.code, 2 + 4 * gr.families.length);
    const flags = (gr.restarting ? GracefulRestartFlag.Restart : 0) | (gr.notification ? GracefulRestartFlag.Notification : 0);
    w.u16((flags << 12) | (gr.restartTime & 0xfff));
    for (const f of gr.families) w.u16(f.afi).u8(f.safi).u8(f.forwardingPreserved ? 0x80 : 0);
  },
  format(caps) {
    const gr = caps.gracefulRestart;
    if (gr === null) return null;
    const fams = gr.families.map((f) => `${familyName(f.afi, f.safi)}${f.forwardingPreserved ? '(F)' : ''}`).join(' ');
    return `graceful restart time ${gr.restartTime}${gr.restarting ? ' R' : ''}${gr.notification ? ' N' : ''}${fams ? ' ' + fams : ''}`;
  },
};

const ADD_PATH: CapabilityDescriptor = {
  code: CapabilityCode.AddPath,
  name: 'ADD-PATH',
  decode(buf, start, end, caps) {
    const len = end - start;
    if (len === 0 || len % 4 !== 0) throw lengthError(this.name, len);
    for (let p = start; p < end; p += 4) {
      const mode = buf[p + 3];
      caps.addPath.push({
        afi: buf.readUInt16BE(p),
        safi: buf[p + 2],
        send: (mode & AddPathMode.Send) !== 0,
        receive: (mode & AddPathMode.Receive) !== 0,
      });
    }
  },
  encode(caps, w) {
    if (caps.addPath.length === 0) return;
    header(w, this.code, 4 * caps.addPath.length);
    for (const f of caps.addPath) {
      w.u16(f.afi).u8(f.safi).u8((f.send ? AddPathMode.Send : 0) | (f.receive ? AddPathMode.Receive : 0));
    }
  },
  format(caps) {
    if (caps.addPath.length === 0) return null;
    return `ADD-PATH ${caps.addPath
      .map((f) => `${familyName(f.afi, f.safi)}:${f.send && f.receive ? 'send/receive' : f.send ? 'send' : 'receive'}`)
      .join(' ')}`;
  },
};

/** The capability table, in the order we encode (codes ascending). */
export const CAPABILITY_TABLE: readonly CapabilityDescriptor[] = [
  MULTIPROTOCOL,
  flagCapability(CapabilityCode.RouteRefresh, 'route refresh', 'routeRefresh'),
  flagCapability(CapabilityCode.ExtendedMessage, 'extended message', 'extendedMessage'),
  GRACEFUL_RESTART,
  FOUR_OCTET_AS,
  ADD_PATH,
  flagCapability(CapabilityCode.EnhancedRouteRefresh, 'enhanced route refresh', 'enhancedRouteRefresh'),
];

const BY_CODE = new Map<number, CapabilityDescriptor>(CAPABILITY_TABLE.map((d) => [d.code, d]));

/** Reads the capabilities of one Capabilities optional parameter value (RFC 5492) into caps. */
export function decodeCapabilities(buf: Buffer, start: number, end: number, caps: Capabilities): void {
  let p = start;
  while (p < end) {
    if (end - p < 2) throw new BgpError(ErrorCode.OpenMessage, 0, 'truncated capability header');
    const code = buf[p];
    const len = buf[p + 1];
    const vStart = p + 2;
    const vEnd = vStart + len;
    if (vEnd > end) throw new BgpError(ErrorCode.OpenMessage, 0, `capability ${code} overruns its parameter`);
    const d = BY_CODE.get(code);
    if (d === undefined) caps.unknown.push({ code, value: Uint8Array.from(buf.subarray(vStart, vEnd)) });
    else d.decode(buf, vStart, vEnd, caps);
    p = vEnd;
  }
}

/** Writes every capability in caps (code, length, value each), known ones in table order, then unknown ones. */
export function encodeCapabilities(caps: Capabilities, w: BufferWriter): void {
  for (const d of CAPABILITY_TABLE) d.encode(caps, w);
  for (const u of caps.unknown) {
    header(w, u.code, u.value.length);
    w.bytes(u.value);
  }
}

export function formatCapabilities(caps: Capabilities): string[] {
  const out: string[] = [];
  for (const d of CAPABILITY_TABLE) {
    const s = d.format(caps);
    if (s !== null) out.push(s);
  }
  for (const u of caps.unknown) out.push(`capability ${u.code} (${u.value.length} bytes)`);
  return out;
}

function hasFamily(list: AfiSafi[], afi: number, safi: number): boolean {
  return list.some((f) => f.afi === afi && f.safi === safi);
}

/** The families both sides announced (RFC 4760: IPv4 unicast is implied when neither sends multiprotocol). */
export function negotiatedFamilies(local: Capabilities, remote: Capabilities): AfiSafi[] {
  const l = local.multiprotocol.length === 0 ? [{ afi: Afi.IPv4, safi: Safi.Unicast }] : local.multiprotocol;
  const r = remote.multiprotocol.length === 0 ? [{ afi: Afi.IPv4, safi: Safi.Unicast }] : remote.multiprotocol;
  return l.filter((f) => hasFamily(r, f.afi, f.safi));
}

/** True when we may receive path identifiers for afi/safi: we said receive and the peer said send (RFC 7911 4). */
export function addPathReceive(local: Capabilities, remote: Capabilities, afi: number, safi: number): boolean {
  const l = local.addPath.find((f) => f.afi === afi && f.safi === safi);
  const r = remote.addPath.find((f) => f.afi === afi && f.safi === safi);
  return l !== undefined && r !== undefined && l.receive && r.send;
}

/** The options to decode what the peer sends us, from both OPENs' capabilities. */
export function negotiateDecodeOptions(local: Capabilities, remote: Capabilities): DecodeOptions {
  return {
    fourOctetAs: local.fourOctetAs !== null && remote.fourOctetAs !== null,
    addPathIpv4: addPathReceive(local, remote, Afi.IPv4, Safi.Unicast),
    addPathIpv6: addPathReceive(local, remote, Afi.IPv6, Safi.Unicast),
    extendedMessage: local.extendedMessage && remote.extendedMessage,
  };
}

/** The options to encode what we send the peer (ADD-PATH in the other direction). */
export function negotiateEncodeOptions(local: Capabilities, remote: Capabilities): DecodeOptions {
  return negotiateDecodeOptions(remote, local);
}

