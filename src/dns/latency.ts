// How long answers take, in fixed buckets: recorded once per UDP batch (every query of a batch waits for the
// whole batch, whose answers leave together), so the answering path pays two clock reads per batch and no
// allocation. The metrics turn it into a Prometheus histogram when scraped.

/** Upper bounds of the buckets, in seconds (a last, unbounded bucket follows). */
export const LATENCY_BOUNDS: readonly number[] = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** A LatencyHistogram as plain data (a worker thread's message, a scrape). */
export interface LatencyJson {
  bounds: number[];
  /** Per bucket (not cumulative), bounds.length + 1 of them: the last counts answers slower than every bound. */
  counts: number[];
  /** Seconds, summed over every answer. */
  sum: number;
  count: number;
}

export class LatencyHistogram {
  readonly counts = new Float64Array(LATENCY_BOUNDS.length + 1);
  sum = 0;
  count = 0;

  /** `answers` answers that each took `seconds`. */
  record(seconds: number, answers: number): void {
    const bounds = LATENCY_BOUNDS;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.counts[i]! += answers;
    this.sum += seconds * answers;
    this.count += answers;
  }

  toJSON(): LatencyJson {
    return { bounds: [...LATENCY_BOUNDS], counts: Array.from(this.counts), sum: this.sum, count: this.count };
  }

  /** Adds another's (a worker thread's) buckets. */
  add(other: LatencyJson): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i] ?? 0;
    this.sum += other.sum;
    this.count += other.count;
  }
}
