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
import { formatPrefix, parseAddress, parsePrefix as parseRibPrefix, type ParsedAddress, type ParsedPrefix } from '../rib/index.js';
import {
  DEFAULT_BGP_PORT,
  DEFAULT_DNS_PORT,
  DEFAULT_DNS_NS_TTL,
  DEFAULT_DNS_STARTUP_TIMEOUT,
  DEFAULT_DNS_STARTUP_TTL,
  DEFAULT_CONTROL_LINE_TIMEOUT,
  DEFAULT_CONTROL_MAX_CLIENTS,
  DEFAULT_CONTROL_MODE,
  DEFAULT_DNS_TCP_IDLE_TIMEOUT,
  DEFAULT_DNS_TCP_MAX_CONNECTIONS,
  DEFAULT_DNS_TTL,
  DEFAULT_DNS_UDP_SIZE,
  DEFAULT_SOA,
  DEFAULT_ROUTE_SERVER_CACHE_SIZE,
  DEFAULT_ROUTE_SERVER_CACHE_TIMEOUT,
  DEFAULT_ROUTE_SERVER_TIMEOUT,
  DEFAULT_CHECK_FALL,
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_CHECK_RISE,
  DEFAULT_CHECK_TIMEOUT_MS,
  DEFAULT_CONNECT_RETRY,
  DEFAULT_HOLD_TIME,
  DEFAULT_MAX_PREFIX_RESTART_AFTER,
  DEFAULT_POP_PREFERENCE,
  DEFAULT_STALE_PATH_TIME,
  DEFAULT_HTTP_HEADERS_TIMEOUT,
  DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT,
  DEFAULT_HTTP_MAX_CONNECTIONS,
  DEFAULT_HTTP_PORT,
  DEFAULT_HTTP_REQUEST_TIMEOUT,
  HTTP_REDIRECT_STATUSES,
  LOG_LEVELS,
  type HttpConfig,
  type HttpRedirectConfig,
  type BgpConfig,
  type Config,
  type DnsConfig,
  type DnsNameConfig,
  type DnsNameServerConfig,
  type DnsSoaConfig,
  type RouteServerConfig,
  type DnsZoneConfig,
  type GracefulRestartConfig,
  type ListenConfig,
  type LogLevel,
  type MaxPrefixesConfig,
  type NeighborConfig,
  type OverrideConfig,
  type PopCheckConfig,
  type PopConfig,
  type ProximityConfig,
  type ProximityRule,
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
  /** POP names given as some neighbor's `pop:` (as written, valid or not): the multi-view rule's views. */
  private readonly taggedPops = new Set<string>();

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
    const top = this.map(root, root, '', ['bgp', 'neighbors', 'pops', 'proximity', 'overrides', 'control', 'log', 'dns', 'route-server', 'http']);
    const bgp = this.bgp(this.get(top, 'bgp'), root);
    const pops = this.pops(this.get(top, 'pops'), root);
    const neighborsNode = this.get(top, 'neighbors');
    const neighbors: NeighborConfig[] = [];
    const itemIndex: number[] = [];
    if (neighborsNode === undefined) {
      this.report(root, root, 'neighbors', 'is required (a list of neighbors)');
    } else if (!isSeq(neighborsNode)) {
      this.report(neighborsNode, root, 'neighbors', 'must be a list of neighbors');
    } else {
      neighborsNode.items.forEach((item, i) => {
        const n = this.neighbor(item as Node, neighborsNode, `neighbors[${i}]`, bgp, pops.names);
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
    const proximity = this.proximity(this.get(top, 'proximity'), root, pops);
    if (proximity.rule === 'multi-view') {
      for (const p of pops.entries) {
        if (!p.hasCommunity && !this.taggedPops.has(p.name)) {
          this.report(p.keyNode, p.keyNode, `pops.${p.name}`,
            'the multi-view rule needs a view of this POP: tag its neighbors with `pop: NAME` or give it a community');
        }
      }
    }
    const overrides = this.overrides(this.get(top, 'overrides'), root, pops.names);
    const control = this.map(this.get(top, 'control'), root, 'control', ['socket', 'mode', 'max-clients', 'line-timeout'], true);
    const log = this.map(this.get(top, 'log'), root, 'log', ['level', 'file'], true);
    const level = this.optString(log, 'level', 'log.level') ?? 'info';
    if (!LOG_LEVELS.includes(level as LogLevel)) {
      this.report(this.get(log, 'level'), log, 'log.level', `must be one of ${LOG_LEVELS.join(', ')}`);
    }
    const dns = this.dns(this.get(top, 'dns'), root, pops);
    return {
      file,
      bgp,
      neighbors,
      pops: pops.pops,
      proximity,
      overrides,
      control: {
        socket: this.optString(control, 'socket', 'control.socket'),
        mode: this.fileMode(control, 'mode', 'control.mode') ?? DEFAULT_CONTROL_MODE,
        maxClients: this.int(control, 'max-clients', 'control.max-clients', 1, 65535, false, 'a number of clients') ?? DEFAULT_CONTROL_MAX_CLIENTS,
        lineTimeout: this.seconds(control, 'line-timeout', 'control.line-timeout', 1) ?? DEFAULT_CONTROL_LINE_TIMEOUT,
      },
      log: { level: level as LogLevel, file: this.optString(log, 'file', 'log.file') },
      dns,
      routeServer: this.routeServer(this.get(top, 'route-server'), root, dns),
      http: this.http(this.get(top, 'http'), root),
    };
  }

  // ---- HTTP ----------------------------------------------------------------------------------------------------

  /**
   * `http: { listen, trusted-proxies, redirect: { hosts, scheme, status }, max-connections, request-timeout,
   * headers-timeout, keep-alive-timeout }`.
   */
  private http(node: Located, parent: Located): HttpConfig | null {
    const m = this.map(node, parent, 'http', ['listen', 'trusted-proxies', 'redirect', 'max-connections', 'request-timeout', 'headers-timeout', 'keep-alive-timeout'], true);
    if (!m) return null;
    const listen: ListenConfig[] = [];
    const listenNode = this.get(m, 'listen');
    if (listenNode === undefined) this.report(m, m, 'http.listen', `is required (a list of "ADDRESS:PORT"; "ADDRESS" alone means port ${DEFAULT_HTTP_PORT})`);
    else {
      const items = isSeq(listenNode) ? (listenNode.items as Node[]) : [listenNode];
      if (items.length === 0) this.report(listenNode, m, 'http.listen', 'needs at least one address');
      items.forEach((item, i) => {
        const l = this.listenAddress(item, m, isSeq(listenNode) ? `http.listen[${i}]` : 'http.listen', DEFAULT_HTTP_PORT);
        if (l) listen.push(l);
      });
    }
    const trustedProxies: string[] = [];
    const proxiesNode = this.get(m, 'trusted-proxies');
    if (proxiesNode !== undefined && !(isScalar(proxiesNode) && proxiesNode.value === null)) {
      const items = isSeq(proxiesNode) ? (proxiesNode.items as Node[]) : [proxiesNode];
      items.forEach((item, i) => {
        const path = isSeq(proxiesNode) ? `http.trusted-proxies[${i}]` : 'http.trusted-proxies';
        const text = scalarText(item);
        // An address alone is the one host.
        const prefix = text === null ? null : parsePrefix(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
        if (prefix === null) this.report(item, proxiesNode, path, 'must be an IPv4 or IPv6 prefix ADDRESS/LENGTH, or an address');
        else if (prefix.hostBits) this.report(item, proxiesNode, path, `has host bits set; did you mean ${prefix.text}?`);
        else if (!trustedProxies.includes(prefix.text)) trustedProxies.push(prefix.text);
      });
    }
    const requestTimeoutSeconds = this.seconds(m, 'request-timeout', 'http.request-timeout', 1) ?? DEFAULT_HTTP_REQUEST_TIMEOUT;
    const headersTimeout = this.seconds(m, 'headers-timeout', 'http.headers-timeout', 1);
    // Node refuses a headers timeout longer than the request timeout.
    if (headersTimeout !== null && headersTimeout > requestTimeoutSeconds) {
      this.report(this.get(m, 'headers-timeout'), m, 'http.headers-timeout', `must not exceed http.request-timeout (${requestTimeoutSeconds} s)`);
    }
    return {
      listen,
      trustedProxies,
      redirect: this.httpRedirect(this.get(m, 'redirect'), m),
      maxConnections: this.int(m, 'max-connections', 'http.max-connections', 1, 65535, false, 'a number of connections') ?? DEFAULT_HTTP_MAX_CONNECTIONS,
      requestTimeoutSeconds,
      headersTimeoutSeconds: headersTimeout ?? Math.min(DEFAULT_HTTP_HEADERS_TIMEOUT, requestTimeoutSeconds),
      keepAliveTimeoutSeconds: this.seconds(m, 'keep-alive-timeout', 'http.keep-alive-timeout', 1) ?? DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT,
    };
  }

  /** `redirect: { hosts: [ NAME ], scheme: http | https, status: 301 | 302 | 303 | 307 | 308 }`. */
  private httpRedirect(node: Located, parent: Located): HttpRedirectConfig | null {
    const m = this.map(node, parent, 'http.redirect', ['hosts', 'scheme', 'status'], true);
    if (!m) return null;
    const hosts: string[] = [];
    const hostsNode = this.get(m, 'hosts');
    if (hostsNode === undefined || (isScalar(hostsNode) && hostsNode.value === null)) {
      this.report(hostsNode ?? m, m, 'http.redirect.hosts', 'is required: the host names whose requests are redirected');
    } else {
      const items = isSeq(hostsNode) ? (hostsNode.items as Node[]) : [hostsNode];
      if (items.length === 0) this.report(hostsNode, m, 'http.redirect.hosts', 'needs at least one host name');
      items.forEach((item, i) => {
        const text = scalarText(item);
        const path = isSeq(hostsNode) ? `http.redirect.hosts[${i}]` : 'http.redirect.hosts';
        if (text === null || !isDnsName(text)) this.report(item, hostsNode, path, 'must be a host name (a DNS name, without a port)');
        else if (!hosts.includes(fqdn(text))) hosts.push(fqdn(text));
      });
    }
    let scheme: HttpRedirectConfig['scheme'] = 'http';
    const schemeText = this.optString(m, 'scheme', 'http.redirect.scheme');
    if (schemeText !== null) {
      if (schemeText === 'http' || schemeText === 'https') scheme = schemeText;
      else this.report(this.get(m, 'scheme'), m, 'http.redirect.scheme', 'must be http or https');
    }
    let status: HttpRedirectConfig['status'] = 302;
    const statusNode = this.scalar(m, 'status', 'http.redirect.status', false);
    if (statusNode) {
      if ((HTTP_REDIRECT_STATUSES as readonly unknown[]).includes(statusNode.value)) status = statusNode.value as HttpRedirectConfig['status'];
      else this.report(statusNode.node, m, 'http.redirect.status', `must be one of ${HTTP_REDIRECT_STATUSES.join(', ')}`);
    }
    return { hosts, scheme, status };
  }

  // ---- route server --------------------------------------------------------------------------------------------

  /** `route-server: { type, host, port, password, username, timeout, cache-timeout, cache-size, list-more-specifics }`. */
  private routeServer(node: Located, parent: Located, dns: DnsConfig | null): RouteServerConfig | null {
    const m = this.map(node, parent, 'route-server', ['type', 'host', 'port', 'password', 'username', 'timeout', 'cache-timeout', 'cache-size', 'list-more-specifics'], true, true);
    if (!m) return null;
    const typeNode = this.scalar(m, 'type', 'route-server.type', true);
    let type: RouteServerConfig['type'] = 'frr';
    if (typeNode) {
      if (typeof typeNode.value === 'string' && (ROUTE_SERVER_TYPES as readonly string[]).includes(typeNode.value)) type = typeNode.value as RouteServerConfig['type'];
      else this.report(typeNode.node, m, 'route-server.type', `must be one of ${ROUTE_SERVER_TYPES.join(', ')}`);
    }
    // The fallback answers DNS from the daemon's thread, where the console's answers are cached.
    if (dns !== null && dns.workers > 0) this.report(m, parent, 'route-server', 'cannot be used with dns.workers (the fallback answers DNS from the daemon\'s own thread): set dns.workers to 0');
    return {
      type,
      host: this.optString(m, 'host', 'route-server.host') ?? 'localhost',
      port: this.port(m, 'port', 'route-server.port') ?? (type === 'cisco' ? 23 : 2605),
      password: this.secret(m, 'password', 'route-server.password'),
      username: this.secret(m, 'username', 'route-server.username'),
      timeoutSeconds: this.seconds(m, 'timeout', 'route-server.timeout', 1) ?? DEFAULT_ROUTE_SERVER_TIMEOUT,
      // At least a second: DNS answers what the console said once the background question is back.
      cacheTimeoutSeconds: this.seconds(m, 'cache-timeout', 'route-server.cache-timeout', 1) ?? DEFAULT_ROUTE_SERVER_CACHE_TIMEOUT,
      cacheSize: this.int(m, 'cache-size', 'route-server.cache-size', 1, 10_000_000, false, 'a number of prefixes') ?? DEFAULT_ROUTE_SERVER_CACHE_SIZE,
      listMoreSpecifics: this.bool(m, 'list-more-specifics', 'route-server.list-more-specifics') ?? false,
    };
  }

  /** A password or user name: any scalar, as text (YAML would read `1234` as a number); never echoed in a problem. */
  private secret(m: YAMLMap | null, key: string, path: string): string | null {
    const s = this.scalar(m, key, path, false);
    if (!s) return null;
    const text = isScalar(s.node) && typeof s.node.source === 'string' ? s.node.source : String(s.value);
    if (text === '') {
      this.report(s.node, m, path, 'must not be empty');
      return null;
    }
    return text;
  }

  // ---- DNS -----------------------------------------------------------------------------------------------------

  /**
   * `dns: { listen, zone, ttl, ns-ttl, names, ns, soa | zones: [...], startup, workers, udp-size, tcp }`: one zone
   * written inline, or several under `zones:`.
   */
  private dns(node: Located, parent: Located, pops: PopsRead): DnsConfig | null {
    const zoneKeys = ['zone', 'ttl', 'ns-ttl', 'names', 'ns', 'soa'];
    const m = this.map(node, parent, 'dns', ['listen', 'zones', 'startup', 'workers', 'udp-size', 'tcp', ...zoneKeys], true);
    if (!m) return null;
    const listen: ListenConfig[] = [];
    const listenNode = this.get(m, 'listen');
    if (listenNode === undefined) this.report(m, m, 'dns.listen', 'is required (a list of "ADDRESS:PORT")');
    else {
      const items = isSeq(listenNode) ? (listenNode.items as Node[]) : [listenNode];
      items.forEach((item, i) => {
        const l = this.listenAddress(item, m, isSeq(listenNode) ? `dns.listen[${i}]` : 'dns.listen');
        if (l) listen.push(l);
      });
    }
    const zones: DnsZoneConfig[] = [];
    const zonesNode = this.get(m, 'zones');
    const inline = zoneKeys.some((k) => this.get(m, k) !== undefined);
    if (zonesNode !== undefined && inline) {
      this.report(zonesNode, m, 'dns.zones', 'give one zone inline (zone, names, ns, ...) or a list under zones, not both');
    } else if (zonesNode !== undefined) {
      if (!isSeq(zonesNode) || zonesNode.items.length === 0) this.report(zonesNode, m, 'dns.zones', 'must be a list of zones');
      else {
        zonesNode.items.forEach((item, i) => {
          const zm = this.map(item as Node, zonesNode, `dns.zones[${i}]`, zoneKeys);
          const z = zm ? this.dnsZone(zm, `dns.zones[${i}]`, pops) : null;
          if (z) zones.push(z);
        });
      }
    } else {
      const z = this.dnsZone(m, 'dns', pops);
      if (z) zones.push(z);
    }
    for (let i = 0; i < zones.length; i++) {
      for (let j = 0; j < zones.length; j++) {
        const a = zones[i]!.zone;
        const b = zones[j]!.zone;
        if (i !== j && (a === b || (b.endsWith('.' + a) && j > i))) {
          this.report(zonesNode ?? m, m, `dns.zones[${j}].zone`, a === b ? `duplicates zone ${a}` : `lies inside zone ${a}: configure its names there`);
        }
      }
    }
    const startup = this.map(this.get(m, 'startup'), m, 'dns.startup', ['ttl', 'timeout'], true);
    const tcp = this.map(this.get(m, 'tcp'), m, 'dns.tcp', ['idle-timeout', 'max-connections'], true);
    return {
      listen,
      zones,
      startup: {
        ttl: this.int(startup, 'ttl', 'dns.startup.ttl', 0, 86400, false, 'a TTL in seconds') ?? DEFAULT_DNS_STARTUP_TTL,
        timeoutSeconds: this.seconds(startup, 'timeout', 'dns.startup.timeout', 0) ?? DEFAULT_DNS_STARTUP_TIMEOUT,
      },
      workers: this.int(m, 'workers', 'dns.workers', 0, 256, false, 'a number of threads') ?? 0,
      udpSize: this.int(m, 'udp-size', 'dns.udp-size', 512, 4096, false, 'a size in bytes') ?? DEFAULT_DNS_UDP_SIZE,
      tcp: {
        idleTimeoutSeconds: this.seconds(tcp, 'idle-timeout', 'dns.tcp.idle-timeout', 1) ?? DEFAULT_DNS_TCP_IDLE_TIMEOUT,
        maxConnections: this.int(tcp, 'max-connections', 'dns.tcp.max-connections', 1, 65535) ?? DEFAULT_DNS_TCP_MAX_CONNECTIONS,
      },
    };
  }

  /** `"ADDRESS:PORT"`, `"[IPV6]:PORT"`, `"ADDRESS"` (port `defaultPort`), or `{ address, port }`. */
  private listenAddress(node: Node, parent: Located, path: string, defaultPort = DEFAULT_DNS_PORT): ListenConfig | null {
    if (isMap(node)) {
      const l = this.map(node, parent, path, ['address', 'port']);
      const address = this.address(l, 'address', `${path}.address`, true);
      const port = this.int(l, 'port', `${path}.port`, 0, 65535, false, 'a port') ?? defaultPort;
      return address === null ? null : { address, port };
    }
    const text = scalarText(node);
    const match = text === null ? null : /^\[([^\]]+)\](?::(\d{1,5}))?$|^([^:\[\]]+)(?::(\d{1,5}))?$|^([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/.exec(text);
    const address = match ? (match[1] ?? match[3] ?? match[5])! : '';
    const portText = match ? (match[2] ?? match[4]) : undefined;
    const port = portText === undefined ? defaultPort : Number(portText);
    const valid = match !== null && port <= 65535 && (Validator.isValidIPv4String(address)[0] || (address.includes(':') && Validator.isValidIPv6String(address)[0]));
    if (!valid) {
      this.report(node, parent, path, 'must be "ADDRESS:PORT" ("[IPV6]:PORT" for IPv6), or a mapping { address, port }');
      return null;
    }
    return { address: canonicalAddress(address), port };
  }

  /** One zone: `zone`, `ttl`, `ns-ttl`, `names`, `ns`, `soa` (read from `m`, the zone's mapping). */
  private dnsZone(m: YAMLMap, path: string, pops: PopsRead): DnsZoneConfig | null {
    const zoneText = this.optString(m, 'zone', `${path}.zone`);
    if (zoneText === null) {
      if (this.get(m, 'zone') === undefined) this.report(m, m, `${path}.zone`, 'is required (the zone apex, e.g. example.com)');
      return null;
    }
    if (!isDnsName(zoneText)) {
      this.report(this.get(m, 'zone'), m, `${path}.zone`, 'must be a DNS name');
      return null;
    }
    const zone = fqdn(zoneText);
    const ttl = this.int(m, 'ttl', `${path}.ttl`, 0, 86400, false, 'a TTL in seconds') ?? DEFAULT_DNS_TTL;
    const nsTtl = this.int(m, 'ns-ttl', `${path}.ns-ttl`, 0, 604800, false, 'a TTL in seconds') ?? DEFAULT_DNS_NS_TTL;
    // A name in the zone: absolute (ending in the zone), relative (`www`), or `@` for the apex.
    const inZone = (text: string): string | null => {
      if (text === '@') return zone;
      if (!isDnsName(text)) return null;
      const n = fqdn(text);
      if (n === zone || n.endsWith('.' + zone)) return n;
      return text.endsWith('.') ? null : `${n}.${zone}`;
    };
    const ns: DnsNameServerConfig[] = [];
    /** Where each name server was written (its problems are reported there). */
    const nsAt: Node[] = [];
    const nsNode = this.get(m, 'ns');
    if (nsNode === undefined) this.report(m, m, `${path}.ns`, 'is required: the zone\'s name servers (e.g. [ ns1.example.com ])');
    else if (isSeq(nsNode)) {
      nsNode.items.forEach((item, i) => {
        const text = scalarText(item as Node);
        if (text === null || !isDnsName(text)) this.report(item as Node, nsNode, `${path}.ns[${i}]`, 'must be a DNS name');
        else {
          ns.push({ name: fqdn(text), addresses: [] });
          nsAt.push(item as Node);
        }
      });
    } else if (isMap(nsNode)) {
      for (const pair of nsNode.items) {
        const keyNode = pair.key as Node;
        const text = scalarText(keyNode);
        const p = `${path}.ns.${text}`;
        if (text === null || !isDnsName(text)) {
          this.report(keyNode, nsNode, p, 'must be a DNS name');
          continue;
        }
        const addresses: string[] = [];
        const v = (pair.value ?? null) as Node | null;
        const items = v === null || (isScalar(v) && v.value === null) ? [] : isSeq(v) ? (v.items as Node[]) : [v];
        items.forEach((item, i) => {
          const a = scalarText(item);
          if (a === null || !(Validator.isValidIPv4String(a)[0] || (a.includes(':') && Validator.isValidIPv6String(a)[0]))) {
            this.report(item, nsNode, `${p}[${i}]`, 'must be an IPv4 or IPv6 address');
          } else addresses.push(canonicalAddress(a));
        });
        ns.push({ name: fqdn(text), addresses });
        nsAt.push(keyNode);
      }
    } else this.report(nsNode, m, `${path}.ns`, 'must be a list of name server names, or a mapping of names to their addresses');
    if (nsNode !== undefined && ns.length === 0 && (isSeq(nsNode) || isMap(nsNode)) && nsNode.items.length === 0) {
      this.report(nsNode, m, `${path}.ns`, 'needs at least one name server');
    }
    for (const [i, s] of ns.entries()) {
      const inside = s.name === zone || s.name.endsWith('.' + zone);
      if (inside && s.addresses.length === 0) {
        this.report(nsAt[i], m, `${path}.ns.${s.name}`, 'lies inside the zone, so it needs its addresses here (ns: { NAME: [ ADDRESS ] }): nothing else could answer for it');
      } else if (!inside && s.addresses.length > 0) {
        this.report(nsAt[i], m, `${path}.ns.${s.name}`, 'lies outside the zone: its addresses are not ours to give');
      }
    }
    const names: DnsNameConfig[] = [];
    const namesNode = this.get(m, 'names');
    if (namesNode === undefined || (isScalar(namesNode) && namesNode.value === null)) {
      this.report(namesNode ?? m, m, `${path}.names`, 'is required: the names answered with the closest POP');
    } else if (!isMap(namesNode)) {
      this.report(namesNode, m, `${path}.names`, 'must be a mapping of names to { pops, answers, ttl }');
    } else {
      for (const pair of namesNode.items) {
        const keyNode = pair.key as Node;
        const text = scalarText(keyNode) ?? String(pair.key);
        const p = `${path}.names.${text}`;
        const name = inZone(text);
        if (name === null) {
          this.report(keyNode, namesNode, p, `must be a name in zone ${zone} (absolute, relative, or @ for the apex)`);
          continue;
        }
        if (names.some((n) => n.name === name)) {
          this.report(keyNode, namesNode, p, 'is given twice');
          continue;
        }
        if (ns.some((s) => s.name === name && s.addresses.length > 0)) {
          this.report(keyNode, namesNode, p, 'is a name server with fixed addresses (ns:); it cannot also be answered by the decision');
          continue;
        }
        const v = (pair.value ?? null) as Node | null;
        const nm = this.map(isScalar(v) && v.value === null ? null : v, namesNode, p, ['pops', 'answers', 'ttl'], true);
        let popList: string[] | null = null;
        const popsNode = this.get(nm, 'pops');
        if (popsNode !== undefined) {
          if (!isSeq(popsNode) || popsNode.items.length === 0) this.report(popsNode, nm, `${p}.pops`, 'must be a list of POP names');
          else {
            popList = [];
            popsNode.items.forEach((item, i) => {
              const pop = this.popName(item as Node, popsNode, `${p}.pops[${i}]`, pops.names);
              if (pop !== null && !popList!.includes(pop)) popList!.push(pop);
            });
          }
        }
        names.push({
          name,
          pops: popList,
          answers: this.int(nm, 'answers', `${p}.answers`, 1, 64, false, 'a number of records') ?? 1,
          ttl: this.int(nm, 'ttl', `${p}.ttl`, 0, 86400, false, 'a TTL in seconds') ?? ttl,
        });
      }
    }
    const soaNode = this.map(this.get(m, 'soa'), m, `${path}.soa`, ['mname', 'rname', 'serial', 'refresh', 'retry', 'expire', 'minimum'], true);
    const soaName = (key: string, fallback: string): string => {
      const t = this.optString(soaNode, key, `${path}.soa.${key}`);
      if (t === null) return fallback;
      // rname may be written as a mail address (hostmaster@example.com): RFC 1035 8 puts a dot for the @.
      const name = key === 'rname' ? t.replace('@', '.') : t;
      if (!isDnsName(name)) {
        this.report(this.get(soaNode, key), soaNode, `${path}.soa.${key}`, 'must be a DNS name');
        return fallback;
      }
      return fqdn(name);
    };
    const timer = (key: keyof typeof DEFAULT_SOA): number =>
      this.int(soaNode, key, `${path}.soa.${key}`, 0, 0xffffffff, false, key === 'serial' ? 'a serial number' : 'a number of seconds') ?? DEFAULT_SOA[key];
    const soa: DnsSoaConfig = {
      mname: soaName('mname', ns[0]?.name ?? `ns.${zone}`),
      rname: soaName('rname', `hostmaster.${zone}`),
      serial: timer('serial'),
      refresh: timer('refresh'),
      retry: timer('retry'),
      expire: timer('expire'),
      minimum: timer('minimum'),
    };
    return { zone, ttl, nsTtl, names, ns, soa };
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

  private neighbor(node: Node, parent: Node, path: string, bgp: BgpConfig, popNames: readonly string[]): NeighborConfig | null {
    const keys = [
      'address', 'remote-as', 'port', 'passive', 'local-address', 'hold-time', 'connect-retry', 'max-prefixes',
      'graceful-restart', 'add-path', 'description', 'pop',
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
      pop: this.popRef(m, 'pop', `${path}.pop`, popNames),
    };
    // Even a neighbor with other problems gives its POP a view: the multi-view check should not pile on.
    const tag = scalarText(this.get(m, 'pop'));
    if (tag !== null) this.taggedPops.add(tag);
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

  // ---- POPs, the proximity rule, overrides ------------------------------------------------------------------

  /** `pops: { NAME: { as, ipv4, ipv6, host, preference, community, large-community, down, check } }`, optional. */
  private pops(node: Located, parent: Located): PopsRead {
    const read: PopsRead = { pops: [], names: [], entries: [] };
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return read;
    if (!isMap(node)) {
      this.report(node, parent, 'pops', 'must be a mapping of POP names to POPs');
      return read;
    }
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const name = scalarText(keyNode) ?? String(pair.key);
      const path = `pops.${name}`;
      if (!POP_NAME.test(name) || name.length > 63) {
        this.report(keyNode, node, path, 'must be a POP name: a letter or digit, then letters, digits, "_", "." or "-"; at most 63 characters');
      }
      // Named even when invalid, so that references to it do not add "names no POP" to the real problem.
      read.names.push(name);
      const m = this.asMap(pair.value as Node);
      read.entries.push({
        name,
        keyNode,
        hasCommunity: this.get(m, 'community') !== undefined || this.get(m, 'large-community') !== undefined,
      });
      const pop = this.pop(name, keyNode, (pair.value ?? null) as Node | null, path);
      if (pop) read.pops.push(pop);
    }
    return read;
  }

  private pop(name: string, keyNode: Node, node: Node | null, path: string): PopConfig | null {
    const keys = ['as', 'ipv4', 'ipv6', 'host', 'preference', 'community', 'large-community', 'down', 'check'];
    // `NAME:` with nothing after it is reported at the name.
    const m = this.map(isScalar(node) && node.value === null ? null : node, keyNode, path, keys);
    if (!m) return null;
    const as = this.asNumber(m, 'as', `${path}.as`, true);
    const ipv4 = this.ipv4(m, 'ipv4', `${path}.ipv4`, false);
    const ipv6 = this.ipv6(m, 'ipv6', `${path}.ipv6`);
    const host = this.hostName(m, 'host', `${path}.host`);
    const given = (key: string): boolean => this.get(m, key) !== undefined;
    if (!given('ipv4') && !given('ipv6') && !given('host')) {
      this.report(keyNode, m, path, 'needs an answer: ipv4, ipv6 or host');
    }
    const pop: PopConfig = {
      name,
      as: as ?? 0,
      ipv4,
      ipv6,
      host,
      preference: this.int(m, 'preference', `${path}.preference`, 0, 65535) ?? DEFAULT_POP_PREFERENCE,
      community: this.community(m, 'community', `${path}.community`, false),
      largeCommunity: this.community(m, 'large-community', `${path}.large-community`, true),
      down: this.bool(m, 'down', `${path}.down`) ?? false,
      check: null,
    };
    const checkNode = this.get(m, 'check');
    if (checkNode !== undefined && !(isScalar(checkNode) && checkNode.value === null)) {
      pop.check = this.check(checkNode, m, `${path}.check`, pop, given('ipv4') || given('ipv6'));
    }
    return as === null ? null : pop;
  }

  /**
   * `check: { tcp: PORT | http: URL, interval, timeout, rise, fall, address }`. `answerGiven`: the POP has an
   * ipv4 or ipv6 key, valid or not (an invalid one is reported already; no second complaint about the address).
   */
  private check(node: Node, parent: YAMLMap, path: string, pop: PopConfig, answerGiven: boolean): PopCheckConfig | null {
    const m = this.map(node, parent, path, ['tcp', 'http', 'interval', 'timeout', 'rise', 'fall', 'address']);
    if (!m) return null;
    const hasTcp = this.get(m, 'tcp') !== undefined;
    const hasHttp = this.get(m, 'http') !== undefined;
    if (hasTcp === hasHttp) this.report(m, m, path, 'needs exactly one of tcp: PORT or http: URL');
    const tcpPort = hasTcp ? this.port(m, 'tcp', `${path}.tcp`) : null;
    const http = hasHttp ? this.httpUrl(m, 'http', `${path}.http`, pop.host) : null;

    const intervalMs = this.checkSeconds(m, 'interval', `${path}.interval`);
    const timeoutMs = this.checkSeconds(m, 'timeout', `${path}.timeout`);
    const intervalGiven = this.get(m, 'interval') !== undefined;
    const interval = intervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
    // An unset timeout is the default one, cut down to the interval if that is shorter.
    let timeout = Math.min(DEFAULT_CHECK_TIMEOUT_MS, interval);
    if (timeoutMs !== null) {
      timeout = timeoutMs;
      if (timeoutMs > interval && (intervalMs !== null || !intervalGiven)) {
        this.report(this.get(m, 'timeout'), m, `${path}.timeout`,
          `must be at most the interval (${interval / 1000} s${intervalGiven ? '' : ', the default'})`);
      }
    }

    let address = this.address(m, 'address', `${path}.address`, false);
    if (this.get(m, 'address') === undefined) {
      address = pop.ipv4 ?? pop.ipv6;
      if (address === null && !answerGiven) {
        this.report(m, m, path, 'needs an address to probe: give the POP an ipv4 or ipv6 answer, or check.address');
      }
    }
    const common = {
      address: address ?? '',
      intervalMs: interval,
      timeoutMs: timeout,
      rise: this.int(m, 'rise', `${path}.rise`, 1, 100) ?? DEFAULT_CHECK_RISE,
      fall: this.int(m, 'fall', `${path}.fall`, 1, 100) ?? DEFAULT_CHECK_FALL,
    };
    if (hasTcp && !hasHttp && tcpPort !== null) return { kind: 'tcp', port: tcpPort, path: null, host: null, ...common };
    if (hasHttp && !hasTcp && http !== null) return { kind: 'http', ...http, ...common };
    return null;
  }

  /** `http://HOST[:PORT]/path?query`, or an absolute path `/health` (sent with the POP's host name, if any). */
  private httpUrl(m: YAMLMap, key: string, path: string, popHost: string | null): { port: number; path: string; host: string | null } | null {
    const s = this.scalar(m, key, path, false);
    if (!s) return null;
    const v = s.value;
    const bad = (message: string): null => {
      this.report(s.node, m, path, message);
      return null;
    };
    const expected = 'must be an http:// URL or an absolute path such as /health';
    if (typeof v !== 'string' || v === '' || /[\s#]/.test(v)) return bad(expected);
    if (v.startsWith('/')) {
      if (v.startsWith('//')) return bad(expected);
      const u = new URL(v, 'http://localhost');
      return { port: 80, path: u.pathname + u.search, host: popHost };
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(v)?.[1]?.toLowerCase();
    if (scheme === 'https') return bad('https is not supported: give an http:// URL or an absolute path such as /health');
    if (scheme !== 'http' || !/^http:\/\/[^/?]/i.test(v)) return bad(expected);
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return bad(`${expected} (this one does not parse)`);
    }
    if (u.username !== '' || u.password !== '') return bad('must not carry a user name or password');
    if (u.port === '0') return bad('must have a port 1..65535');
    return { port: u.port === '' ? 80 : Number(u.port), path: u.pathname + u.search, host: u.hostname };
  }

  /** A check's interval or timeout: seconds, decimals allowed, more than 0 and at most 3600; in milliseconds. */
  private checkSeconds(m: YAMLMap, key: string, path: string): number | null {
    const s = this.scalar(m, key, path, false);
    if (!s) return null;
    const v = s.value;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 3600) {
      this.report(s.node, m, path, 'must be a number of seconds, more than 0 and at most 3600');
      return null;
    }
    return Math.max(1, Math.round(v * 1000));
  }

  /** `proximity: { rule: classic | multi-view, self: POP }`; self defaults to the first POP in the file. */
  private proximity(node: Located, parent: Located, pops: PopsRead): ProximityConfig {
    const m = this.map(node, parent, 'proximity', ['rule', 'self'], true);
    let rule: ProximityRule = 'classic';
    const ruleText = this.optString(m, 'rule', 'proximity.rule');
    if (ruleText !== null) {
      if (PROXIMITY_RULES.includes(ruleText as ProximityRule)) rule = ruleText as ProximityRule;
      else this.report(this.get(m, 'rule'), m, 'proximity.rule', `must be one of ${PROXIMITY_RULES.join(', ')}`);
    }
    const self = this.get(m, 'self') !== undefined ? this.popRef(m, 'self', 'proximity.self', pops.names) : (pops.names[0] ?? null);
    return { rule, self };
  }

  /** `overrides: { "PREFIX": POP }`: prefixes with their host bits zero, each once. */
  private overrides(node: Located, parent: Located, popNames: readonly string[]): OverrideConfig[] {
    const overrides: OverrideConfig[] = [];
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return overrides;
    if (!isMap(node)) {
      this.report(node, parent, 'overrides', 'must be a mapping of prefixes to POP names');
      return overrides;
    }
    const seen = new Map<string, string>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const text = scalarText(keyNode) ?? String(pair.key);
      const path = `overrides[${JSON.stringify(text)}]`;
      const prefix = parsePrefix(text);
      if (prefix === null) {
        this.report(keyNode, node, path, 'must be an IPv4 or IPv6 prefix ADDRESS/LENGTH (length 0..32 or 0..128)');
      } else if (prefix.hostBits) {
        this.report(keyNode, node, path, `has host bits set; did you mean ${prefix.text}?`);
      } else {
        const first = seen.get(prefix.text);
        if (first !== undefined) this.report(keyNode, node, path, `duplicates overrides[${JSON.stringify(first)}]`);
        else seen.set(prefix.text, text);
      }
      const valueNode = (pair.value ?? null) as Node | null;
      const pop = this.popName(valueNode, keyNode, path, popNames);
      if (prefix !== null && !prefix.hostBits && pop !== null) overrides.push({ prefix: prefix.text, pop });
    }
    return overrides;
  }

  /** An optional reference to a configured POP by name. */
  private popRef(m: YAMLMap | null, key: string, path: string, popNames: readonly string[]): string | null {
    const node = this.get(m, key);
    return node === undefined ? null : this.popName(node, m, path, popNames);
  }

  private popName(node: Node | null, parent: Located, path: string, popNames: readonly string[]): string | null {
    const name = scalarText(node);
    if (name === null) {
      // An empty value is reported where its key is (the parent), not at the end of the line.
      this.report(isScalar(node) && node.value === null ? null : node, parent, path, 'must be the name of a POP');
      return null;
    }
    if (!popNames.includes(name)) {
      this.report(node, parent, path, popNames.length > 0 ? `names no POP; configured: ${popNames.join(', ')}` : 'names no POP: no pops are configured');
      return null;
    }
    return name;
  }

  /** "A:B" (each 0..65535) or, large, "A:B:C" (each 0..4294967295); returned without leading zeros. */
  private community(m: YAMLMap, key: string, path: string, large: boolean): string | null {
    const s = this.scalar(m, key, path, false);
    if (!s) return null;
    const match = typeof s.value === 'string' ? (large ? /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/ : /^(\d{1,5}):(\d{1,5})$/).exec(s.value) : null;
    const max = large ? 0xffffffff : 0xffff;
    if (!match || match.slice(1).some((part) => Number(part) > max)) {
      this.report(s.node, m, path, large ? 'must be a large community "A:B:C", each part 0..4294967295' : 'must be a community "A:B", each part 0..65535');
      return null;
    }
    return match.slice(1).map(Number).join(':');
  }

  private ipv6(m: YAMLMap, key: string, path: string): string | null {
    const s = this.scalar(m, key, path, false);
    if (!s) return null;
    const v = s.value;
    const canonical = typeof v === 'string' && v.includes(':') && Validator.isValidIPv6String(v)[0] ? canonicalAddress(v) : null;
    // An IPv4-mapped address comes back as IPv4: that one belongs in ipv4.
    if (canonical === null || !canonical.includes(':')) {
      this.report(s.node, m, path, 'must be an IPv6 address');
      return null;
    }
    return canonical;
  }

  private hostName(m: YAMLMap, key: string, path: string): string | null {
    const s = this.scalar(m, key, path, false);
    if (!s) return null;
    if (typeof s.value !== 'string' || !isDnsName(s.value)) {
      this.report(s.node, m, path, 'must be a DNS name: labels of letters, digits and hyphens, separated by dots; at most 253 characters');
      return null;
    }
    return s.value;
  }

  // ---- generic helpers -------------------------------------------------------------------------------------

  private asMap(node: Located): YAMLMap | null {
    return isMap(node) ? node : null;
  }

  /**
   * Checks node is a mapping with only known keys; a missing optional mapping is null without complaint.
   * `holdsSecrets`: the mapping has a password, so an unknown key is named only when it looks like a key that was
   * given a value (`pasword: x`); `{ password s3cret }` (a colon forgotten) makes the key "password s3cret", which is
   * located by line and column but never echoed.
   */
  private map(node: Located, parent: Located, path: string, keys: string[], optional = false, holdsSecrets = false): YAMLMap | null {
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
        const nameable = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/.test(key) && !(holdsSecrets && (pair.value === null || (isScalar(pair.value) && pair.value.value === null)));
        const shown = nameable ? key : '(a key not shown: it may hold a secret)';
        const where = path ? `${path}.${shown}` : shown;
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

  /**
   * A quoted octal permission mode ("0660"). A bare 0660 is refused: YAML 1.2 reads it as the decimal 660, which
   * would silently be another mode. The owner keeps read and write; nothing is executable.
   */
  private fileMode(m: YAMLMap | null, key: string, path: string): number | null {
    const s = this.scalar(m, key, path, false);
    if (!s) return null;
    const text = typeof s.value === 'string' ? s.value.trim() : null;
    const match = text === null ? null : /^0?o?([0-7]{3})$/.exec(text);
    if (match === null) {
      this.report(s.node, m, path, 'must be a quoted octal mode such as "0600" or "0660"');
      return null;
    }
    const mode = parseInt(match[1]!, 8);
    if ((mode & 0o600) !== 0o600 || (mode & 0o111) !== 0) {
      this.report(s.node, m, path, 'must give the owner read and write and nothing execute (e.g. "0600", "0660")');
      return null;
    }
    return mode;
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

/** What `pops:` held: the valid POPs, and every name with where it was written, in file order. */
interface PopsRead {
  pops: PopConfig[];
  names: string[];
  entries: { name: string; keyNode: Node; hasCommunity: boolean }[];
}

const POP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const PROXIMITY_RULES: readonly ProximityRule[] = ['classic', 'multi-view'];
const ROUTE_SERVER_TYPES = ['zebra', 'quagga', 'frr', 'cisco'] as const;

/** A scalar's text as written (`01` stays "01"); null for anything else or an empty value. */
function scalarText(node: Located): string | null {
  if (!isScalar(node) || node.value === null || typeof node.value === 'object') return null;
  return typeof node.source === 'string' ? node.source : String(node.value);
}

/** A DNS name as the responder keys it: lower case, no trailing dot. */
function fqdn(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

/** Labels of letters, digits and hyphens (not at either end), 1..63 each; an optional trailing dot; <= 253. */
function isDnsName(name: string): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  return bare !== '' && bare.length <= 253 && bare.split('.').every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/**
 * "ADDRESS/LENGTH" to its canonical text (IPv4 dotted quad; IPv6 compressed lower-case, RFC 5952) with the host
 * bits cleared, and whether the text had any set; null if it is no prefix.
 */
function parsePrefix(text: string): { text: string; hostBits: boolean } | null {
  const t = text.trim();
  if (!/^[^/]+\/\d{1,3}$/.test(t) || t.includes('%')) return null;
  let masked: ParsedPrefix;
  let address: ParsedAddress;
  try {
    masked = parseRibPrefix(t, false); // host bits cleared
    address = parseAddress(t.slice(0, t.indexOf('/')));
  } catch {
    return null;
  }
  const canonical = formatPrefix(masked.afi, masked.a, masked.b, masked.c, masked.d, masked.length);
  const hostBits = address.a !== masked.a || address.b !== masked.b || address.c !== masked.c || address.d !== masked.d;
  return { text: canonical, hostBits };
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
