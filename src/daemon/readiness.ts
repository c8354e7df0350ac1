// Whether the table has loaded: every neighbor has sent End-of-RIB (or there is none to wait for, or the startup
// timeout passed, or something else - a warm start - says so). Until then a decision rests on half a table: DNS
// answers self with a short TTL, and /readyz answers 503.
import type Logger from 'bunyan';
import type { Speaker } from '../session/index.js';

export interface ReadyState {
  ready: boolean;
  reason: string;
}

export class TableLoad {
  private readyReason: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly listeners: ((why: string) => void)[] = [];
  private deadline = 0;

  constructor(
    private readonly speaker: Speaker,
    private readonly timeoutSeconds: number,
    private readonly log: Logger,
  ) {}

  /** Starts watching (the timeout counts from here); ready at once when no neighbor is waited for. */
  start(): void {
    if (this.readyReason !== null) return;
    this.unsubscribe = this.speaker.onTableLoaded((n) => {
      this.log.debug({ neighbor: n.address }, 'a neighbor has brought its table');
      if (this.speaker.tablesLoaded) this.markReady('End-of-RIB from every neighbor');
    });
    if (this.speaker.neighbors.length === 0 || this.speaker.tablesLoaded) {
      this.markReady('no neighbor to wait for');
      return;
    }
    this.deadline = Date.now() + this.timeoutSeconds * 1000;
    this.timer = setTimeout(() => {
      this.markReady(`the startup timeout (${this.timeoutSeconds} s) passed; no End-of-RIB yet from ${this.waitingFor().join(', ')}`);
    }, this.timeoutSeconds * 1000);
    this.timer.unref();
  }

  /**
   * Looks again once the neighbors changed (a reload): the ones still awaited may all be gone, and no End-of-RIB
   * will come to say so. Nothing before start() or after the table loaded.
   */
  recheck(): void {
    if (this.readyReason !== null || this.unsubscribe === null) return;
    if (this.speaker.neighbors.length === 0) this.markReady('no neighbor to wait for');
    else if (this.speaker.tablesLoaded) this.markReady('End-of-RIB from every neighbor');
  }

  get ready(): boolean {
    return this.readyReason !== null;
  }

  /** Latched once ready (a table once loaded stays usable), but says so once every neighbor has sent End-of-RIB. */
  state(): ReadyState {
    if (this.readyReason !== null && this.speaker.neighbors.length > 0 && this.speaker.tablesLoaded) return { ready: true, reason: 'End-of-RIB from every neighbor' };
    if (this.readyReason !== null) return { ready: true, reason: this.readyReason };
    const waiting = this.waitingFor();
    const left = Math.max(0, Math.ceil((this.deadline - Date.now()) / 1000));
    return { ready: false, reason: `waiting for End-of-RIB from ${waiting.join(', ') || 'no neighbor'} (at most ${left} s more)` };
  }

  /** Calls `listener` once the table is loaded (at once if it is already). */
  onReady(listener: (why: string) => void): void {
    if (this.readyReason !== null) listener(this.readyReason);
    else this.listeners.push(listener);
  }

  /** The table counts as loaded from now on (for `why`); later calls change nothing. */
  markReady(why: string): void {
    if (this.readyReason !== null) return;
    this.readyReason = why;
    this.stop();
    this.log.info({ why }, `table loaded: ${why}`);
    for (const l of this.listeners.splice(0)) l(why);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private waitingFor(): string[] {
    return this.speaker.neighbors.filter((n) => !n.tableLoaded).map((n) => n.address);
  }
}
