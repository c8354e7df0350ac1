// The original supersparrow's (2000) command line and /etc/supersparrow.conf, read as it read them:
//
//   supersparrow --peer 65751=192.168.192.13,64750=192.168.193.11 --self 192.168.192.13 --source 192.168.193.15
//                [--route_server zebra --host H --port P --password PW] [--batch] [--debug] [--verbose]
//                [-f|--config_file FILE]
//
// plus --socket (ask a running daemon) and --mrt (answer offline from an MRT dump). Parsing and validation only:
// what to do with the options is the caller's. node:util's parseArgs, not commander: nothing to load (RSS, see
// src/config/load.ts); it reads `--opt value`, `--opt=value`, `-s value` and `-svalue`.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';

export interface ClassicPeer {
  as: number;
  /** An address or host name, as given: what is answered when the best route leads through `as`. */
  answer: string;
}

export interface ClassicOptions {
  peers: ClassicPeer[];
  /** This POP's answer (the original warned "Self not set" when missing: the caller's to do). */
  self: string | null;
  /** The client address to look up. */
  source: string | null;
  /** zebra, quagga, frr or cisco; null when not given (the caller picks the default source). */
  routeServer: string | null;
  /** The route server's host; 'localhost' unless given. */
  host: string;
  /** The route server's port; null when not given (the caller's default depends on the route server). */
  port: number | null;
  password: string | null;
  batch: boolean;
  debug: boolean;
  verbose: boolean;
  /** A running daemon's control socket to ask. */
  socket: string | null;
  /** An MRT RIB dump to answer from, offline. */
  mrt: string | null;
  /** -h/--help: nothing else was read or checked (the other fields are the defaults). */
  help: boolean;
  /** The config file actually read, or null (none given and the default one does not exist, or --help). */
  configFile: string | null;
}

/** A bad command line or config file; the message says what and where (`FILE:LINE: ` for the file). */
export class ClassicUsageError extends Error {
  override readonly name = 'ClassicUsageError';
  readonly exitCode = 2;
}

export const DEFAULT_CLASSIC_CONFIG_FILE = '/etc/supersparrow.conf';
export const CLASSIC_ROUTE_SERVERS: readonly string[] = ['zebra', 'quagga', 'frr', 'cisco'];

/** Every option: long name (as on the command line and in the file), its short name, whether it takes a value. */
const OPTIONS = {
  peer: { type: 'string', multiple: true },
  self: { type: 'string', short: 's' },
  source: { type: 'string' },
  route_server: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  password: { type: 'string' },
  batch: { type: 'boolean' },
  debug: { type: 'boolean' },
  verbose: { type: 'boolean' },
  config_file: { type: 'string', short: 'f' },
  socket: { type: 'string' },
  mrt: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Name = keyof typeof OPTIONS;
const NAMES = Object.keys(OPTIONS) as Name[];
const SHORT: Record<string, Name> = { s: 'self', f: 'config_file', h: 'help' };
/** Where the answers come from: alternatives. */
const SOURCES: readonly Name[] = ['socket', 'mrt', 'route_server'];

export const CLASSIC_HELP = `Usage: supersparrow --peer AS=ANSWER[,AS=ANSWER...] --self ANSWER --source ADDRESS [options]

Prints the answer of the peer (POP) network-wise closest to ADDRESS: the best route to it is looked up and the
answer of the --peer whose AS the route leads through is printed; --self's when it names none.
An ANSWER is an IPv4 or IPv6 address or a host name.

      --peer AS=ANSWER[,...]   the POPs: each AS (asplain or asdot) with its answer; repeat to add more
  -s, --self ANSWER            this POP's answer (a warning if unset)
      --source ADDRESS         the client address to look up
      --route_server TYPE      ask a route server: zebra, quagga, frr or cisco
      --host HOST              the route server's host (default: localhost)
      --port PORT              the route server's port (default: 2605 for zebra, quagga and frr; 23 for cisco)
      --password PASSWORD      the route server's password
      --socket PATH            ask a running supersparrow daemon at its control socket
      --mrt FILE               answer offline from an MRT RIB dump
      --batch                  read addresses from stdin, one a line, and answer each
      --debug                  debugging mode: log internal errors too
      --verbose                show the query to and the answer from the route server
  -f, --config_file FILE       read options from FILE (default: ${DEFAULT_CLASSIC_CONFIG_FILE}, if it exists)
  -h, --help                   show this help

At most one of --route_server, --socket and --mrt.
The config file holds "KEY VALUE" lines, KEY a long or short option name without dashes (peer 65751=192.0.2.1,
s 192.0.2.1); a flag stands alone or takes 1/yes/true/on or 0/no/false/off. "#" starts a comment; blank lines
are ignored, and so are help/h and config_file/f. The command line overrides the file option by option
(--peer: all the command line's --peer replace the file's; repeated --peer, or peer lines, add up), and
--route_server/--socket/--mrt on the command line replace the file's choice among them.
`;

/** One option given once: its value, and where (`FILE:LINE: ` or '' for the command line) for messages. */
interface Given {
  value: string | boolean;
  where: string;
  /** The file's line, 0 for the command line: problems are listed in this order. */
  line: number;
  /** The option as the user wrote it: `--peer` or `-s` on the command line, `peer` or `s` in the file. */
  label: string;
}

type GivenMap = Map<Name, Given[]>;

interface Problem {
  line: number;
  text: string;
}

/** argv without the program name; readFile injectable for tests; defaultConfigFile default '/etc/supersparrow.conf'. */
export function parseClassicArgs(
  argv: string[],
  opts: { readFile?: (path: string) => string | null; defaultConfigFile?: string } = {},
): ClassicOptions {
  const readFile = opts.readFile ?? readFileOrNull;
  const cli = parseCommandLine(argv);
  const defaults: ClassicOptions = {
    peers: [], self: null, source: null, routeServer: null, host: 'localhost', port: null, password: null,
    batch: false, debug: false, verbose: false, socket: null, mrt: null, help: false, configFile: null,
  };
  if (cli.has('help')) return { ...defaults, help: true };

  const explicit = last(cli, 'config_file');
  const path = explicit !== undefined ? String(explicit.value) : (opts.defaultConfigFile ?? DEFAULT_CLASSIC_CONFIG_FILE);
  if (path === '') throw new ClassicUsageError(`${explicit!.label}: needs a file name`);
  let text: string | null;
  try {
    text = readFile(path);
  } catch (err) {
    throw new ClassicUsageError(`${path}: cannot read: ${(err as Error).message}`);
  }
  if (text === null && explicit !== undefined) throw new ClassicUsageError(`${path}: cannot read: no such file`);

  const problems: Problem[] = [];
  const file: GivenMap = text === null ? new Map() : parseConfigFile(text, path, problems);
  // The command line's choice among the alternative sources replaces the file's whole choice.
  if (SOURCES.some((n) => cli.has(n))) for (const n of SOURCES) file.delete(n);
  const pick = (name: Name): Given[] => cli.get(name) ?? file.get(name) ?? [];
  const string = (name: Name): Given | undefined => pick(name).at(-1);
  // A flag on the command line can only turn it on; the file's may say either.
  const flag = (name: Name): boolean => cli.has(name) || pick(name).at(-1)?.value === true;

  const result: ClassicOptions = { ...defaults, configFile: text === null ? null : path };
  for (const g of pick('peer')) result.peers.push(...parsePeers(g, problems));
  const self = string('self');
  if (self) result.self = check(self, problems, isAnswer, 'must be an IPv4 or IPv6 address or a host name');
  const source = string('source');
  if (source) result.source = check(source, problems, (v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address');
  const routeServer = string('route_server');
  if (routeServer) {
    result.routeServer = check(routeServer, problems, (v) => CLASSIC_ROUTE_SERVERS.includes(v),
      `must be one of the route servers known: ${CLASSIC_ROUTE_SERVERS.join(', ')}`);
  }
  const host = string('host');
  if (host) result.host = check(host, problems, isAnswer, 'must be an IPv4 or IPv6 address or a host name') ?? result.host;
  const port = string('port');
  if (port) {
    const p = check(port, problems, (v) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535, 'must be a port 1..65535');
    result.port = p === null ? null : Number(p);
  }
  const password = string('password');
  if (password) result.password = String(password.value);
  const socket = string('socket');
  if (socket) result.socket = check(socket, problems, (v) => v !== '', 'needs a path');
  const mrt = string('mrt');
  if (mrt) result.mrt = check(mrt, problems, (v) => v !== '', 'needs a file name');
  result.batch = flag('batch');
  result.debug = flag('debug');
  result.verbose = flag('verbose');

  const sources = SOURCES.map((n) => string(n)).filter((g): g is Given => g !== undefined);
  if (sources.length > 1) {
    // All from the command line or all from the file (the command line's choice drops the file's): the last one.
    const latest = sources.reduce((a, b) => (b.line > a.line ? b : a));
    problems.push({
      line: latest.line,
      text: `${latest.where}give at most one of --route_server, --socket and --mrt (given: ${sources.map((g) => g.label).join(', ')})`,
    });
  }
  if (problems.length > 0) {
    // The command line's first, then the file's in line order (sort is stable).
    throw new ClassicUsageError(problems.sort((a, b) => a.line - b.line).map((p) => p.text).join('\n'));
  }
  return result;
}

/**
 * Whether argv (without the program name) is the original's invocation rather than a subcommand: its first
 * argument is one of the classic options (`--peer`, `--peer=...`, `-s`, `-sVALUE`, `-f`...). Not for -h/--help
 * alone: `supersparrow --help` prints the modern help, which mentions the classic options.
 */
export function isClassicInvocation(argv: string[]): boolean {
  const first = argv[0];
  if (first === undefined || !first.startsWith('-') || first === '-' || first === '--') return false;
  if (first.startsWith('--')) {
    const name = first.slice(2).split('=')[0]!;
    return name !== 'help' && (NAMES as string[]).includes(name);
  }
  return first[1] === 's' || first[1] === 'f';
}

function parseCommandLine(argv: string[]): GivenMap {
  let tokens;
  try {
    ({ tokens } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false, tokens: true }));
  } catch (err) {
    // Node's messages run over several lines; one will do, with where to look.
    const message = (err as Error).message.replace(/\s*\n\s*/g, ' ');
    throw new ClassicUsageError(`${message} (see supersparrow --help)`);
  }
  const given: GivenMap = new Map();
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const name = t.name as Name;
    add(given, name, { value: t.value ?? true, where: '', line: 0, label: t.rawName });
  }
  return given;
}

/** `KEY VALUE` lines; `#` to the end of a line is a comment. Problems are collected, `FILE:LINE: ` first. */
function parseConfigFile(text: string, file: string, problems: Problem[]): GivenMap {
  const given: GivenMap = new Map();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const where = `${file}:${line}: `;
    const problem = (message: string): void => {
      problems.push({ line, text: where + message });
    };
    const hash = raw.indexOf('#');
    const content = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (content === '') return;
    const [, key, rest] = /^(\S+)\s*(.*)$/.exec(content)! as unknown as [string, string, string];
    const name = SHORT[key] ?? ((NAMES as string[]).includes(key) ? (key as Name) : undefined);
    if (name === undefined) {
      problem(`unknown option "${key}"`);
      return;
    }
    if (name === 'help' || name === 'config_file') return; // meaningless in the file
    const value = rest.trim();
    if (OPTIONS[name].type === 'boolean') {
      const on = value === '' || /^(1|yes|true|on)$/i.test(value);
      if (!on && !/^(0|no|false|off)$/i.test(value)) {
        problem(`${key}: takes no value, or one of 1, yes, true, on, 0, no, false, off`);
        return;
      }
      add(given, name, { value: on, where, line, label: key });
    } else if (value === '') {
      problem(`${key}: needs a value`);
    } else {
      add(given, name, { value, where, line, label: key });
    }
  });
  return given;
}

/** One `--peer` value: `AS=ANSWER[,AS=ANSWER...]`. */
function parsePeers(g: Given, problems: Problem[]): ClassicPeer[] {
  const text = String(g.value);
  const peers: ClassicPeer[] = [];
  const bad = (message: string): void => {
    problems.push({ line: g.line, text: `${g.where}${g.label} "${text}": ${message}` });
  };
  for (const part of text.split(',').map((p) => p.trim())) {
    const eq = part.indexOf('=');
    if (part === '' || eq < 0) {
      bad(`${part === '' ? 'an empty entry' : `"${part}"`} is not AS=ANSWER (expected AS=ANSWER[,AS=ANSWER...], e.g. 65751=192.168.192.13)`);
      continue;
    }
    const asText = part.slice(0, eq).trim();
    const answer = part.slice(eq + 1).trim();
    const as = parseAs(asText);
    if (as === null) bad(`"${asText}" is not an AS number (1..4294967295, or asdot 0.1..65535.65535)`);
    if (answer === '') bad(`AS ${asText} has no answer after "="`);
    else if (!isAnswer(answer)) bad(`"${answer}" is neither an IPv4 or IPv6 address nor a host name`);
    if (as !== null && answer !== '' && isAnswer(answer)) peers.push({ as, answer });
  }
  return peers;
}

function check(g: Given, problems: Problem[], ok: (value: string) => boolean, message: string): string | null {
  const value = String(g.value);
  if (ok(value)) return value;
  problems.push({ line: g.line, text: `${g.where}${g.label} "${value}": ${message}` });
  return null;
}

/** asplain (1..4294967295) or asdot (HIGH.LOW, each 0..65535, not 0.0). */
function parseAs(text: string): number | null {
  let as: number;
  const dot = /^(\d{1,5})\.(\d{1,5})$/.exec(text);
  if (dot) {
    const [hi, lo] = [Number(dot[1]), Number(dot[2])];
    if (hi > 0xffff || lo > 0xffff) return null;
    as = hi * 65536 + lo;
  } else if (/^\d{1,10}$/.test(text)) as = Number(text);
  else return null;
  return as >= 1 && as <= 0xffffffff ? as : null;
}

/** An IPv4 or IPv6 address, or a DNS name (letters, digits, hyphens; not all digits, which is a bad address). */
function isAnswer(text: string): boolean {
  if (isIP(text) !== 0) return true;
  if (/^[\d.]+$/.test(text)) return false;
  const bare = text.endsWith('.') ? text.slice(0, -1) : text;
  return bare !== '' && bare.length <= 253 && bare.split('.').every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

function add(map: GivenMap, name: Name, g: Given): void {
  const list = map.get(name);
  if (list) list.push(g);
  else map.set(name, [g]);
}

function last(map: GivenMap, name: Name): Given | undefined {
  return map.get(name)?.at(-1);
}

/** The file's text, or null if it does not exist. */
function readFileOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}
