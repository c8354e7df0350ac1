// The route-server fallback: a route server's console as a second source of routes. What the console says of an
// address (its longest matching prefix and best path) goes into a small RIB of its own, so that the decision reads
// it through the same RibReader as the BGP table and gives the same answer for the same routes.
//
// The cache is keyed by the matched prefix: a burst of queries for one network costs one console round trip.
// `show ip bgp ADDR` does not say which more-specifics lie inside the prefix it matched, so an answer is used for
// the addresses that share the asked one's /24 (IPv4) or /48 (IPv6) "block" inside the prefix, the whole prefix
// when it is at least that long: a route covering one of those and not the asked address would have to be longer
// than the block, and the global table carries none (longer ones are filtered by convention). For a route server
// whose table has longer routes, `listMoreSpecifics` asks once per prefix for its `longer-prefixes` listing: its
// more-specifics become "holes" asked for on their own, and the rest of the prefix answers from the cache. That
// costs the route server a walk of its whole table per listing on FRR, so it is off unless asked for.
import { isIP } from 'node:net';
import { Afi, AsPathSegment, AsPathSegmentType, PathAttributes } from '../bgp/index.js';
import { createRib, formatAddress, formatPrefix, LookupResult, parseAddress, parsePrefix, type ParsedPrefix, type RibReader, type RibWriter } from '../rib/index.js';
import { detectDialect } from './dialect.js';
import { parseLongerPrefixesJson, parseShowBgpJson } from './parse-json.js';
import { parseLongerPrefixes, parseShowBgp } from './parse-text.js';
import { maskPassword, VtyClient, type VtyOptions } from './telnet.js';
import { RouteServerError, type ConsolePath, type ConsoleRoute, type Dialect, type RouteServerKind } from './types.js';

/** What the adapter needs of a console connection (VtyClient; a test may give its own). */
export interface ConsoleConnection {
  readonly banner: string;
  readonly closed: boolean;
  command(line: string, timeoutMs?: number): Promise<string>;
  onClose(listener: (err: RouteServerError | null) => void): () => void;
  close(): void;
}

/** The few log calls the adapter makes (a bunyan logger fits). */
export interface RouteServerLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface RouteServerOptions {
  kind: RouteServerKind;
  host: string;
  port: number;
  password: string | null;
  username?: string | null;
  /** Per console command (and for connecting and logging in). */
  timeoutMs: number;
  /** How long a console answer is used (the original's cache_timeout); 0 = not cached beyond the query. */
  cacheTimeoutMs: number;
  /** Most prefixes (and most addresses) held (the original's cache_size). */
  cacheSize: number;
  /**
   * List a prefix's more-specifics once it is known (one more console command, in the background): exact for a
   * table with routes longer than /24 or /48, and the whole prefix answers from the cache. Off by default: an
   * answer holds for the asked address's /24 or /48 inside the prefix (see the top of this file).
   */
  listMoreSpecifics?: boolean;
  /** Backoff between failed connection attempts: doubling from min to max. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  log?: RouteServerLog | null;
  /** Every exchange with the console, for --verbose (the password is never shown). */
  onTranscript?: ((direction: 'in' | 'out', text: string) => void) | null;
  /** Opens the console (default: a telnet VtyClient). */
  connect?: (options: VtyOptions) => Promise<ConsoleConnection>;
}

/** The shortest prefixes whose more-specifics are listed: a shorter one would list too much of the table. */
const LIST_MIN_LENGTH = { [Afi.IPv4]: 8, [Afi.IPv6]: 16 } as const;
/** The longest routes of the global table: an answer holds for the asked address's block of this length. */
const BLOCK_LENGTH = { [Afi.IPv4]: 24, [Afi.IPv6]: 48 } as const;
const DEFAULT_PORT: Record<RouteServerKind, number> = { zebra: 2605, quagga: 2605, frr: 2605, cisco: 23 };

/** The console's port when none is configured: 2605 for a bgpd vty, 23 for Cisco. */
export function defaultRouteServerPort(kind: RouteServerKind): number {
  return DEFAULT_PORT[kind];
}

/** A cached prefix: the console's best path for it, until `expires`. */
interface CacheEntry {
  key: string;
  prefix: ParsedPrefix;
  expires: number;
  /**
   * Every address of it answers from the cache (but those in `holes`): it is no longer than a block, or its
   * more-specifics were listed. Otherwise only the blocks asked for do (`asked`).
   */
  complete: boolean;
  /** The listing of its more-specifics under way. */
  listing: Promise<void> | null;
  holes: string[];
}

/** A block (/24, /48) asked for: the prefix that matched it (null: none, or no best path), until `expires`. */
interface AskedBlock {
  prefix: string | null;
  expires: number;
}

export interface RouteServerStatus {
  kind: RouteServerKind;
  host: string;
  port: number;
  connected: boolean;
  dialect: Dialect | null;
  /** Console round trips made (lookups and listings). */
  commands: number;
  /** Answers from the cache, and those that needed the console. */
  hits: number;
  misses: number;
  errors: number;
  lastError: string | null;
  cachedPrefixes: number;
  cachedAddresses: number;
}

/** The console's commands for one output generation. */
interface Commands {
  show(afi: Afi, address: string): string;
  longer(afi: Afi, prefix: string): string;
  json: boolean;
}

const COMMANDS: Record<Dialect, Commands> = {
  zebra: { show: (afi, a) => (afi === Afi.IPv4 ? `show ip bgp ${a}` : `show ipv6 bgp ${a}`), longer: (afi, p) => (afi === Afi.IPv4 ? `show ip bgp ${p} longer-prefixes` : `show ipv6 bgp ${p} longer-prefixes`), json: false },
  quagga: { show: (afi, a) => (afi === Afi.IPv4 ? `show ip bgp ${a}` : `show bgp ipv6 ${a}`), longer: (afi, p) => (afi === Afi.IPv4 ? `show ip bgp ${p} longer-prefixes` : `show bgp ipv6 ${p} longer-prefixes`), json: false },
  'frr-text': { show: (afi, a) => (afi === Afi.IPv4 ? `show ip bgp ${a}` : `show bgp ipv6 ${a}`), longer: (afi, p) => (afi === Afi.IPv4 ? `show ip bgp ${p} longer-prefixes` : `show bgp ipv6 ${p} longer-prefixes`), json: false },
  'frr-json': { show: (afi, a) => `show bgp ${afi === Afi.IPv4 ? 'ipv4' : 'ipv6'} unicast ${a} json`, longer: (afi, p) => `show bgp ${afi === Afi.IPv4 ? 'ipv4' : 'ipv6'} unicast ${p} longer-prefixes json`, json: true },
  cisco: { show: (afi, a) => (afi === Afi.IPv4 ? `show ip bgp ${a}` : `show bgp ipv6 unicast ${a}`), longer: (afi, p) => (afi === Afi.IPv4 ? `show ip bgp ${p} longer-prefixes` : `show bgp ipv6 unicast ${p} longer-prefixes`), json: false },
};

/** The dialect assumed when the console does not say what it is. */
const DIALECT_OF_KIND: Record<RouteServerKind, Dialect> = { zebra: 'zebra', quagga: 'quagga', frr: 'frr-text', cisco: 'cisco' };

/**
 * One route server: a persistent console connection (reconnected with backoff after a failure), queries queued
 * on it one at a time, and the cache the decision reads through `reader`.
 */
export class RouteServer {
  /** The console's routes as the decision reads them: one neighbor, the route server. */
  readonly reader: RibReader;
  private readonly writer: RibWriter;
  private readonly neighborId: number;
  /** Prefixes known to lie inside cached ones (one dummy route each), refcounted by the entries that listed them. */
  private readonly holesReader: RibReader;
  private readonly holesWriter: RibWriter;
  private readonly holesId: number;
  private readonly holeAttributes: number;
  private readonly holeCount = new Map<string, number>();
  /** LRU order: a hit moves an entry to the end. */
  private readonly entries = new Map<string, CacheEntry>();
  private readonly asked = new Map<string, AskedBlock>();
  /** Console lookups under way, by address: a second query for it waits for the first. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly lookup = new LookupResult();
  private readonly holeLookup = new LookupResult();
  private connection: ConsoleConnection | null = null;
  private connecting: Promise<ConsoleConnection> | null = null;
  private dialect: Dialect | null = null;
  private retryAt = 0;
  private backoffMs: number;
  private lastError: RouteServerError | null = null;
  private stopped = false;
  private readonly counters = { commands: 0, hits: 0, misses: 0, errors: 0 };

  /** Bumped by configure(): a connection opened under older settings is not used. */
  private generation = 0;

  constructor(private opts: RouteServerOptions) {
    const rib = createRib({ sizing: 'small' });
    this.reader = rib.reader;
    this.writer = rib.writer;
    // The routes' neighbor is the route server (by address when its host is one).
    const address = isIP(opts.host) ? opts.host : '0.0.0.0';
    this.neighborId = this.writer.addNeighbor({ address, remoteAs: 0, localAs: 0, routerId: 0 });
    this.writer.setSessionUp(this.neighborId, true);
    const holes = createRib({ sizing: 'small' });
    this.holesReader = holes.reader;
    this.holesWriter = holes.writer;
    this.holesId = this.holesWriter.addNeighbor({ address: '0.0.0.0', remoteAs: 0, localAs: 0, routerId: 0 });
    this.holesWriter.setSessionUp(this.holesId, true);
    const none = new PathAttributes();
    none.asPath = [];
    none.origin = 0;
    this.holeAttributes = this.holesWriter.intern(none);
    this.backoffMs = opts.reconnectMinMs ?? 1000;
  }

  get options(): RouteServerOptions {
    return this.opts;
  }

  /** New settings: the console connection is closed and the cache emptied (another console may say otherwise). */
  configure(options: RouteServerOptions): void {
    this.generation++;
    this.connection?.close();
    this.connection = null;
    this.opts = options;
    this.clear();
    this.dialect = null;
    this.retryAt = 0;
    this.lastError = null;
    this.backoffMs = options.reconnectMinMs ?? 1000;
  }

  status(): RouteServerStatus {
    return {
      kind: this.options.kind,
      host: this.options.host,
      port: this.options.port,
      connected: this.connection !== null && !this.connection.closed,
      dialect: this.dialect,
      ...this.counters,
      lastError: this.lastError?.message ?? null,
      cachedPrefixes: this.entries.size,
      cachedAddresses: this.asked.size,
    };
  }

  /**
   * Whether the cache answers for the address now: true when `reader` holds what the console would say of it
   * (a route, or none). Drops what it finds expired on the way. Counts a hit when true.
   */
  covers(afi: Afi, a: number, b: number, c: number, d: number): boolean {
    // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 client it stands for, as in the decision.
    if (afi === Afi.IPv6 && a === 0 && b === 0 && c === 0xffff) {
      afi = Afi.IPv4;
      a = d;
      b = c = d = 0;
    }
    const now = Date.now();
    const found = this.reader.lookup(afi, a, b, c, d, this.lookup);
    const key = found ? formatPrefix(afi, this.lookup.a, this.lookup.b, this.lookup.c, this.lookup.d, this.lookup.length) : null;
    const entry = key === null ? undefined : this.entries.get(key);
    if (entry !== undefined && entry.expires <= now) {
      // Expired: out, and ask again (a shorter cached prefix may cover the address, but the console may know better).
      this.evict(entry);
      return false;
    }
    // What the console said of this address's block.
    const asked = this.asked.get(this.blockKey(afi, a, b, c, d));
    if (asked !== undefined && asked.expires > now && asked.prefix === key && (key === null || entry !== undefined)) {
      this.hit(afi, a, b, c, d, entry);
      return true;
    }
    if (entry === undefined || !entry.complete) return false;
    // A listed more-specific of it covers the address: that one must be asked for.
    if (this.holesReader.lookup(afi, a, b, c, d, this.holeLookup) && this.holeLookup.length > entry.prefix.length) return false;
    this.hit(afi, a, b, c, d, entry);
    return true;
  }

  private hit(afi: Afi, a: number, b: number, c: number, d: number, entry: CacheEntry | undefined): void {
    if (entry !== undefined) {
      // Least recently used goes first: a hit moves it to the end.
      this.entries.delete(entry.key);
      this.entries.set(entry.key, entry);
    }
    this.counters.hits++;
    const scope = this.blockScope(afi, a, b, c, d);
    // A prefix known whole answers for its length; otherwise for the block asked.
    this.coveredScope = entry?.complete ? scope : Math.max(scope, BLOCK_LENGTH[afi]);
  }

  /** The key of an address's block: its /24 (IPv4) or /48 (IPv6). */
  private blockKey(afi: Afi, a: number, b: number, _c: number, _d: number): string {
    return afi === Afi.IPv4 ? formatPrefix(afi, (a & 0xffffff00) >>> 0, 0, 0, 0, 24) : formatPrefix(afi, a, b & 0xffff0000, 0, 0, 48);
  }

  /**
   * After covers() said true: the ECS scope an answer from the cache may claim for the address, the length of
   * the client's block the cache knows to get the same answer.
   */
  coveredScope = 0;

  /** The longest of the cache's and the holes' scopes: no cached prefix and no listed more-specific starts inside the block. */
  private blockScope(afi: Afi, a: number, b: number, c: number, d: number): number {
    this.reader.lookup(afi, a, b, c, d, this.lookup);
    this.holesReader.lookup(afi, a, b, c, d, this.holeLookup);
    return Math.max(this.lookup.scope, this.holeLookup.scope);
  }

  /**
   * Makes the cache answer for the address (text, or a parsed address): from the cache when it can, else one
   * console round trip. Throws RouteServerError when the console cannot be asked or does not answer sensibly.
   */
  async resolve(address: string | { afi: Afi; a: number; b: number; c: number; d: number }): Promise<void> {
    let p = typeof address === 'string' ? parseAddress(address) : address;
    if (p.afi === Afi.IPv6 && p.a === 0 && p.b === 0 && p.c === 0xffff) p = { afi: Afi.IPv4, a: p.d, b: 0, c: 0, d: 0 };
    if (this.covers(p.afi, p.a, p.b, p.c, p.d)) return;
    // A listing of the prefix that holds it may be under way: it may make the cache cover the address.
    if (this.reader.lookup(p.afi, p.a, p.b, p.c, p.d, this.lookup)) {
      const entry = this.entries.get(formatPrefix(p.afi, this.lookup.a, this.lookup.b, this.lookup.c, this.lookup.d, this.lookup.length));
      if (entry?.listing) {
        await entry.listing.catch(() => undefined);
        if (this.covers(p.afi, p.a, p.b, p.c, p.d)) return;
      }
    }
    const text = formatAddress(p.afi, p.a, p.b, p.c, p.d);
    // One console question at a time per block: the others of the block wait for its answer.
    const block = this.blockKey(p.afi, p.a, p.b, p.c, p.d);
    const other = this.pending.get(block);
    if (other !== undefined) {
      await other.catch(() => undefined);
      if (this.covers(p.afi, p.a, p.b, p.c, p.d)) return;
    }
    let run = this.pending.get(block);
    if (run === undefined) {
      this.counters.misses++;
      run = this.ask(p.afi, p.a, p.b, p.c, p.d, text).finally(() => this.pending.delete(block));
      this.pending.set(block, run);
    }
    await run;
  }

  /** Asks the console for one address and caches the answer. */
  private async ask(afi: Afi, a: number, b: number, c: number, d: number, text: string): Promise<void> {
    const connection = await this.console();
    const commands = COMMANDS[this.dialect!];
    const output = await this.command(connection, commands.show(afi, text));
    let route: ConsoleRoute | null;
    try {
      route = commands.json ? parseShowBgpJson(output) : parseShowBgp(output, this.dialect!);
    } catch (err) {
      throw this.failed(err);
    }
    const now = Date.now();
    const expires = now + this.options.cacheTimeoutMs;
    if (route === null || route.best < 0) {
      // Not in the table (or no usable path): whatever the cache holds over it is out of date.
      this.dropCovering(afi, a, b, c, d, -1);
      this.remember(this.blockKey(afi, a, b, c, d), { prefix: null, expires });
      return;
    }
    const prefix = parsePrefix(route.prefix, false);
    if (prefix.afi !== afi) throw this.failed(new RouteServerError('garbled', `the console answered ${route.prefix} for ${text}`));
    // Cached prefixes more specific than the console's answer are gone from its table.
    this.dropCovering(afi, a, b, c, d, prefix.length);
    const key = formatPrefix(prefix.afi, prefix.a, prefix.b, prefix.c, prefix.d, prefix.length);
    this.store(key, prefix, route.paths[route.best]!, expires);
    this.remember(this.blockKey(afi, a, b, c, d), { prefix: key, expires });
    if (this.options.listMoreSpecifics === true && this.options.cacheTimeoutMs > 0 && prefix.length >= LIST_MIN_LENGTH[afi] && prefix.length < BLOCK_LENGTH[afi]) {
      const entry = this.entries.get(key)!;
      if (!entry.complete && entry.listing === null) {
        entry.listing = this.listMoreSpecifics(connection, entry).finally(() => {
          entry.listing = null;
        });
        // Nobody need wait for it; a failure is logged and leaves the prefix answering address by address.
        entry.listing.catch(() => undefined);
      }
    }
  }

  /** One `longer-prefixes` listing: the prefix's more-specifics become holes and the prefix answers whole. */
  private async listMoreSpecifics(connection: ConsoleConnection, entry: CacheEntry): Promise<void> {
    const commands = COMMANDS[this.dialect!];
    const p = entry.prefix;
    let listed: string[];
    try {
      const output = await this.command(connection, commands.longer(p.afi, entry.key));
      listed = commands.json ? parseLongerPrefixesJson(output) : parseLongerPrefixes(output, this.dialect!);
    } catch (err) {
      const e = this.redacted(err);
      this.options.log?.warn({ prefix: entry.key, err: e.message }, `route server: listing the more-specifics of ${entry.key} failed; its addresses are asked for one by one`);
      return;
    }
    if (this.entries.get(entry.key) !== entry) return;
    for (const text of listed) {
      let q: ParsedPrefix;
      try {
        q = parsePrefix(text, false);
      } catch {
        continue;
      }
      if (q.afi !== p.afi || q.length <= p.length) continue;
      const key = formatPrefix(q.afi, q.a, q.b, q.c, q.d, q.length);
      entry.holes.push(key);
      const n = this.holeCount.get(key) ?? 0;
      this.holeCount.set(key, n + 1);
      if (n === 0) this.holesWriter.announce(this.holesId, q.afi, 0, q.a, q.b, q.c, q.d, q.length, this.holeAttributes);
    }
    entry.complete = true;
  }

  /** Puts the console's best path for a prefix in the cache (replacing what it had), evicting beyond cacheSize. */
  private store(key: string, prefix: ParsedPrefix, path: ConsolePath, expires: number): void {
    const old = this.entries.get(key);
    if (old) this.evict(old);
    const attrs = pathAttributes(path, prefix.afi);
    const id = this.writer.intern(attrs);
    this.writer.announce(this.neighborId, prefix.afi, 0, prefix.a, prefix.b, prefix.c, prefix.d, prefix.length, id);
    this.writer.release(id);
    // No longer than a block: no route of the global table lies inside it (see the top of this file).
    this.entries.set(key, { key, prefix, expires, complete: prefix.length >= BLOCK_LENGTH[prefix.afi], listing: null, holes: [] });
    while (this.entries.size > this.options.cacheSize) this.evict(this.entries.values().next().value!);
  }

  private remember(address: string, asked: AskedBlock): void {
    this.asked.delete(address);
    this.asked.set(address, asked);
    while (this.asked.size > this.options.cacheSize) this.asked.delete(this.asked.keys().next().value!);
  }

  /** Drops cached prefixes covering the address that are longer than `length` (-1: all of them). */
  private dropCovering(afi: Afi, a: number, b: number, c: number, d: number, length: number): void {
    while (this.reader.lookup(afi, a, b, c, d, this.lookup) && this.lookup.length > length) {
      const key = formatPrefix(afi, this.lookup.a, this.lookup.b, this.lookup.c, this.lookup.d, this.lookup.length);
      const entry = this.entries.get(key);
      if (entry) this.evict(entry);
      else this.writer.withdraw(this.neighborId, afi, 0, this.lookup.a, this.lookup.b, this.lookup.c, this.lookup.d, this.lookup.length);
    }
  }

  private evict(entry: CacheEntry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    const p = entry.prefix;
    this.writer.withdraw(this.neighborId, p.afi, 0, p.a, p.b, p.c, p.d, p.length);
    for (const key of entry.holes) {
      const n = this.holeCount.get(key)! - 1;
      if (n > 0) {
        this.holeCount.set(key, n);
        continue;
      }
      this.holeCount.delete(key);
      const q = parsePrefix(key, false);
      this.holesWriter.withdraw(this.holesId, q.afi, 0, q.a, q.b, q.c, q.d, q.length);
    }
    entry.holes = [];
  }

  /** Forgets every cached answer. */
  clear(): void {
    for (const entry of [...this.entries.values()]) this.evict(entry);
    this.asked.clear();
  }

  private async command(connection: ConsoleConnection, line: string): Promise<string> {
    this.counters.commands++;
    try {
      return await connection.command(line, this.options.timeoutMs);
    } catch (err) {
      throw this.failed(err);
    }
  }

  /** Counts and remembers a failure; returns it as a RouteServerError. */
  private failed(err: unknown): RouteServerError {
    const e = this.redacted(err);
    this.counters.errors++;
    this.lastError = e;
    return e;
  }

  /**
   * The error as a RouteServerError whose message does not hold the password: it is logged and shown, and a parse
   * error quotes console output, which could (a console printing its own configuration) hold the password.
   */
  private redacted(err: unknown): RouteServerError {
    const e = err instanceof RouteServerError ? err : new RouteServerError('garbled', (err as Error).message);
    const masked = maskPassword(e.message, this.options.password);
    return masked === e.message ? e : new RouteServerError(e.code, masked);
  }

  /** The open console: connects (and logs in, and learns its dialect) when there is none, with backoff after failures. */
  private async console(): Promise<ConsoleConnection> {
    if (this.stopped) throw new RouteServerError('stopped', 'the route-server adapter is stopped');
    if (this.connection !== null && !this.connection.closed) return this.connection;
    if (this.connecting !== null) return this.connecting;
    if (Date.now() < this.retryAt && this.lastError !== null) {
      throw new RouteServerError(this.lastError.code, `${this.lastError.message} (next attempt in ${Math.ceil((this.retryAt - Date.now()) / 1000)} s)`);
    }
    this.connecting = this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<ConsoleConnection> {
    const o = this.options;
    const generation = this.generation;
    const where = `${o.host} port ${o.port}`;
    let connection: ConsoleConnection;
    try {
      connection = await (o.connect ?? ((v) => VtyClient.connect(v)))({
        host: o.host,
        port: o.port,
        password: o.password,
        username: o.username ?? null,
        connectTimeoutMs: o.timeoutMs,
        commandTimeoutMs: o.timeoutMs,
        onTranscript: o.onTranscript ?? undefined,
      });
    } catch (err) {
      const e = this.failed(err);
      this.retryAt = Date.now() + this.backoffMs;
      this.options.log?.warn({ host: o.host, port: o.port, code: e.code, retryInMs: this.backoffMs }, `route server ${where}: ${e.message}`);
      this.backoffMs = Math.min(this.backoffMs * 2, o.reconnectMaxMs ?? 30_000);
      throw e;
    }
    if (this.stopped || generation !== this.generation) {
      connection.close();
      throw new RouteServerError('stopped', this.stopped ? 'the route-server adapter is stopped' : 'the route-server settings changed');
    }
    try {
      // What the console is, from the console: its banner, else `show version`.
      let dialect = detectDialect(connection.banner, null);
      if (dialect === null) dialect = detectDialect(connection.banner, await this.command(connection, 'show version'));
      if (dialect === null) {
        dialect = DIALECT_OF_KIND[o.kind];
        this.options.log?.warn({ host: o.host, port: o.port }, `route server ${where}: the console does not say what it is; reading it as ${o.kind}`);
      } else if ((dialect === 'cisco') !== (o.kind === 'cisco')) {
        this.options.log?.warn({ host: o.host, port: o.port, dialect }, `route server ${where}: configured as ${o.kind}, but the console is ${dialect}; reading it as ${dialect}`);
      }
      this.dialect = dialect;
    } catch (err) {
      connection.close();
      this.retryAt = Date.now() + this.backoffMs;
      throw this.failed(err);
    }
    this.connection = connection;
    this.backoffMs = o.reconnectMinMs ?? 1000;
    this.retryAt = 0;
    connection.onClose((err) => {
      if (this.connection === connection) this.connection = null;
      const reason = err ? maskPassword(err.message, this.options.password) : null;
      if (!this.stopped) this.options.log?.warn({ host: o.host, port: o.port, err: reason }, `route server ${where}: the console connection closed${reason !== null ? `: ${reason}` : ''}; reconnecting at the next query`);
    });
    this.options.log?.info({ host: o.host, port: o.port, dialect: this.dialect }, `route server ${where}: connected (${this.dialect})`);
    return connection;
  }

  /** Closes the console connection; later queries fail with 'stopped'. */
  close(): void {
    this.stopped = true;
    this.connection?.close();
    this.connection = null;
  }
}

/** The console's path as the RIB holds attributes. */
export function pathAttributes(path: ConsolePath, afi: Afi): PathAttributes {
  const attrs = new PathAttributes();
  attrs.origin = path.origin === 'igp' ? 0 : path.origin === 'egp' ? 1 : path.origin === 'incomplete' ? 2 : -1;
  attrs.asPath = path.asPath.map((s) => new AsPathSegment(SEGMENT_TYPES[s.type], s.asns.slice()));
  if (path.nextHop !== null) {
    try {
      const n = parseAddress(path.nextHop);
      if (n.afi === Afi.IPv4 && afi === Afi.IPv4) attrs.nextHop = n.a >>> 0;
      else if (n.afi === Afi.IPv6) {
        const bytes = new Uint8Array(16);
        const view = new DataView(bytes.buffer);
        view.setUint32(0, n.a >>> 0);
        view.setUint32(4, n.b >>> 0);
        view.setUint32(8, n.c >>> 0);
        view.setUint32(12, n.d >>> 0);
        attrs.mpNextHop = bytes;
      }
    } catch {
      // A next hop the console printed oddly is not needed by the decision.
    }
  }
  if (path.med !== null) attrs.med = path.med;
  if (path.localPref !== null) attrs.localPref = path.localPref;
  if (path.communities.length > 0) attrs.communities = Uint32Array.from(path.communities);
  if (path.largeCommunities.length > 0) attrs.largeCommunities = Uint32Array.from(path.largeCommunities.flat());
  return attrs;
}

const SEGMENT_TYPES = {
  sequence: AsPathSegmentType.AsSequence,
  set: AsPathSegmentType.AsSet,
  'confed-sequence': AsPathSegmentType.ConfedSequence,
  'confed-set': AsPathSegmentType.ConfedSet,
} as const;
