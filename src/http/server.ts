// The HTTP front end on node:http: the JSON API (the control socket's answers, so the shapes are the CLI's --json
// ones), health and readiness, Prometheus metrics, the status page, and the redirect mode. Clients are held to
// limits (connections, header and request time, keep-alive idleness), so a slow one cannot hold the process.
import http from 'node:http';
import net from 'node:net';
import type Logger from 'bunyan';
import { Afi } from '../bgp/index.js';
import type { HttpConfig, ListenConfig } from '../config/index.js';
import { readAddress, type ParsedAddress } from '../rib/index.js';
import { TrustedProxies } from './client-address.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page.js';
import type { HttpSources } from './types.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
/** Most `addr` parameters one query may carry. */
export const MAX_QUERY_ADDRESSES = 1000;
/** How often node:http looks for connections past their header or request deadline (its default is 30 s). */
const CONNECTIONS_CHECK_MS = 1000;
/** Requests one keep-alive connection may make before it is closed (a fresh one is cheap). */
const MAX_REQUESTS_PER_SOCKET = 1000;
/** After a reload moved the listener, requests still running on the old one get this long to finish. */
const OLD_LISTENER_GRACE_MS = 2000;

/** A bound address: what the listener asked for and the port it got (port 0 picks a free one). */
export interface HttpBound {
  address: string;
  port: number;
}

/** An error the client caused: answered with its status and {"error": message}. */
export class HttpRequestError extends Error {
  override readonly name = 'HttpRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Route = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> | void;

export class HttpServer {
  private listeners: http.Server[] = [];
  private proxies: TrustedProxies;
  private redirectHosts: Set<string>;
  private readonly parsed: ParsedAddress = { afi: Afi.IPv4, a: 0, b: 0, c: 0, d: 0 };
  private readonly routes: Map<string, Route>;
  /** Connections that have sent a request (the others are dropped after the headers timeout). */
  private readonly spoken = new WeakSet<net.Socket>();
  /** The addresses and ports it listens on. */
  bound: HttpBound[] = [];

  constructor(
    private readonly sources: HttpSources,
    private config: HttpConfig,
    private readonly log: Logger,
  ) {
    this.proxies = new TrustedProxies(config.trustedProxies);
    this.redirectHosts = new Set(config.redirect?.hosts ?? []);
    this.routes = new Map<string, Route>([
      ['/', (req, res) => this.statusPage(req, res)],
      ['/healthz', (req, res) => this.send(req, res, 200, TEXT_TYPE, 'ok\n')],
      ['/readyz', (req, res) => {
        const r = this.sources.readiness();
        this.json(req, res, r.ready ? 200 : 503, { ready: r.ready, reason: r.reason });
      }],
      ['/metrics', (req, res) => this.metrics(req, res)],
      ['/api/v1/query', (req, res, url) => this.query(req, res, url)],
      ['/api/v1/explain', (req, res, url) => this.explain(req, res, url)],
      ['/api/v1/neighbors', async (req, res) => this.json(req, res, 200, await this.sources.request({ command: 'neighbors' }))],
      ['/api/v1/pops', async (req, res) => this.json(req, res, 200, await this.sources.request({ command: 'pops' }))],
      ['/api/v1/status', async (req, res) => this.json(req, res, 200, await this.sources.status())],
    ]);
  }

  /** Listens on every configured address; on failure closes whatever it bound and throws. */
  async start(): Promise<void> {
    const { servers, bound } = await this.listenAll(this.config);
    this.listeners = servers;
    this.bound = bound;
    this.log.info({ listen: this.bound }, `HTTP server listening on ${this.bound.map(formatBound).join(', ')}`);
  }

  /**
   * Applies a new `http:` section. A new listen address is bound before the old one closes; if it cannot be, this
   * throws and nothing changed. Everything else (limits, trusted proxies, redirect) applies at once.
   */
  async reconfigure(next: HttpConfig): Promise<void> {
    (await this.prepare(next)).commit();
  }

  /**
   * The first half of reconfigure(): binds the new listen addresses (throwing, with nothing changed, if one cannot be
   * bound) and returns how to switch to `next` (closing the listeners it no longer has) or to drop the new ones, so
   * that a reload can bind every new address before it changes anything. A listen entry in both the running and the
   * new configuration keeps its listener: binding it a second time would fail (EADDRINUSE), so an address could
   * never be added beside one that stays.
   */
  async prepare(next: HttpConfig): Promise<{ commit(): void; abort(): void }> {
    const running = new Map<string, { server: http.Server; bound: HttpBound }[]>();
    this.config.listen.forEach((l, i) => {
      const server = this.listeners[i];
      if (server === undefined) return;
      const key = listenKey(l);
      running.set(key, [...(running.get(key) ?? []), { server, bound: this.bound[i]! }]);
    });
    const kept = next.listen.map((l) => running.get(listenKey(l))?.shift() ?? null);
    const fresh = await this.listenAll({ ...next, listen: next.listen.filter((_, i) => kept[i] === null) });
    const servers: http.Server[] = [];
    const bound: HttpBound[] = [];
    let f = 0;
    for (const k of kept) {
      servers.push(k?.server ?? fresh.servers[f]!);
      bound.push(k?.bound ?? fresh.bound[f++]!);
    }
    return {
      commit: () => {
        const old = this.listeners.filter((s) => !servers.includes(s));
        this.listeners = servers;
        this.bound = bound;
        for (const s of old) {
          s.close();
          s.closeIdleConnections();
          setTimeout(() => s.closeAllConnections(), OLD_LISTENER_GRACE_MS).unref();
        }
        if (fresh.servers.length > 0 || old.length > 0) this.log.info({ listen: this.bound }, `HTTP server listening on ${this.bound.map(formatBound).join(', ')}`);
        this.config = next;
        this.proxies = new TrustedProxies(next.trustedProxies);
        this.redirectHosts = new Set(next.redirect?.hosts ?? []);
        for (const s of this.listeners) this.applyLimits(s);
      },
      abort: () => {
        for (const s of fresh.servers) {
          s.close();
          s.closeAllConnections();
        }
      },
    };
  }

  async stop(): Promise<void> {
    const servers = this.listeners.splice(0);
    this.bound = [];
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }

  // ---------------------------------------------------------------- listening

  private async listenAll(config: HttpConfig): Promise<{ servers: http.Server[]; bound: HttpBound[] }> {
    const servers: http.Server[] = [];
    const bound: HttpBound[] = [];
    try {
      for (const l of config.listen) {
        const s = await this.listen(l, config);
        servers.push(s);
        const a = s.address();
        bound.push({ address: l.address, port: typeof a === 'object' && a !== null ? a.port : l.port });
      }
    } catch (err) {
      for (const s of servers) {
        s.close();
        s.closeAllConnections();
      }
      throw err;
    }
    return { servers, bound };
  }

  private listen(l: ListenConfig, config: HttpConfig): Promise<http.Server> {
    const server = http.createServer(
      {
        connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
        requestTimeout: config.requestTimeoutSeconds * 1000,
        headersTimeout: config.headersTimeoutSeconds * 1000,
        noDelay: true,
      },
      (req, res) => this.onRequest(req, res),
    );
    this.applyLimits(server, config);
    // node:http's header deadline starts with the first byte: a client that connects and sends nothing would hold its
    // connection (and a slot under max-connections) for ever. It gets the headers timeout from connecting instead.
    server.on('connection', (socket: net.Socket) => {
      const timer = setTimeout(() => {
        if (!this.spoken.has(socket)) {
          this.log.debug({ client: socket.remoteAddress }, 'HTTP: connection closed: no request within the headers timeout');
          socket.destroy();
        }
      }, this.config.headersTimeoutSeconds * 1000);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    });
    server.on('drop', (d?: { remoteAddress?: string }) => this.log.debug({ client: d?.remoteAddress }, 'HTTP: connection refused: at the connection cap'));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: l.port, host: l.address, ipv6Only: net.isIPv6(l.address) }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.warn({ err }, 'HTTP: listener error'));
        resolve(server);
      });
    });
  }

  private applyLimits(server: http.Server, config = this.config): void {
    server.maxConnections = config.maxConnections;
    server.requestTimeout = config.requestTimeoutSeconds * 1000;
    server.headersTimeout = config.headersTimeoutSeconds * 1000;
    server.keepAliveTimeout = config.keepAliveTimeoutSeconds * 1000;
    // A connection with no traffic either way (a client that stops reading its answer) goes after this long.
    server.timeout = config.requestTimeoutSeconds * 1000;
    server.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
  }

  // ---------------------------------------------------------------- requests

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = performance.now();
    this.spoken.add(req.socket);
    res.on('finish', () => {
      const ms = performance.now() - started;
      this.sources.metrics?.observeHttpRequest?.(this.routeLabel(req), res.statusCode, ms / 1000);
      this.log.debug({ method: req.method, url: req.url, status: res.statusCode, client: req.socket.remoteAddress, ms: Math.round(ms * 10) / 10 }, 'HTTP request');
    });
    // No route reads a body: let one flow past (and be discarded) so that keep-alive goes on.
    req.resume();
    this.handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpRequestError ? err.status : 500;
      if (status === 500) this.log.warn({ err, url: req.url }, 'HTTP: request failed');
      if (res.headersSent) res.destroy();
      else this.json(req, res, status, { error: (err as Error).message });
    });
  }

  /** The metrics' label for a request: its route's path, `redirect`, or `other` (unknown paths must not add series). */
  private routeLabel(req: http.IncomingMessage): string {
    if (this.redirectHosts.size > 0 && this.redirectHosts.has(hostName(req.headers.host))) return 'redirect';
    const target = req.url ?? '/';
    const end = target.indexOf('?');
    const path = end < 0 ? target : target.slice(0, end);
    return this.routes.has(path) ? path : 'other';
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    if (this.redirectHosts.size > 0 && this.redirectHosts.has(hostName(req.headers.host))) return this.redirect(req, res, target);
    let url: URL;
    try {
      url = target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target);
    } catch {
      throw new HttpRequestError(400, `not a request target: ${target.slice(0, 200)}`);
    }
    const route = this.routes.get(url.pathname);
    if (route === undefined) throw new HttpRequestError(404, `no such resource: ${url.pathname.slice(0, 200)}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpRequestError(405, `method ${req.method} not allowed: GET or HEAD`);
    }
    await route(req, res, url);
  }

  private async query(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const addresses = this.addresses(url);
    if (addresses.length > MAX_QUERY_ADDRESSES) throw new HttpRequestError(400, `at most ${MAX_QUERY_ADDRESSES} "addr" parameters a request`);
    const results = (await this.sources.request({ command: 'query', addresses })) as unknown[];
    this.json(req, res, 200, addresses.length === 1 ? results[0] : results);
  }

  private async explain(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const addresses = this.addresses(url);
    if (addresses.length !== 1) throw new HttpRequestError(400, 'explain takes one "addr" parameter');
    this.json(req, res, 200, await this.sources.request({ command: 'explain', address: addresses[0] }));
  }

  /** The `addr` parameters, each an IP address (else 400), at least one. */
  private addresses(url: URL): string[] {
    const list = url.searchParams.getAll('addr').map((a) => a.trim());
    if (list.length === 0) throw new HttpRequestError(400, 'the "addr" parameter (an IP address) is required');
    for (const a of list) {
      if (!readAddress(a, this.parsed)) throw new HttpRequestError(400, `not an IP address: ${JSON.stringify(a.slice(0, 100))}`);
    }
    return list;
  }

  private async metrics(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const m = this.sources.metrics;
    if (m === null) throw new HttpRequestError(404, 'metrics are not available in this daemon (no metrics source was given to the HTTP server)');
    this.send(req, res, 200, m.contentType, await m.render());
  }

  private statusPage(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.setHeader('Content-Security-Policy', STATUS_PAGE_CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    this.send(req, res, 200, 'text/html; charset=utf-8', STATUS_PAGE_HTML);
  }

  /**
   * Redirect mode: the client (the socket's peer, or what trusted proxies forward) goes to the closest POP that has
   * a host; 503 when none has.
   */
  private async redirect(req: http.IncomingMessage, res: http.ServerResponse, target: string): Promise<void> {
    const redirect = this.config.redirect!;
    const client = this.proxies.clientOf(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    if (client === null) throw new HttpRequestError(400, 'the client address is unknown');
    const d = await this.sources.decide(client);
    res.setHeader('Cache-Control', 'no-store');
    if (d.pop !== null) res.setHeader('X-Supersparrow-Pop', d.pop);
    if (d.host === null) {
      this.send(req, res, 503, TEXT_TYPE, 'No POP with a host name is available to redirect to.\n');
      return;
    }
    const location = `${redirect.scheme}://${d.host}${requestPath(target)}`;
    res.setHeader('Location', location);
    this.send(req, res, redirect.status, TEXT_TYPE, `Redirecting to ${location}\n`);
  }

  // ---------------------------------------------------------------- answers

  private json(req: http.IncomingMessage, res: http.ServerResponse, status: number, value: unknown): void {
    if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
    this.send(req, res, status, JSON_TYPE, JSON.stringify(value ?? null) + '\n');
  }

  private send(req: http.IncomingMessage, res: http.ServerResponse, status: number, type: string, body: string): void {
    res.statusCode = status;
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // HEAD: the same headers, no body.
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/** The Host header's name: lower case, without port or trailing dot ('' when absent). */
export function hostName(host: string | undefined): string {
  if (host === undefined) return '';
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** The path and query of a request target (origin-form as is; absolute-form reduced), safe for a Location. */
function requestPath(target: string): string {
  let path = target;
  if (!path.startsWith('/')) {
    try {
      const u = new URL(path);
      path = u.pathname + u.search;
    } catch {
      path = '/';
    }
  }
  // Anything outside visible ASCII is percent-encoded: a header value must not carry it. node:http gives the
  // target's bytes as latin1 characters, so each is one byte.
  return path.replace(/[^\x21-\x7e]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(c);
  });
}

/** A listen entry as configured (port 0 included: the same entry keeps the port it got). */
function listenKey(l: ListenConfig): string {
  return `${l.address}|${l.port}`;
}

function formatBound(b: HttpBound): string {
  return net.isIPv6(b.address) ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
}
