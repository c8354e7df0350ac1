// What the status page shows beyond the API: the table load per neighbor, and the answers given per POP over the
// last minutes, from periodic samples of cumulative counts.
import { readFileSync } from 'node:fs';
import { Afi } from '../bgp/index.js';
import type { Config } from '../config/index.js';
import type { StatusJson } from '../http/index.js';
import type { RibReader } from '../rib/index.js';
import type { Speaker } from '../session/index.js';
import type { ReadyState } from './readiness.js';

/** Cumulative answers given per POP name, since the daemon started. */
export type AnswerCounts = () => Map<string, number> | Promise<Map<string, number>>;

export const ANSWER_SAMPLE_MS = 10_000;
export const ANSWER_SAMPLES = 30;

/**
 * A ring of samples of the cumulative answer counts (every 10 s, 30 of them: 5 minutes), so that the answers of the
 * last minutes are the counts now less the oldest sample's.
 */
export class AnswerWindow {
  private readonly samples: { at: number; counts: Map<string, number> }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly counts: AnswerCounts,
    private readonly intervalMs = ANSWER_SAMPLE_MS,
    private readonly keep = ANSWER_SAMPLES,
  ) {}

  start(): void {
    // Nothing was answered before the daemon started.
    this.samples.push({ at: Date.now(), counts: new Map() });
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    let counts: Map<string, number>;
    try {
      counts = await this.counts();
    } catch {
      return; // a worker thread that did not answer: the next sample will
    }
    this.samples.push({ at: Date.now(), counts });
    // keep + 1 samples span `keep` intervals.
    while (this.samples.length > this.keep + 1) this.samples.shift();
  }

  /** Answers per POP since the oldest sample, up to now. */
  async window(): Promise<StatusJson['answers']> {
    const now = await this.counts();
    const oldest = this.samples[0] ?? { at: Date.now(), counts: new Map<string, number>() };
    const byPop: Record<string, number> = {};
    let total = 0;
    for (const [pop, n] of now) {
      // Counts are cumulative; a POP table changed by a reload may make one look smaller: never below 0.
      const delta = Math.max(0, n - (oldest.counts.get(pop) ?? 0));
      byPop[pop] = delta;
      total += delta;
    }
    return { windowSeconds: Math.round((Date.now() - oldest.at) / 1000), total, byPop };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** The package's version, read once (unknown when package.json cannot be read). */
export const VERSION: string = (() => {
  // From dist/src/daemon/ or src/daemon/: the package root's package.json is three or two levels up.
  for (const up of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'supersparrow' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not there: the next one up
    }
  }
  return 'unknown';
})();

export interface StatusParts {
  startedAt: Date;
  speaker: Speaker;
  rib: RibReader;
  config: () => Config;
  readiness: () => ReadyState;
  answers: AnswerWindow;
  fallback: () => unknown | null;
}

export async function buildStatus(p: StatusParts): Promise<StatusJson> {
  const popOf = new Map(p.config().neighbors.map((n) => [n.address, n.pop]));
  return {
    version: VERSION,
    startedAt: p.startedAt.toISOString(),
    now: new Date().toISOString(),
    ready: p.readiness(),
    load: {
      neighbors: p.speaker.neighbors.map((n) => {
        const s = n.status();
        return {
          address: s.address,
          description: s.description,
          pop: popOf.get(s.address) ?? null,
          state: s.state,
          tableLoaded: n.tableLoaded,
          prefixes: s.prefixes,
          loadSeconds: n.tableLoadSeconds,
        };
      }),
      prefixes: { ipv4: p.rib.prefixCount(Afi.IPv4), ipv6: p.rib.prefixCount(Afi.IPv6) },
    },
    answers: await p.answers.window(),
    fallback: p.fallback(),
  };
}
