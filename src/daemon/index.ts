// The daemon's wiring: configuration -> RIB + BGP speaker + control socket. Kept apart from src/session so that
// the session layer knows nothing of the config file or the CLI.
import { createWriteStream, openSync } from 'node:fs';
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import type bunyanType from 'bunyan';
import { CeaseSubcode } from '../bgp/index.js';
import { ConfigError, loadConfigFile, type Config, type NeighborConfig } from '../config/index.js';
import { ControlServer, createControlHandler, type ControlRequest, type QueryJson } from '../control/index.js';
import { DnsResponder, DnsServer, loadUdpBatch } from '../dns/index.js';
import { DaemonMetrics, HttpServer, type HttpControlRequest, type HttpSources, type RedirectDecision } from '../http/index.js';
import { DecisionCounts, Proximity, RULE_NAMES } from '../proximity/index.js';
import { createRib, RibJournal, type RibReader, type RibWriter } from '../rib/index.js';
import { DnsWorkers } from './dns-workers.js';
import { Fallback } from './fallback.js';
import { HealthCheck } from './health.js';
import { TableLoad, type ReadyState } from './readiness.js';
import { AnswerWindow, buildStatus } from './status.js';
import { DaemonCounters, metricSources } from './metrics.js';
import { proximitySetup } from './setup.js';
import { loadWarmStart, saveRibSnapshot, SnapshotError, type SnapshotSaved, type WarmStartLoaded } from './snapshot.js';
import { Speaker, type NeighborOptions } from '../session/index.js';

export { proximitySetup, Fallback, DaemonCounters };
export type { DecisionSource } from './metrics.js';
export { saveRibSnapshot, loadWarmStart, SnapshotError, type SnapshotSaved, type SaveOptions, type WarmStartLoaded } from './snapshot.js';
export type { FallbackStatus } from './fallback.js';
export type { ReadyState } from './readiness.js';

/** How long the table may take to load before the daemon counts as ready anyway, when `dns:` does not say. */
export const DEFAULT_READY_TIMEOUT = 30;

// A CommonJS package: require(), not import (RSS; see src/config/load.ts).
const bunyan = createRequire(import.meta.url)('bunyan') as typeof bunyanType;
type bunyan = bunyanType;

export interface Daemon {
  /** The RIB as the front ends read it. */
  readonly rib: RibReader;
  readonly speaker: Speaker;
  /** The POP decision the front ends answer with. */
  readonly proximity: Proximity;
  readonly control: ControlServer;
  /** The DNS responder and its sockets, when `dns:` is configured, and its worker threads (`dns.workers`). */
  readonly dns: { responder: DnsResponder; server: DnsServer; workers: DnsWorkers | null } | null;
  /** The route-server fallback (`route-server:`), answering while no BGP session is Established. */
  readonly fallback: Fallback | null;
  /** The HTTP front end, when `http:` is configured (a reload may start or stop it). */
  readonly http: HttpServer | null;
  /**
   * Whether the table has loaded: every neighbor sent End-of-RIB, or there is none, or the startup timeout
   * (dns.startup.timeout, else 30 s) passed. DNS answers self and /readyz answers 503 until then.
   */
  ready(): ReadyState;
  /** What `--warm-start FILE` loaded (null without one, or when the file was unusable and the daemon started cold). */
  readonly warmStart: WarmStartLoaded | null;
  readonly log: bunyan;
  /** Writes the RIB to an MRT TABLE_DUMP_V2 file (`mrt save`); one save at a time, a second one is refused. */
  saveSnapshot(file: string): Promise<SnapshotSaved>;
  /** The Prometheus metrics (render() at each scrape). */
  readonly metrics: DaemonMetrics;
  /** What the metrics count in the daemon: reloads, and decisions by front end (listener('api') for the HTTP API). */
  readonly counters: DaemonCounters;
  /** Administrative shutdown of every session (RFC 9003 message), then the control socket closes. */
  stop(message?: string): Promise<void>;
  /**
   * Re-reads the config file. A bad file changes nothing (its problems are thrown as ConfigError and logged);
   * otherwise removed neighbors get Cease/Peer De-configured, changed ones Cease/Other Configuration Change and
   * restart, new ones start. A new listen address is bound before the old one closes (a failure changes
   * nothing); a new local AS or router id restarts every session. control.socket and log.file need a restart
   * and are only reported.
   */
  reload(): Promise<ReloadResult>;
}

export interface ReloadResult {
  added: string[];
  removed: string[];
  changed: string[];
  /** Settings that differ but only take effect after a restart. */
  needsRestart: string[];
}

export function createLogger(config: Config): bunyan {
  let stream: NodeJS.WritableStream = process.stderr;
  if (config.log.file) {
    const file = config.log.file;
    let fd: number;
    try {
      // Opened here, synchronously, so that a bad path is a startup error and not a crash once running.
      fd = openSync(file, 'a');
    } catch (err) {
      throw new Error(`cannot open the log file ${file}: ${(err as Error).message}`);
    }
    const fileStream = createWriteStream(file, { fd });
    let reported = false;
    // A failing log file (disk full, I/O error) must not take the daemon down: say so once and go on.
    fileStream.on('error', (err) => {
      if (reported) return;
      reported = true;
      process.stderr.write(`supersparrow: writing the log file ${file} failed, log records are lost: ${err.message}\n`);
    });
    stream = fileStream;
  }
  return bunyan.createLogger({ name: 'supersparrow', level: config.log.level, streams: [{ stream, level: config.log.level }] });
}

/**
 * Maps a configured neighbor to the session layer's options. Without a local-address, outgoing connections
 * leave from the listen address when it is a specific one of the same family: peers usually check the source.
 */
export function neighborOptions(n: NeighborConfig, listen: Config['bgp']['listen'] = null): NeighborOptions {
  let localAddress = n.localAddress;
  if (localAddress === null && listen !== null && !isWildcard(listen.address) && isIP(listen.address) === isIP(n.address)) {
    localAddress = listen.address;
  }
  return {
    address: n.address,
    remoteAs: n.remoteAs,
    port: n.port,
    passive: n.passive,
    localAddress,
    holdTime: n.holdTime,
    connectRetry: n.connectRetry,
    maxPrefixes: n.maxPrefixes,
    gracefulRestart: n.gracefulRestart.enabled,
    gracefulRestartNotification: n.gracefulRestart.notification,
    stalePathTime: n.gracefulRestart.stalePathTime,
    addPath: n.addPath,
    description: n.description,
  };
}

/**
 * The POPs' health checks, one per POP with `check:`, feeding the decision. A reload keeps a check whose
 * settings did not change (and its rise/fall counts), restarts a changed one and stops a removed one.
 */
class HealthChecks {
  private readonly running = new Map<string, { key: string; check: HealthCheck }>();

  constructor(
    private readonly proximity: Proximity,
    private readonly log: bunyan,
  ) {}

  apply(config: Config): void {
    const wanted = new Map(config.pops.flatMap((p) => (p.check === null ? [] : [[p.name, p.check] as const])));
    for (const [name, r] of this.running) {
      const next = wanted.get(name);
      if (next === undefined || JSON.stringify(next) !== r.key) {
        r.check.stop();
        this.running.delete(name);
      }
    }
    for (const [name, spec] of wanted) {
      if (this.running.has(name)) continue;
      const check = new HealthCheck(spec, (up, reason) => {
        this.log[up ? 'info' : 'warn']({ pop: name, up, reason }, `POP ${name} health check ${up ? 'passes' : 'fails'}: ${reason}`);
        if (this.proximity.pop(name)) this.proximity.setCheck(name, up, reason);
      });
      this.running.set(name, { key: JSON.stringify(spec), check });
      // A new check starts up (optimistic, as HealthCheck does): a failure of the old check's settings must not
      // keep the POP down, since the new check only reports changes.
      if (this.proximity.pop(name)) this.proximity.setCheck(name, true, 'check (re)started, not probed yet');
      check.start();
    }
  }

  stop(): void {
    for (const r of this.running.values()) r.check.stop();
    this.running.clear();
  }
}

export interface DaemonOptions {
  /**
   * An MRT snapshot (`mrt save`) to load before the first session (`serve --warm-start FILE`): its routes are held
   * for the configured neighbors they came from until those send End-of-RIB. An unusable file is logged as an
   * error and the daemon starts cold.
   */
  warmStart?: string | null;
  /** How long warm-start routes wait for their neighbor's session; default each neighbor's stale-path-time. */
  warmStartHoldSeconds?: number;
}

/** Starts the daemon: control socket first (so a second daemon fails early), then the speaker. */
export async function startDaemon(config: Config, socketPath: string, log: bunyan = createLogger(config), options: DaemonOptions = {}): Promise<Daemon> {
  const { writer: ribWriter, reader: rib } = createRib();
  // With DNS worker threads, every write to the RIB also goes out as a journal to their replicas: flushed once per
  // turn of the event loop that wrote something, so a change reaches them within a turn.
  let journal: RibJournal | null = null;
  if ((config.dns?.workers ?? 0) > 0) {
    let flushing = false;
    journal = new RibJournal(ribWriter, {
      onPending: () => {
        if (flushing) return;
        flushing = true;
        setImmediate(() => {
          flushing = false;
          journal!.flush();
        });
      },
      onListenerError: (err) => log.error({ err }, 'DNS workers: a replica stream failed'),
    });
  }
  const writer = journal ?? ribWriter;
  const speaker = new Speaker({
    localAs: config.bgp.localAs,
    routerId: config.bgp.routerId,
    listen: config.bgp.listen,
    rib: writer,
    log,
  });
  for (const n of config.neighbors) speaker.addNeighbor(neighborOptions(n, config.bgp.listen));
  const proximity = new Proximity(rib, proximitySetup(config));
  proximity.onPopState((pop, up, reason) => {
    log[up ? 'info' : 'warn']({ pop: pop.config.name, up, reason, transitions: pop.transitions }, `POP ${pop.config.name} is ${up ? 'up' : 'down'}: ${reason}`);
  });
  const counters = new DaemonCounters(proximity);
  const checks = new HealthChecks(proximity, log);
  const fallback = config.routeServer ? new Fallback(config, rib, proximity, log) : null;
  let current = config;
  let reloading: Promise<ReloadResult> | null = null;
  const reload = async (): Promise<ReloadResult> => {
    let next: Config;
    try {
      next = loadConfigFile(current.file);
    } catch (err) {
      if (err instanceof ConfigError) log.error({ problems: err.problems }, `configuration not reloaded, keeping the running one:\n${err.message}`);
      throw err;
    }
    const result: ReloadResult = { added: [], removed: [], changed: [], needsRestart: [] };
    // The listeners first: if a new address cannot be bound, the reload fails before anything else changed. HTTP's
    // new listener is bound (not yet used) before the BGP one moves, and dropped again if that fails.
    let httpStep: { commit(): void; abort(): void };
    try {
      httpStep = await stageHttp(next);
    } catch (err) {
      log.error({ err, listen: next.http?.listen }, 'configuration not reloaded, keeping the running one: HTTP cannot listen on the new address');
      throw new Error(`HTTP: cannot listen on ${next.http?.listen.map((l) => `${l.address} port ${l.port}`).join(', ')}: ${(err as Error).message}`);
    }
    if (JSON.stringify(next.bgp.listen) !== JSON.stringify(current.bgp.listen)) {
      try {
        await speaker.relisten(next.bgp.listen);
      } catch (err) {
        httpStep.abort();
        const listen = next.bgp.listen!;
        log.error({ err, listen }, 'configuration not reloaded, keeping the running one: cannot listen on the new address');
        throw new Error(`cannot listen on ${listen.address} port ${listen.port}: ${(err as Error).message}`);
      }
    }
    httpStep.commit();
    // A new local AS or router id goes out in new OPENs: every session restarts (Other Configuration Change).
    const identityChanged = next.bgp.localAs !== current.bgp.localAs || next.bgp.routerId !== current.bgp.routerId;
    if (identityChanged) speaker.setIdentity(next.bgp.localAs, next.bgp.routerId);
    const keyIn = (c: Config) => (n: NeighborConfig) => JSON.stringify(neighborOptions(n, c.bgp.listen));
    const before = new Map(current.neighbors.map((n) => [n.address, keyIn(current)(n)]));
    const key = keyIn(next);
    const after = new Map(next.neighbors.map((n) => [n.address, n]));
    for (const address of before.keys()) {
      if (!after.has(address)) {
        await speaker.removeNeighbor(address, CeaseSubcode.PeerDeconfigured);
        result.removed.push(address);
      }
    }
    for (const [address, n] of after) {
      const old = before.get(address);
      if (old === undefined) {
        speaker.addNeighbor(neighborOptions(n, next.bgp.listen)).start();
        result.added.push(address);
      } else if (old !== key(n) || identityChanged) {
        await speaker.removeNeighbor(address, CeaseSubcode.OtherConfigurationChange);
        speaker.addNeighbor(neighborOptions(n, next.bgp.listen)).start();
        result.changed.push(address);
      }
    }
    // Removing the neighbors still awaited may leave only loaded ones: the table is loaded now, not at the timeout.
    tableLoad.recheck();
    if (JSON.stringify(next.control) !== JSON.stringify(current.control)) result.needsRestart.push('control');
    if (next.log.file !== current.log.file) result.needsRestart.push('log.file');
    proximity.configure(proximitySetup(next));
    checks.apply(next);
    if (fallback && next.routeServer) fallback.reconfigure(next);
    else if ((fallback === null) !== (next.routeServer === null)) result.needsRestart.push('route-server');
    if (dns && next.dns) {
      dns.responder.configure(next.dns);
      dns.server.reconfigure(next.dns);
      dns.workers?.reconfigure(next);
      if (JSON.stringify(next.dns.listen) !== JSON.stringify(current.dns!.listen) || next.dns.workers !== current.dns!.workers) result.needsRestart.push('dns.listen');
    } else if ((dns === null) !== (next.dns === null)) result.needsRestart.push('dns');
    log.level(next.log.level);
    // Keep the settings that are actually running, so that the next reload compares against them.
    current = { ...next, control: current.control, log: { ...next.log, file: current.log.file } };
    log.info(result, 'configuration reloaded');
    return result;
  };
  // Set by stop(): a reload from then on is refused, since it would start listeners and sessions on a daemon that
  // is going away.
  let stopping = false;
  // One reload at a time: a SIGHUP during a control-socket reload waits for it.
  const reloadOnce = (): Promise<ReloadResult> => {
    if (stopping) return Promise.reject(new Error('the daemon is stopping: not reloaded'));
    const run = (reloading ?? Promise.resolve()).catch(() => undefined).then(reload);
    reloading = run;
    run.then(() => counters.reloads.ok++, () => counters.reloads.failed++);
    return run;
  };
  let saving: string | null = null;
  const saveSnapshot = async (file: string): Promise<SnapshotSaved> => {
    if (saving !== null) throw new Error(`a snapshot is being saved already (${saving}): one at a time`);
    saving = file;
    try {
      const saved = await saveRibSnapshot(rib, file, { routerId: current.bgp.routerId });
      log.info(saved, `RIB saved to ${file}: ${saved.prefixes.ipv4} IPv4 + ${saved.prefixes.ipv6} IPv6 prefixes, ${saved.paths} paths, ${saved.bytes} bytes in ${saved.seconds} s`);
      return saved;
    } catch (err) {
      log.error({ err, file }, `saving the RIB to ${file} failed`);
      throw err;
    } finally {
      saving = null;
    }
  };
  // The control socket, the HTTP API and the redirects answer through the same handler (so that they answer
  // alike), one instance each so that the metrics count their decisions apart.
  const handlerFor = (source: 'api' | 'control') => createControlHandler(speaker, rib, reloadOnce, proximity, fallback, saveSnapshot, counters.listener(source));
  const apiHandler = handlerFor('api');
  // A redirect is counted once its POP is chosen (the closest one with a host), not as the decision's.
  const redirectHandler = createControlHandler(speaker, rib, reloadOnce, proximity, fallback, saveSnapshot);
  const countRedirect = counters.listener('redirect');
  const controlHandler = handlerFor('control');
  // While a warm start loads, control requests wait for it: a reload, shutdown or enable meanwhile would change the
  // neighbors whose snapshot routes are being installed (routes left under a forgotten neighbor, a session mixed
  // into the snapshot's), and a save would write half a table.
  let warmLoading: Promise<unknown> | null = null;
  const control = new ControlServer(
    socketPath,
    (request) => (warmLoading === null ? controlHandler(request) : warmLoading.then(() => controlHandler(request))),
    log,
    { mode: config.control.mode, maxClients: config.control.maxClients, lineTimeoutSeconds: config.control.lineTimeout },
  );
  await control.start();
  let warmStart: WarmStartLoaded | null = null;
  if (options.warmStart) {
    const loading = warmStartFrom(options.warmStart, speaker, writer, log, options.warmStartHoldSeconds);
    warmLoading = loading.catch(() => undefined);
    try {
      warmStart = await loading;
    } catch (err) {
      for (const n of speaker.neighbors) n.destroy(); // hold timers of what was loaded
      await control.stop();
      throw err;
    } finally {
      warmLoading = null;
    }
  }
  const warmReason = warmStart ? `answering from the warm-start snapshot ${warmStart.file} of ${warmStart.takenAt.toISOString()}` : null;
  let dns: Daemon['dns'] = null;
  const tableLoad = new TableLoad(speaker, config.dns?.startup.timeoutSeconds ?? DEFAULT_READY_TIMEOUT, log);
  const ready = (): ReadyState => tableLoad.state();
  const sources = metricSources({ speaker, rib, proximity, fallback, counters, dns: () => dns });
  const metrics = new DaemonMetrics(sources);
  // What the status page shows as each POP's share: the answers given by DNS (every thread) and by redirects.
  const answerCounts = async (): Promise<Map<string, number>> => {
    const all = new DecisionCounts();
    all.add(counters.decisions.redirect.toJSON());
    const dnsStats = await sources.dnsStats();
    if (dnsStats !== null) all.add(dnsStats.decisions);
    const counts = new Map<string, number>();
    all.forEach((pop, _rule, n) => counts.set(pop, (counts.get(pop) ?? 0) + n));
    return counts;
  };
  const answers = new AnswerWindow(answerCounts);
  const startedAt = new Date();
  const decide = async (address: string): Promise<RedirectDecision> => {
    const [r] = (await redirectHandler({ command: 'query', addresses: [address] })) as QueryJson[];
    // The closest POP, or the next ranked one, that has a host to send the client to.
    const name = [r!.pop, ...r!.ranking].find((p) => p !== null && proximity.pop(p)?.config.host);
    const host = name ? proximity.pop(name)!.config.host : null;
    // Another POP than the decision's is one the decision fell back to.
    const rule = name === r!.pop ? r!.rule : 'fallback';
    if (name) countRedirect(proximity.pop(name)!.index, RULE_NAMES.indexOf(rule));
    return { pop: name ?? r!.pop, host, rule };
  };
  const httpSources: HttpSources = {
    request: (req: HttpControlRequest) => apiHandler(req as ControlRequest),
    decide,
    readiness: ready,
    status: () => buildStatus({ startedAt, speaker, rib, config: () => current, readiness: ready, answers, fallback: () => fallback?.status() ?? null }),
    metrics,
  };
  let http: HttpServer | null = null;
  /** Binds what `next.http` needs; commit() switches to it (or starts or stops the server), abort() undoes. */
  const stageHttp = async (next: Config): Promise<{ commit(): void; abort(): void }> => {
    const running = http;
    if (running && next.http) return running.prepare(next.http);
    if (!running && next.http) {
      const fresh = new HttpServer(httpSources, next.http, log);
      await fresh.start();
      return { commit: () => (http = fresh), abort: () => void fresh.stop() };
    }
    if (running && !next.http) {
      return {
        commit: () => {
          http = null;
          void running.stop();
          log.info('HTTP server stopped: no http: section any more');
        },
        abort: () => undefined,
      };
    }
    return { commit: () => undefined, abort: () => undefined };
  };
  try {
    tableLoad.start();
    // A warm start's snapshot is a whole table: the decision may use it at once.
    if (warmReason !== null) tableLoad.markReady(warmReason);
    answers.start();
    if (config.http) {
      http = new HttpServer(httpSources, config.http, log);
      await http.start();
    }
    if (config.dns) {
      const responder = new DnsResponder(proximity, config.dns);
      responder.fallback = fallback;
      let threads = config.dns.workers;
      if (threads > 0 && loadUdpBatch() === null) {
        log.error({ workers: threads }, 'DNS: dns.workers needs the native UDP socket (not built: see README); the daemon answers alone');
        threads = 0;
      }
      const server = new DnsServer(responder, config.dns, log, { reusePort: threads > 0 });
      await server.start();
      dns = { responder, server, workers: null };
      if (threads > 0 && journal) {
        const workers = new DnsWorkers(config, server.bound, journal, proximity, log);
        dns.workers = workers;
        await workers.start();
        log.info({ workers: workers.count }, `DNS: ${workers.count} worker threads answer UDP beside the daemon`);
      }
      const workers = dns.workers;
      const { ttl, timeoutSeconds } = config.dns.startup;
      if (!tableLoad.ready) log.info({ ttl, timeoutSeconds }, `DNS: answering self with TTL ${ttl} until every neighbor has sent End-of-RIB (at most ${timeoutSeconds} s)`);
      tableLoad.onReady((why) => {
        responder.loaded = true;
        workers?.setLoaded();
        log.info({ why }, `DNS: answering from the decision: ${why}`);
      });
    }
    await speaker.start();
  } catch (err) {
    tableLoad.stop();
    answers.stop();
    await dns?.workers?.stop();
    await dns?.server.stop();
    await http?.stop();
    fallback?.close();
    for (const n of speaker.neighbors) n.destroy(); // a warm start's hold timers
    await control.stop();
    throw err;
  }
  checks.apply(config);
  log.info({ localAs: config.bgp.localAs, routerId: config.bgp.routerId, neighbors: config.neighbors.length, config: config.file }, 'supersparrow started');
  return {
    rib,
    speaker,
    proximity,
    control,
    dns,
    fallback,
    get http() {
      return http;
    },
    ready,
    warmStart,
    log,
    metrics,
    counters,
    reload: reloadOnce,
    saveSnapshot,
    async stop(message?: string) {
      stopping = true;
      // A reload under way (SIGHUP just before SIGTERM) may be binding a new HTTP listener or starting sessions:
      // let it finish (each of its steps is bounded), so that stopping catches what it started.
      await reloading?.catch(() => undefined);
      tableLoad.stop();
      answers.stop();
      await http?.stop();
      await dns?.workers?.stop();
      await dns?.server.stop();
      checks.stop();
      fallback?.close();
      proximity.close();
      await speaker.shutdown(message);
      await control.stop();
      log.info('supersparrow stopped');
    },
  };
}

/**
 * Loads a warm-start snapshot, logging what it did; null (and an error in the log) when the file is unusable: the
 * daemon then starts cold rather than not at all, since a snapshot only shortens the wait for the sessions' tables
 * and refusing to start would turn a stale or damaged file into an outage.
 */
async function warmStartFrom(file: string, speaker: Speaker, rib: RibWriter, log: bunyan, holdSeconds: number | undefined): Promise<WarmStartLoaded | null> {
  let loaded: WarmStartLoaded;
  try {
    loaded = await loadWarmStart(file, speaker, rib, { holdSeconds });
  } catch (err) {
    if (!(err instanceof SnapshotError)) throw err;
    log.error({ file, entriesRead: err.countRead, err: err.message }, `${err.message}; starting cold`);
    return null;
  }
  for (const peer of loaded.ignored) {
    log.warn(peer, `warm start: snapshot peer ${peer.address} (AS ${peer.as}) is no configured neighbor: ${peer.paths} routes ignored`);
  }
  const ignoredPaths = loaded.ignored.reduce((n, p) => n + p.paths, 0);
  log.info(
    { file, takenAt: loaded.takenAt.toISOString(), prefixes: loaded.prefixes, paths: loaded.paths, ignoredPaths, neighbors: loaded.neighbors, badEntries: loaded.badEntries, seconds: loaded.seconds },
    `warm start: ${loaded.prefixes.ipv4} IPv4 + ${loaded.prefixes.ipv6} IPv6 prefixes, ${loaded.paths} paths from ${file} (of ${loaded.takenAt.toISOString()}) in ${loaded.seconds} s` +
      (ignoredPaths > 0 ? `; ${ignoredPaths} routes of peers that are no configured neighbor ignored` : ''),
  );
  if (loaded.neighbors.length === 0) return null;
  return loaded;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}
