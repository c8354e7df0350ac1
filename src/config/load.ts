import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { LineCounter as LineCounterType, Node, YAMLMap } from 'yaml';

// CommonJS packages are loaded with require(), not import: Node answers an ESM import of a CommonJS module by running
// its JavaScript lexer (cjs-module-lexer) over the module's source, and that of every module it re-exports, to find
// the export names. Doing so for our four packages cost the idle daemon ~7 MiB of RSS (62.7 -> 55.6 MiB measured,
// mostly the malloc arenas of V8's compiler threads that optimised the lexer), and as much after a full-table load.
// Of ip-num only its Validator module (and the three it needs): the package index loads all fifteen (~1 MiB RSS).
const require = createRequire(import.meta.url);
const { Validator } = require('ip-num/dist/src/Validator.js') as typeof import('ip-num/dist/src/Validator.js');
const { isMap, isScalar, isSeq, LineCounter, parseDocument } = require('yaml') as typeof import('yaml');
import {
  DEFAULT_BGP_PORT,
  DEFAULT_CONNECT_RETRY,
  DEFAULT_HOLD_TIME,
  DEFAULT_MAX_PREFIX_RESTART_AFTER,
  DEFAULT_STALE_PATH_TIME,
  LOG_LEVELS,
  type BgpConfig,
  type Config,
  type GracefulRestartConfig,
  type ListenConfig,
  type LogLevel,
  type MaxPrefixesConfig,
  type NeighborConfig,
} from './schema.js';

/** One problem in a configuration file, located to a line and column (1-based). */
export interface ConfigProblem {
  line: number;
  col: number;
  path: string;
  message: string;
}

/** Every problem found in a file; the message lists them one a line as `FILE:LINE:COL: PATH: MESSAGE`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(problems.map((p) => `${file}:${p.line}:${p.col}: ${p.path ? p.path + ': ' : ''}${p.message}`).join('\n'));
  }
}

export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ line: 0, col: 0, path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseConfig(text, file);
}

/** Parses and validates YAML text; throws ConfigError listing every problem found. */
export function parseConfig(text: string, file = '<config>'): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    problems.push({ line: pos.line, col: pos.col, path: '', message: e.message.split('\n')[0]! });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  const v = new Validator_(lineCounter, problems);
  const config = v.config(doc.contents as Node | null, file);
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}

type Located = Node | null | undefined;

/** Walks the YAML node tree so that every complaint can point at the node it is about. */
class Validator_ {
  constructor(
    private readonly lines: LineCounterType,
    private readonly problems: ConfigProblem[],
  ) {}

  private report(node: Located, fallback: Located, path: string, message: string): void {
    const at = node?.range?.[0] ?? fallback?.range?.[0] ?? 0;
    const pos = this.lines.linePos(at);
    this.problems.push({ line: pos.line, col: pos.col, path, message });
  }

  config(root: Node | null, file: string): Config {
    const top = this.map(root, root, '', ['bgp', 'neighbors', 'control', 'log']);
    const bgp = this.bgp(this.get(top, 'bgp'), root);
    const neighborsNode = this.get(top, 'neighbors');
    const neighbors: NeighborConfig[] = [];
    const itemIndex: number[] = [];
    if (neighborsNode === undefined) {
      this.report(root, root, 'neighbors', 'is required (a list of neighbors)');
    } else if (!isSeq(neighborsNode)) {
      this.report(neighborsNode, root, 'neighbors', 'must be a list of neighbors');
    } else {
      neighborsNode.items.forEach((item, i) => {
        const n = this.neighbor(item as Node, neighborsNode, `neighbors[${i}]`, bgp);
        if (n) {
          neighbors.push(n);
          itemIndex.push(i);
        }
      });
      const seen = new Map<string, number>();
      neighbors.forEach((n, k) => {
        const i = itemIndex[k]!;
        const key = canonicalAddress(n.address);
        const first = seen.get(key);
        if (first !== undefined) {
          const node = this.get(this.asMap(neighborsNode.items[i] as Node), 'address');
          this.report(node, neighborsNode, `neighbors[${i}].address`, `duplicates neighbors[${first}].address`);
        } else seen.set(key, i);
      });
    }
    if (bgp.listen === null) {
      neighbors.forEach((n, k) => {
        if (n.passive) {
          const i = itemIndex[k]!;
          const node = this.get(this.asMap((neighborsNode as { items: unknown[] }).items[i] as Node), 'passive');
          this.report(node, neighborsNode, `neighbors[${i}].passive`, 'needs bgp.listen: without a listener nothing would ever connect');
        }
      });
    }
    const control = this.map(this.get(top, 'control'), root, 'control', ['socket'], true);
    const log = this.map(this.get(top, 'log'), root, 'log', ['level', 'file'], true);
    const level = this.optString(log, 'level', 'log.level') ?? 'info';
    if (!LOG_LEVELS.includes(level as LogLevel)) {
      this.report(this.get(log, 'level'), log, 'log.level', `must be one of ${LOG_LEVELS.join(', ')}`);
    }
    return {
      file,
      bgp,
      neighbors,
      pops: [],
      proximity: { rule: 'classic', self: null },
      overrides: [],
      control: { socket: this.optString(control, 'socket', 'control.socket') },
      log: { level: level as LogLevel, file: this.optString(log, 'file', 'log.file') },
    };
  }

  private bgp(node: Located, parent: Located): BgpConfig {
    const m = this.map(node, parent, 'bgp', ['local-as', 'router-id', 'listen', 'hold-time', 'connect-retry']);
    const localAs = this.asNumber(m, 'local-as', 'bgp.local-as', true) ?? 0;
    const routerIdText = this.ipv4(m, 'router-id', 'bgp.router-id', true);
    const routerId = routerIdText ?? '0.0.0.0';
    if (routerIdText === '0.0.0.0') {
      this.report(this.get(m, 'router-id'), m, 'bgp.router-id', 'must not be 0.0.0.0 (RFC 6286)');
    }
    let listen: ListenConfig | null = null;
    const listenNode = this.get(m, 'listen');
    if (listenNode !== undefined && !(isScalar(listenNode) && listenNode.value === null)) {
      const l = this.map(listenNode, m, 'bgp.listen', ['address', 'port']);
      listen = {
        address: this.address(l, 'address', 'bgp.listen.address', false) ?? '::',
        // 0 picks a free port (tests).
        port: this.int(l, 'port', 'bgp.listen.port', 0, 65535, false, 'a port') ?? DEFAULT_BGP_PORT,
      };
    }
    return {
      localAs,
      routerId,
      listen,
      holdTime: this.holdTime(m, 'hold-time', 'bgp.hold-time') ?? DEFAULT_HOLD_TIME,
      connectRetry: this.seconds(m, 'connect-retry', 'bgp.connect-retry', 1) ?? DEFAULT_CONNECT_RETRY,
    };
  }

  private neighbor(node: Node, parent: Node, path: string, bgp: BgpConfig): NeighborConfig | null {
    const keys = [
      'address', 'remote-as', 'port', 'passive', 'local-address', 'hold-time', 'connect-retry', 'max-prefixes',
      'graceful-restart', 'add-path', 'description',
    ];
    const m = this.map(node, parent, path, keys);
    if (!m) return null;
    const address = this.address(m, 'address', `${path}.address`, true);
    const remoteAs = this.asNumber(m, 'remote-as', `${path}.remote-as`, true);
    let maxPrefixes: MaxPrefixesConfig | null = null;
    const mp = this.get(m, 'max-prefixes');
    if (mp !== undefined) {
      const mpPath = `${path}.max-prefixes`;
      if (isScalar(mp)) {
        // Shorthand: `max-prefixes: 1000`.
        const limit = this.intValue(mp, m, mpPath, 1, 0xffffffff);
        if (limit !== null) {
          maxPrefixes = { limit, warningPercent: null, restartAfter: DEFAULT_MAX_PREFIX_RESTART_AFTER };
        }
      } else {
        const mm = this.map(mp, m, mpPath, ['limit', 'warning-percent', 'restart-after']);
        const limit = this.int(mm, 'limit', `${mpPath}.limit`, 1, 0xffffffff, true);
        const warningPercent = this.int(mm, 'warning-percent', `${mpPath}.warning-percent`, 1, 100);
        const restartAfter = this.int(mm, 'restart-after', `${mpPath}.restart-after`, 0, 0x7fffffff);
        if (limit !== null) {
          maxPrefixes = { limit, warningPercent, restartAfter: restartAfter ?? DEFAULT_MAX_PREFIX_RESTART_AFTER };
        }
      }
    }
    const localAddress = this.address(m, 'local-address', `${path}.local-address`, false);
    if (address && localAddress && isIPv6(address) !== isIPv6(localAddress)) {
      this.report(this.get(m, 'local-address'), m, `${path}.local-address`, 'must be of the same family as address');
    }
    const neighbor: NeighborConfig = {
      address: address ?? '',
      remoteAs: remoteAs ?? 0,
      port: this.port(m, 'port', `${path}.port`) ?? DEFAULT_BGP_PORT,
      passive: this.bool(m, 'passive', `${path}.passive`) ?? false,
      localAddress,
      holdTime: this.holdTime(m, 'hold-time', `${path}.hold-time`) ?? bgp.holdTime,
      connectRetry: this.seconds(m, 'connect-retry', `${path}.connect-retry`, 1) ?? bgp.connectRetry,
      maxPrefixes,
      gracefulRestart: this.gracefulRestart(m, `${path}.graceful-restart`),
      addPath: this.bool(m, 'add-path', `${path}.add-path`) ?? true,
      description: this.optString(m, 'description', `${path}.description`),
      pop: null,
    };
    return address === null || remoteAs === null ? null : neighbor;
  }

  /** `graceful-restart: true|false`, or `{ enabled, notification, stale-path-time }` with the same defaults. */
  private gracefulRestart(m: YAMLMap, path: string): GracefulRestartConfig {
    const defaults: GracefulRestartConfig = { enabled: true, notification: true, stalePathTime: DEFAULT_STALE_PATH_TIME };
    const node = this.get(m, 'graceful-restart');
    if (node === undefined || isScalar(node)) return { ...defaults, enabled: this.bool(m, 'graceful-restart', path) ?? true };
    const gm = this.map(node, m, path, ['enabled', 'notification', 'stale-path-time']);
    return {
      enabled: this.bool(gm, 'enabled', `${path}.enabled`) ?? defaults.enabled,
      notification: this.bool(gm, 'notification', `${path}.notification`) ?? defaults.notification,
      stalePathTime: this.seconds(gm, 'stale-path-time', `${path}.stale-path-time`, 1) ?? defaults.stalePathTime,
    };
  }

  // ---- generic helpers -------------------------------------------------------------------------------------

  private asMap(node: Located): YAMLMap | null {
    return isMap(node) ? node : null;
  }

  /** Checks node is a mapping with only known keys; a missing optional mapping is null without complaint. */
  private map(node: Located, parent: Located, path: string, keys: string[], optional = false): YAMLMap | null {
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) {
      if (!optional) this.report(node, parent, path || '(top)', 'is required (a mapping)');
      return null;
    }
    if (!isMap(node)) {
      this.report(node, parent, path || '(top)', 'must be a mapping');
      return null;
    }
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!keys.includes(key)) {
        const where = path ? `${path}.${key}` : key;
        this.report(pair.key as Node, node, where, `unknown key (expected one of: ${keys.join(', ')})`);
      }
    }
    return node;
  }

  private get(m: YAMLMap | null, key: string): Node | undefined {
    if (!m) return undefined;
    for (const pair of m.items) {
      if (isScalar(pair.key) && pair.key.value === key) return (pair.value ?? null) as Node;
    }
    return undefined;
  }

  private scalar(m: YAMLMap | null, key: string, path: string, required: boolean): { node: Node; value: unknown } | null {
    const node = this.get(m, key);
    if (node === undefined) {
      if (required && m) this.report(m, m, path, 'is required');
      return null;
    }
    if (!isScalar(node) || node.value === null) {
      this.report(node, m, path, 'must be a single value');
      return null;
    }
    return { node, value: node.value };
  }

  private intValue(node: Node, parent: Located, path: string, min: number, max: number, what?: string): number | null {
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.report(node, parent, path, `must be ${what ?? 'an integer'} ${min}..${max}`);
      return null;
    }
    return value;
  }

  private int(m: YAMLMap | null, key: string, path: string, min: number, max: number, required = false, what?: string): number | null {
    const s = this.scalar(m, key, path, required);
    return s ? this.intValue(s.node, m, path, min, max, what) : null;
  }

  private asNumber(m: YAMLMap | null, key: string, path: string, required: boolean): number | null {
    const s = this.scalar(m, key, path, required);
    if (!s) return null;
    // Accept asdot ("1.10", which YAML would read as a float) as well as asplain.
    const text = isScalar(s.node) && typeof s.node.source === 'string' ? s.node.source : String(s.value);
    if (/^\d+\.\d+$/.test(text)) {
      const [hi, lo] = text.split('.').map(Number) as [number, number];
      if (hi <= 0xffff && lo <= 0xffff && hi * 65536 + lo > 0) return hi * 65536 + lo;
    }
    return this.intValue(s.node, m, path, 1, 4294967295, 'an AS number');
  }

  private port(m: YAMLMap | null, key: string, path: string): number | null {
    return this.int(m, key, path, 1, 65535, false, 'a port');
  }

  private seconds(m: YAMLMap | null, key: string, path: string, min: number): number | null {
    return this.int(m, key, path, min, 65535, false, 'a number of seconds');
  }

  private holdTime(m: YAMLMap | null, key: string, path: string): number | null {
    const s = this.scalar(m, key, path, false);
    if (!s) return null;
    const v = s.value;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535 || v === 1 || v === 2) {
      this.report(s.node, m, path, 'must be 0 (no keepalives) or 3..65535 seconds (RFC 4271 4.2)');
      return null;
    }
    return v;
  }

  private bool(m: YAMLMap | null, key: string, path: string): boolean | null {
    const s = this.scalar(m, key, path, false);
    if (!s) return null;
    if (typeof s.value !== 'boolean') {
      this.report(s.node, m, path, 'must be true or false');
      return null;
    }
    return s.value;
  }

  private optString(m: YAMLMap | null, key: string, path: string): string | null {
    const s = this.scalar(m, key, path, false);
    if (!s) return null;
    if (typeof s.value !== 'string' || s.value === '') {
      this.report(s.node, m, path, 'must be a non-empty string');
      return null;
    }
    return s.value;
  }

  private ipv4(m: YAMLMap | null, key: string, path: string, required: boolean): string | null {
    const s = this.scalar(m, key, path, required);
    if (!s) return null;
    if (typeof s.value !== 'string' || !Validator.isValidIPv4String(s.value)[0]) {
      this.report(s.node, m, path, 'must be an IPv4 address (dotted quad)');
      return null;
    }
    return s.value;
  }

  private address(m: YAMLMap | null, key: string, path: string, required: boolean): string | null {
    const s = this.scalar(m, key, path, required);
    if (!s) return null;
    const v = s.value;
    if (typeof v !== 'string' || !(Validator.isValidIPv4String(v)[0] || (v.includes(':') && Validator.isValidIPv6String(v)[0]))) {
      this.report(s.node, m, path, 'must be an IPv4 or IPv6 address');
      return null;
    }
    return canonicalAddress(v);
  }
}

function isIPv6(address: string): boolean {
  return address.includes(':');
}

/**
 * One spelling per address, as node:net reports a peer's address: IPv6 compressed lower-case (RFC 5952),
 * IPv4-mapped IPv6 reduced to the IPv4 dotted quad.
 */
export function canonicalAddress(address: string): string {
  let a = address.trim();
  if (a.includes(':')) {
    const zone = a.indexOf('%');
    const bare = zone >= 0 ? a.slice(0, zone) : a;
    try {
      a = new URL(`http://[${bare}]/`).hostname.slice(1, -1) + (zone >= 0 ? a.slice(zone) : '');
    } catch {
      return a.toLowerCase();
    }
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    if (mapped) return mapped[1]!;
    const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
    if (mappedHex) {
      const hi = parseInt(mappedHex[1]!, 16);
      const lo = parseInt(mappedHex[2]!, 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
  }
  return a;
}
