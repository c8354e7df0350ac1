// The daemon's side of its DNS worker threads (`dns.workers: N`): each worker gets the daemon's RIB as a stream of
// RibJournal chunks (a snapshot, then every change within a turn of the event loop), the operators' POP states,
// the table-loaded switch and reloaded configurations; it answers UDP on the daemon's port with its own socket
// (SO_REUSEPORT). A worker that fails or exits is replaced after a pause. The daemon keeps answering too (its
// UDP socket is one of the port's group, and TCP is its alone).
import { Worker } from 'node:worker_threads';
import type bunyanType from 'bunyan';
import type { Config, ListenConfig } from '../config/index.js';
import { DownReason, type Proximity } from '../proximity/index.js';
import type { RibJournal } from '../rib/index.js';
import type { DnsWorkerData, FromWorker, PopOperatorState, ToWorker, WorkerStats } from './dns-worker.js';

type bunyan = bunyanType;

/** A replaced worker waits this long first (a worker that fails at once must not spin). */
const RESTART_DELAY_MS = 1000;
/** How long a stopping worker may take before it is terminated. */
const STOP_TIMEOUT_MS = 3000;

interface Running {
  index: number;
  worker: Worker;
  /** Worker.threadId, kept: the Worker's own turns -1 once the thread has stopped. */
  threadId: number;
  unsubscribe: () => void;
  ready: boolean;
  stopping: boolean;
}

export class DnsWorkers {
  private readonly running: (Running | null)[] = [];
  private loaded = false;
  private stopped = false;
  private statsId = 0;
  private readonly statsWaiting = new Map<number, { wanted: number; got: WorkerStats[]; done: (s: WorkerStats[]) => void }>();
  private unsubscribePops: (() => void) | null = null;

  constructor(
    private config: Config,
    private readonly bound: ListenConfig[],
    private readonly journal: RibJournal,
    private readonly proximity: Proximity,
    private readonly log: bunyan,
  ) {}

  /** Starts every worker; resolves once each is answering (or has failed to start, which is logged). */
  async start(): Promise<void> {
    this.unsubscribePops = this.proximity.onOperatorState(() => this.broadcast({ t: 'pops', states: this.popStates() }));
    const n = this.config.dns!.workers;
    await Promise.all(Array.from({ length: n }, (_, i) => this.spawn(i)));
  }

  /** The table has loaded (End-of-RIB or the startup timeout): workers answer from the decision too. */
  setLoaded(): void {
    this.loaded = true;
    this.broadcast({ t: 'loaded' });
  }

  /** A reloaded configuration (POPs, rule, overrides, zones). */
  reconfigure(config: Config): void {
    this.config = config;
    this.broadcast({ t: 'config', config });
    this.broadcast({ t: 'pops', states: this.popStates() });
  }

  /** Every running worker's counters (the replica's size among them). */
  stats(): Promise<WorkerStats[]> {
    const ready = this.running.filter((r): r is Running => r !== null && r.ready);
    if (ready.length === 0) return Promise.resolve([]);
    const id = ++this.statsId;
    return new Promise((done) => {
      this.statsWaiting.set(id, { wanted: ready.length, got: [], done });
      for (const r of ready) r.worker.postMessage({ t: 'stats', id } satisfies ToWorker);
      setTimeout(() => {
        const w = this.statsWaiting.get(id);
        if (w) {
          this.statsWaiting.delete(id);
          w.done(w.got);
        }
      }, 2000).unref();
    });
  }

  /** The thread ids of the workers not replaced yet (a replaced worker's counters are final). */
  get threadIds(): number[] {
    return this.running.flatMap((r) => (r === null ? [] : [r.threadId]));
  }

  get count(): number {
    return this.running.filter((r) => r !== null && r.ready).length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribePops?.();
    await Promise.all(this.running.map((r) => (r ? this.stopOne(r) : undefined)));
  }

  private popStates(): PopOperatorState[] {
    return this.proximity.pops.map((p) => ({
      name: p.config.name,
      drained: (p.down & DownReason.Drained) !== 0,
      check: p.config.check === null ? null : { up: (p.down & DownReason.Check) === 0, reason: p.checkReason ?? '' },
    }));
  }

  private broadcast(m: ToWorker): void {
    for (const r of this.running) if (r && !r.stopping) r.worker.postMessage(m);
  }

  private spawn(index: number): Promise<void> {
    const data: DnsWorkerData = { index, config: this.config, bound: this.bound };
    const worker = new Worker(new URL('./dns-worker.js', import.meta.url), { workerData: data });
    const log = this.log.child({ worker: index });
    const r: Running = { index, worker, threadId: worker.threadId, unsubscribe: () => undefined, ready: false, stopping: false };
    this.running[index] = r;
    // The replica's stream: a snapshot of the table now, then the changes. Messages wait in the port until the
    // worker listens.
    r.unsubscribe = this.journal.subscribe((chunk) => worker.postMessage({ t: 'rib', chunk } satisfies ToWorker, [chunk]));
    worker.postMessage({ t: 'pops', states: this.popStates() } satisfies ToWorker);
    if (this.loaded) worker.postMessage({ t: 'loaded' } satisfies ToWorker);
    return new Promise<void>((started) => {
      worker.on('message', (m: FromWorker) => {
        switch (m.t) {
          case 'ready':
            r.ready = true;
            log.info(`DNS worker ${index} answering`);
            started();
            return;
          case 'log':
            forward(this.log, index, m.record);
            return;
          case 'failed':
            log.error({ reason: m.message }, `DNS worker ${index} failed: ${m.message}`);
            started();
            this.replace(r);
            return;
          case 'stats': {
            const w = this.statsWaiting.get(m.id);
            if (!w) return;
            w.got.push(m.stats);
            if (w.got.length === w.wanted) {
              this.statsWaiting.delete(m.id);
              w.done(w.got);
            }
            return;
          }
          case 'stopped':
            return;
        }
      });
      worker.on('error', (err) => {
        log.error({ err }, `DNS worker ${index} crashed: ${err.message}`);
        started();
      });
      worker.on('exit', (code) => {
        r.unsubscribe();
        started();
        if (r.stopping || this.stopped) return;
        log.error({ code }, `DNS worker ${index} exited (code ${code}); replacing it`);
        this.replace(r);
      });
    });
  }

  /** Stops a worker that failed and starts another in its place after a pause. */
  private replace(r: Running): void {
    if (r.stopping || this.stopped) return;
    void this.stopOne(r).then(() => {
      if (this.stopped) return;
      setTimeout(() => {
        if (!this.stopped && this.running[r.index] === r) void this.spawn(r.index);
      }, RESTART_DELAY_MS).unref();
    });
  }

  private async stopOne(r: Running): Promise<void> {
    if (r.stopping) return;
    r.stopping = true;
    r.ready = false;
    r.unsubscribe();
    const exited = new Promise<void>((resolve) => r.worker.once('exit', () => resolve()));
    r.worker.postMessage({ t: 'stop' } satisfies ToWorker);
    const timer = setTimeout(() => void r.worker.terminate(), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

/** A worker's bunyan record, written through the daemon's logger (with the worker's number). */
function forward(log: bunyan, index: number, record: Record<string, unknown>): void {
  const { name: _name, hostname: _hostname, pid: _pid, level, msg, time: _time, v: _v, worker: _worker, ...fields } = record;
  const method = bunyanLevelName(Number(level));
  log[method]({ ...fields, worker: index }, String(msg ?? ''));
}

function bunyanLevelName(level: number): 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' {
  if (level >= 60) return 'fatal';
  if (level >= 50) return 'error';
  if (level >= 40) return 'warn';
  if (level >= 30) return 'info';
  if (level >= 20) return 'debug';
  return 'trace';
}
