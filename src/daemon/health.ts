// POP health checks: a TCP connect or an HTTP GET every interval, with HAProxy's rise/fall hysteresis so that
// one lost probe does not move clients between POPs. Not a hot path: one probe per POP per interval.

import { connect, isIPv6 } from 'node:net';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { PopCheckConfig } from '../proximity/index.js';

export interface HealthState {
  up: boolean;
  /**
   * Why, for `supersparrow pops`: the last probe's outcome, 'ok' or what failed, e.g.
   * 'tcp 127.0.0.1:8080: connection refused (ECONNREFUSED)', 'http 127.0.0.1:8080/health: status 503',
   * 'timeout after 2000 ms'; 'not probed yet' before the first.
   */
  reason: string;
  /** Consecutive results of the current kind: one of the two is always 0. */
  successes: number;
  failures: number;
  /** Date.now() of the last completed probe, 0 before the first. */
  lastProbeAt: number;
  /** Duration of the last completed probe in milliseconds, -1 before the first. */
  lastProbeMs: number;
}

/**
 * Called on transitions only: (false, why) when the check falls, (true, 'ok') when it rises. It must not throw:
 * from a probe the timer started, a throw would surface as an unhandled rejection.
 */
export type HealthListener = (up: boolean, reason: string) => void;

type ProbeOutcome = { ok: boolean; reason: string };

const OK: ProbeOutcome = { ok: true, reason: 'ok' };
/** What a probe cut short by stop() resolves with; it is not counted. */
const STOPPED: ProbeOutcome = { ok: false, reason: 'stopped' };

/** One probe on the wire: its outcome (always resolves, never rejects) and how to abandon it. */
interface RunningProbe {
  readonly outcome: Promise<ProbeOutcome>;
  /** Destroys the socket and resolves the outcome with STOPPED (if not already settled). */
  abort(): void;
}

export class HealthCheck {
  private readonly spec: PopCheckConfig;
  private readonly onChange: HealthListener;
  private readonly current: HealthState;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: { probe: RunningProbe; counted: Promise<ProbeOutcome> } | null = null;
  /** Bumped by stop(): a probe begun before it is neither counted nor reported. */
  private generation = 0;

  constructor(spec: PopCheckConfig, onChange: HealthListener) {
    this.spec = spec;
    this.onChange = onChange;
    // Optimistic start: a service that just started must not answer "every POP is down" until probes say so.
    this.current = { up: true, reason: 'not probed yet', successes: 0, failures: 0, lastProbeAt: 0, lastProbeMs: -1 };
  }

  /** Probes now, then every intervalMs; a tick that finds the previous probe still in flight is skipped. Idempotent. */
  start(): void {
    if (this.timer !== null) return;
    // setInterval: each probe starts intervalMs after the previous one started (or would have, when skipped).
    this.timer = setInterval(() => this.tick(), this.spec.intervalMs);
    this.timer.unref(); // a health check never keeps the process alive on its own
    this.tick();
  }

  /** Cancels the timer and the probe in flight (its socket is destroyed); nothing is reported afterwards. Idempotent. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.generation++;
    const running = this.inFlight;
    this.inFlight = null;
    running?.probe.abort();
  }

  /** A copy: callers may keep it without seeing later probes. */
  get state(): HealthState {
    return { ...this.current };
  }

  /**
   * Runs one probe now and resolves with its outcome; it counts toward rise/fall and may call the listener.
   * Probes never overlap: while one is in flight this joins it instead of starting another.
   * A probe cut short by stop() resolves with { ok: false, reason: 'stopped' } and is not counted.
   * Explicit calls are the caller's own: they probe whether or not the check is started.
   */
  probeOnce(): Promise<ProbeOutcome> {
    if (this.inFlight !== null) return this.inFlight.counted;
    const generation = this.generation;
    const startedAt = performance.now();
    const probe = this.spec.kind === 'tcp' ? probeTcp(this.spec) : probeHttp(this.spec);
    const counted = probe.outcome.then((outcome) => {
      if (generation !== this.generation) return outcome; // stopped meanwhile: silence
      this.inFlight = null;
      this.record(outcome, performance.now() - startedAt);
      return outcome;
    });
    this.inFlight = { probe, counted };
    return counted;
  }

  private tick(): void {
    if (this.inFlight !== null) return; // still waiting for the previous one: skip, never overlap
    void this.probeOnce();
  }

  /** Counts one outcome and reports a transition when a run of them reaches rise or fall. */
  private record(outcome: ProbeOutcome, durationMs: number): void {
    const s = this.current;
    s.lastProbeAt = Date.now();
    s.lastProbeMs = Math.round(durationMs);
    s.reason = outcome.reason;
    if (outcome.ok) {
      s.successes++;
      s.failures = 0;
    } else {
      s.failures++;
      s.successes = 0;
    }
    // State is complete before the listener runs, so it may read `state`. A rise or fall below 1 means 1.
    if (s.up && s.failures >= Math.max(1, this.spec.fall)) {
      s.up = false;
      this.onChange(false, outcome.reason);
    } else if (!s.up && s.successes >= Math.max(1, this.spec.rise)) {
      s.up = true;
      this.onChange(true, OK.reason);
    }
  }
}

/**
 * What both kinds share: one settlement, a timer over the whole probe, and the socket destroyed whichever way it
 * ends (success, failure, timeout, abort). Socket events are asynchronous, so the caller may open the socket
 * first and attach its handlers right after.
 */
function settleOnce(timeoutMs: number, destroy: () => void, onTimeout: () => ProbeOutcome) {
  let resolve!: (o: ProbeOutcome) => void;
  const outcome = new Promise<ProbeOutcome>((r) => (resolve = r));
  let settled = false;
  const finish = (o: ProbeOutcome): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    destroy();
    resolve(o);
  };
  // Not unref()'d: it is bounded by timeoutMs, and a ref'd one lets a leak show in tests.
  const timer = setTimeout(() => finish(onTimeout()), timeoutMs);
  const probe: RunningProbe = { outcome, abort: () => finish(STOPPED) };
  return { probe, finish };
}

const timedOut = (timeoutMs: number): ProbeOutcome => ({ ok: false, reason: `timeout after ${timeoutMs} ms` });

/** Success is a completed TCP handshake; the connection is closed at once. */
function probeTcp(spec: PopCheckConfig): RunningProbe {
  const socket = connect({ host: spec.address, port: spec.port });
  const { probe, finish } = settleOnce(spec.timeoutMs, () => socket.destroy(), () => timedOut(spec.timeoutMs));
  socket.on('connect', () => finish(OK));
  // Kept after settling too: an 'error' without a listener would throw.
  socket.on('error', (err) => finish({ ok: false, reason: `tcp ${hostPort(spec)}: ${describeError(err)}` }));
  return probe;
}

/**
 * Success is a status of 200..399 within timeoutMs (connect + headers). The body is then read and discarded
 * until it ends, at most until the same deadline, and the socket destroyed (agent: false: it is never reused).
 */
function probeHttp(spec: PopCheckConfig): RunningProbe {
  const path = spec.path ?? '/';
  const target = `http ${hostPort(spec)}${path}`;
  const req = request({
    host: spec.address,
    port: spec.port,
    path,
    method: 'GET',
    headers: { Host: spec.host ?? defaultHostHeader(spec), 'User-Agent': 'supersparrow-health' },
    agent: false,
  });
  /** The status verdict, once the headers are in: from then on the deadline no longer means a timeout. */
  let verdict: ProbeOutcome | null = null;
  const { probe, finish } = settleOnce(spec.timeoutMs, () => req.destroy(), () => verdict ?? timedOut(spec.timeoutMs));
  req.on('response', (res) => {
    const status = res.statusCode ?? 0;
    const v = status >= 200 && status <= 399 ? OK : { ok: false, reason: `${target}: status ${status}` };
    verdict = v;
    res.on('error', () => {}); // a body cut short changes nothing: the status decided
    res.once('end', () => finish(v));
    res.once('close', () => finish(v));
    res.resume(); // discard the body
  });
  // Kept after settling too, for the same reason as tcp's.
  req.on('error', (err) => finish({ ok: false, reason: `${target}: ${describeError(err)}` }));
  req.end();
  return probe;
}

/** '127.0.0.1:8080', '[::1]:8080'. */
function hostPort(spec: PopCheckConfig): string {
  return `${isIPv6(spec.address) ? `[${spec.address}]` : spec.address}:${spec.port}`;
}

/** Host header when none is configured: the address (bracketed if IPv6, RFC 9110 7.2), with the port unless 80. */
function defaultHostHeader(spec: PopCheckConfig): string {
  const host = isIPv6(spec.address) ? `[${spec.address}]` : spec.address;
  return spec.port === 80 ? host : `${host}:${spec.port}`;
}

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'name not found',
  EAI_AGAIN: 'name lookup failed',
};

/** 'connection refused (ECONNREFUSED)': words for the operator, the code for searching. */
function describeError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return err.message;
  const text = ERRNO_TEXT[code];
  if (text !== undefined) return `${text} (${code})`;
  return err.message.includes(code) ? err.message : `${err.message} (${code})`;
}
