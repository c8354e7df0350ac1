// Parsers for the text a route server's console prints: `show ip bgp ADDR` (and its IPv6 forms) as one route with
// its paths, and the table of `show ip bgp P/L longer-prefixes` as the prefixes it lists.
//
// One parser serves Zebra 0.8x/0.9x, Quagga, FRR and Cisco IOS / IOS-XE: they all descend from the same layout
// (header, `Paths:` line, then per path an AS path line, a next-hop line `NH from PEER (ROUTER-ID)` and indented
// attribute lines). Paths are found by their next-hop line, which every generation prints, and the AS path is the
// line just above it; every other line is read when it is known (Origin, Community, Large Community) and skipped
// otherwise (Refresh Epoch, rx pathid, RPKI state, Last update, AddPath ID, Dampinfo, ...), so that lines a
// release adds do not break the parse.

import {
  garbled,
  guarded,
  isSelfAddress,
  parseAsPathText,
  readAddress,
  readClassfulNetwork,
  readCommunities,
  readLargeCommunities,
  readPrefix,
  readUint32,
} from './parse-common.js';
import { RouteServerError, type ConsolePath, type ConsoleRoute, type Dialect } from './types.js';

/** What differs between dialects in the text they print. */
interface TextDialect {
  /** AS numbers may be printed in asdot ("1.10"). */
  asdot: boolean;
  /** Table rows may print a classful network without its length ("10.0.0.0" for 10.0.0.0/8). */
  classful: boolean;
}

const TEXT_DIALECTS: Record<Dialect, TextDialect> = {
  zebra: { asdot: false, classful: true },
  quagga: { asdot: false, classful: true },
  // FRR 9.1+ prints asdot with `bgp as-notation dot`; FRR always prints the length of a network.
  'frr-text': { asdot: true, classful: false },
  'frr-json': { asdot: true, classful: false },
  cisco: { asdot: true, classful: true },
};

/** Lines without their line ends ("\r\n" from a telnet vty, Quagga's lone "\r" after ctime's "\n"). */
function splitLines(output: string): string[] {
  return output.replace(/\r/g, '').split('\n');
}

/** Console messages that mean "no such route" rather than an error. */
const NOT_IN_TABLE = /^%\s*Network not in table/i;
/** Cisco's position marker above `% Invalid input detected at '^' marker.` */
const CARET_LINE = /^\s*\^\s*$/;
/** Quagga answers a malformed address without the usual '%'. */
const MALFORMED = /^(?:%\s*)?(?:address|prefix) is malformed/i;

/**
 * The first line with content decides whether the console answered at all: "% Network not in table" is no route
 * (returns 'none'), any other '%' message (`% Unknown command`, `% Invalid input detected at '^' marker.`,
 * `% Ambiguous command`, `% Command incomplete`, `% BGP instance not found`, ...) is a refused command.
 * Returns the index of that line, or -1 when the output is blank.
 */
function checkConsoleMessage(lines: string[]): number | 'none' {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || CARET_LINE.test(line)) continue;
    const text = line.trim();
    if (NOT_IN_TABLE.test(text)) return 'none';
    if (text.startsWith('%') || MALFORMED.test(text)) throw new RouteServerError('command', `console refused the command: ${text}`);
    return i;
  }
  return -1;
}

const HEADER = /^BGP routing table entry for ([^\s,]+)(?:,.*)?$/;
const PATHS = /^Paths: \((\d+) available(.*)\)$/;
/** `NH[(host)] [(metric N)|(inaccessible)|(via ...)]* from PEER [(ROUTER-ID)] ...` */
const NEXT_HOP = /^\s*([^\s(]+)(?:\([^)]*\))?(?:\s+\([^)]*\))*\s+from\s+(\S+)/;
const ORIGIN = /^Origin (IGP|EGP|incomplete)\b(.*)$/i;
/** A line that continues a wrapped community list: nothing but `a:b` (or `a:b:c`) tokens. */
const COMMUNITY_CONTINUATION = /^\d+:\d+(?::\d+)?(?:\s+\d+:\d+(?::\d+)?)*$/;

/** A next-hop line: the next hop and the neighbor as read; null when the line is not one. */
function readNextHopLine(line: string): { nextHop: string; from: string } | null {
  if (!line.includes(' from ')) return null;
  const m = NEXT_HOP.exec(line);
  if (!m) return null;
  const nextHop = readAddress(m[1]!);
  if (nextHop === null) return null;
  return { nextHop, from: m[2]! };
}

/**
 * The neighbor of `from X`: an address, `hostname(address)` (FRR with hostname capability), or an interface of an
 * unnumbered session (`ens3f0np0`, `spine01(swp51)`), kept as printed.
 */
function readFrom(text: string): string {
  const address = readAddress(text);
  if (address !== null) return address;
  const inner = /^[^()]+\(([^()]+)\)$/.exec(text);
  if (inner) return readAddress(inner[1]!) ?? text;
  return text;
}

/** A MED or LOCAL_PREF. Zebra and early Quagga printed them with %d, so values of 2^31 and above came out negative. */
function readAttributeNumber(text: string, what: string): number {
  const negative = /^-\d{1,10}$/.test(text) ? Number(text) : null;
  if (negative !== null && negative >= -0x80000000) return negative + 0x100000000;
  const value = readUint32(text);
  if (value === null) throw garbled(`bad ${what} "${text}"`);
  return value;
}

interface PathBlock {
  asPathLine: number;
  nextHopLine: number;
  nextHop: string;
  from: string;
}

/**
 * Parses the output of `show ip bgp ADDR` / `show bgp ipv6 ADDR` / `show ipv6 bgp ADDR` /
 * `show bgp ipv6 unicast ADDR` (without the echoed command and the prompt; blank lines around it and "\r\n" line
 * ends are fine). Returns null for "% Network not in table". Throws RouteServerError 'command' when the console
 * refused the command and 'garbled' for output it cannot read; nothing else.
 */
export function parseShowBgp(output: string, dialect: Dialect): ConsoleRoute | null {
  return guarded('show bgp output', () => parseShowBgpLines(splitLines(output), TEXT_DIALECTS[dialect] ?? TEXT_DIALECTS.cisco));
}

function parseShowBgpLines(lines: string[], dialect: TextDialect): ConsoleRoute | null {
  const first = checkConsoleMessage(lines);
  if (first === 'none') return null;
  if (first < 0) throw garbled('no output');
  const header = HEADER.exec(lines[first]!.trim());
  if (!header) throw garbled(`no "BGP routing table entry for" header: "${lines[first]!.trim().slice(0, 80)}"`);
  const prefix = readPrefix(header[1]!);
  if (prefix === null) throw garbled(`bad prefix "${header[1]}" in the header`);

  // the path blocks, each found by its next-hop line
  const blocks: PathBlock[] = [];
  let pathsLine = -1;
  for (let i = first + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (HEADER.test(line.trim())) throw garbled('more than one "BGP routing table entry" in the output');
    if (pathsLine < 0 && PATHS.test(line.trim())) {
      pathsLine = i;
      continue;
    }
    const nh = readNextHopLine(line);
    if (!nh) continue;
    if (pathsLine < 0) throw garbled('a path before the "Paths:" line');
    const previous = blocks[blocks.length - 1];
    if (i - 1 <= pathsLine || (previous && i - 1 <= previous.nextHopLine)) throw garbled(`no AS path line above "${line.trim()}"`);
    blocks.push({ asPathLine: i - 1, nextHopLine: i, ...nh });
  }
  if (pathsLine < 0) throw garbled('no "Paths:" line');
  const paths = PATHS.exec(lines[pathsLine]!.trim())!;
  const available = Number(paths[1]);
  const bestNumber = /\bbest #(\d+)/.exec(paths[2]!);
  // A console lists every path it counts; fewer means the output was cut short (a pager, a dropped connection).
  if (blocks.length !== available) throw garbled(`"Paths:" says ${available} available, the output lists ${blocks.length}`);

  const parsed = blocks.map((block, index) => {
    const end = index + 1 < blocks.length ? blocks[index + 1]!.asPathLine : lines.length;
    return readPath(lines, block, end, dialect);
  });

  // The path the console marks best; else the one `best #K` names (an attribute line broken across two lines
  // hides the mark, FRR 3 shows it).
  let best = parsed.findIndex((p) => p.best);
  if (best < 0 && bestNumber) {
    const k = Number(bestNumber[1]);
    if (k >= 1 && k <= parsed.length) best = k - 1;
  }
  parsed.forEach((p, i) => {
    p.best = i === best;
  });
  return { prefix, paths: parsed, best };
}

/** One path: its AS path line, next-hop line and the attribute lines up to the next path's AS path line. */
function readPath(lines: string[], block: PathBlock, end: number, dialect: TextDialect): ConsolePath {
  // the AS path ends at the first top-level comma: `64512 {1,2}, (aggregated by 64512 10.0.0.1), (received & used)`
  const asLine = lines[block.asPathLine]!.trim();
  let depth = 0;
  let cut = asLine.length;
  for (let i = 0; i < asLine.length; i++) {
    const ch = asLine[i]!;
    if ('{(['.includes(ch)) depth++;
    else if ('})]'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      cut = i;
      break;
    }
  }
  const asPath = parseAsPathText(asLine.slice(0, cut), dialect.asdot);

  const from = readFrom(block.from);
  const path: ConsolePath = {
    asPath,
    nextHop: block.nextHop,
    from,
    origin: null,
    med: null,
    localPref: null,
    communities: [],
    largeCommunities: [],
    best: false,
    valid: false,
    local: isSelfAddress(from),
    internal: false,
  };

  let sawOrigin = false;
  // the list a continuation line belongs to (Cisco wraps long community lists onto deeper-indented lines)
  let continued: { indent: number; kind: 'community' | 'large' } | null = null;
  for (let i = block.nextHopLine + 1; i < end; i++) {
    const line = lines[i]!;
    const text = line.trim();
    const indent = line.length - line.trimStart().length;
    if (continued && indent > continued.indent && COMMUNITY_CONTINUATION.test(text)) {
      if (continued.kind === 'community') path.communities.push(...readCommunities(text));
      else path.largeCommunities.push(...readLargeCommunities(text));
      continue;
    }
    continued = null;
    const origin = ORIGIN.exec(text);
    if (origin) {
      if (sawOrigin) throw garbled(`two Origin lines in path ${block.asPathLine}`);
      sawOrigin = true;
      readAttributeLine(path, origin[1]!, origin[2]!);
    } else if (text.startsWith('Community:')) {
      path.communities.push(...readCommunities(text.slice('Community:'.length)));
      continued = { indent, kind: 'community' };
    } else if (text.startsWith('Large Community:')) {
      path.largeCommunities.push(...readLargeCommunities(text.slice('Large Community:'.length)));
      continued = { indent, kind: 'large' };
    }
  }
  if (!sawOrigin) throw garbled(`no "Origin" line for the path from ${block.from}`);
  if (path.local) path.from = null;
  return path;
}

/** `Origin IGP, metric 0, localpref 100, weight 32768, valid, sourced, local, atomic-aggregate, best (reason)` */
function readAttributeLine(path: ConsolePath, origin: string, rest: string): void {
  path.origin = origin.toLowerCase() as ConsolePath['origin'];
  for (const raw of rest.split(',')) {
    const item = raw.trim();
    const words = item.split(/\s+/);
    switch (words[0]) {
      case 'metric':
        if (words.length === 2) path.med = readAttributeNumber(words[1]!, 'metric');
        break;
      case 'localpref':
        if (words.length === 2) path.localPref = readAttributeNumber(words[1]!, 'localpref');
        break;
      case 'valid':
        path.valid = true;
        break;
      case 'internal':
      case 'confed-internal':
        path.internal = true;
        break;
      case 'sourced':
      case 'local':
        path.local = true;
        break;
      default:
        // `best`, FRR's `best (First path received)`; not `bestpath-from-AS 65001`
        if (/^best(?:\s*\(.*\))?$/.test(item)) path.best = true;
    }
  }
}

/** Legend lines above a table; a console that has no rows to show prints at most these. */
const TABLE_LEGEND =
  /^(?:BGP table version is|BGP local router ID is|Default local pref|Status codes|Nexthop codes|Origin codes|RPKI validation codes|Path source|For address family)/;
/** Lines below a table: FRR's and Quagga's counts. */
const TABLE_FOOTER = /^(?:Displayed\s+\d+|Total number of prefixes|Total num)/;
const TABLE_HEADER = /^(\s*)Network\s+Next Hop/;
/** Status codes of a table row (Zebra/Quagga/FRR s d h * > = i r S R; Cisco m b f x a c t L; RPKI N V I). */
const STATUS_CHARS = new Set('sdh*>=irSRmbfxactLNVIu ');

/**
 * Parses the table of `show ip bgp P/L longer-prefixes` / `show bgp ipv6 P/L longer-prefixes`: the networks it
 * lists, canonical and each once, in order. A row without a network (more paths of the network above) or the next
 * hop of a network printed on its own line is skipped; networks Zebra, Quagga and Cisco print without a length are
 * classful. No table (no output, or only the legend) is []. Throws RouteServerError 'command' or 'garbled'.
 */
export function parseLongerPrefixes(output: string, dialect: Dialect): string[] {
  return guarded('longer-prefixes output', () =>
    parseTableLines(splitLines(output), TEXT_DIALECTS[dialect] ?? TEXT_DIALECTS.cisco),
  );
}

function parseTableLines(lines: string[], dialect: TextDialect): string[] {
  const first = checkConsoleMessage(lines);
  if (first === 'none' || first < 0) return [];
  const headerAt = lines.findIndex((l) => TABLE_HEADER.test(l));
  if (headerAt < 0) {
    // without a table only the legend may be there; an indented line continues the legend line above it
    let inLegend = false;
    for (const line of lines) {
      const text = line.trim();
      if (text === '') continue;
      inLegend = TABLE_LEGEND.test(text) || TABLE_FOOTER.test(text) || (inLegend && /^\s/.test(line));
      if (!inLegend) throw garbled(`no table header ("Network  Next Hop") before "${text.slice(0, 80)}"`);
    }
    return [];
  }
  // A network starts well left of the Next Hop column; a token at that column is the next hop of a
  // continuation row or of a network that took a line of its own.
  const nextHopColumn = lines[headerAt]!.indexOf('Next Hop');
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    const text = line.trim();
    if (text === '' || TABLE_FOOTER.test(text)) continue;
    if (/^Route Distinguisher:/.test(text)) throw garbled('a VPN table (Route Distinguisher) is not a unicast table');
    const network = readRowNetwork(line, nextHopColumn, dialect);
    if (network === undefined) throw garbled(`unreadable table row "${text.slice(0, 80)}"`);
    if (network !== null && !seen.has(network)) {
      seen.add(network);
      out.push(network);
    }
  }
  return out;
}

/**
 * The network of a table row; null for a row without one; undefined for a line that is not a row. The status
 * codes may run into the network ("*>i10.0.0.0/8"), so each place after a status code is tried in turn.
 */
function readRowNetwork(line: string, nextHopColumn: number, dialect: TextDialect): string | null | undefined {
  let statusEnd = 0;
  while (statusEnd < line.length && STATUS_CHARS.has(line[statusEnd]!)) statusEnd++;
  const limit = nextHopColumn > 0 ? nextHopColumn - 2 : 18;
  for (let p = 0; p <= statusEnd && p < line.length; p++) {
    if (line[p] === ' ' || p >= limit) continue;
    const token = line.slice(p).split(/\s/, 1)[0]!;
    const network = token.includes('/') ? readPrefix(token) : dialect.classful ? readClassfulNetwork(token) : null;
    if (network !== null) return network;
  }
  // no network: a continuation row (status codes, then the next hop at its column) or a wrapped next hop / metric
  const rest = line.slice(statusEnd);
  if (rest.trim() === '' || line.length - line.trimStart().length >= limit || statusEnd >= limit) return null;
  return undefined;
}
