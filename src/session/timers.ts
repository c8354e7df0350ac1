/** RFC 4271 10: timers are jittered to 75..100% of their value so that peers do not synchronise. */
export function jitter(ms: number): number {
  return ms * (0.75 + Math.random() * 0.25);
}

/** ConnectRetry back-off: base, 2*base, 4*base ... capped at 300 s (or base when larger), jittered. */
export function connectRetryDelay(baseSeconds: number, failures: number): number {
  const cap = Math.max(baseSeconds, 300);
  const seconds = Math.min(baseSeconds * 2 ** Math.min(failures, 20), cap);
  return jitter(seconds * 1000);
}

/** A restartable one-shot timer. */
export class Timer {
  private handle: NodeJS.Timeout | null = null;

  constructor(private readonly fire: () => void) {}

  get running(): boolean {
    return this.handle !== null;
  }

  start(ms: number): void {
    this.stop();
    this.handle = setTimeout(() => {
      this.handle = null;
      this.fire();
    }, ms);
  }

  stop(): void {
    if (this.handle !== null) {
      clearTimeout(this.handle);
      this.handle = null;
    }
  }
}
