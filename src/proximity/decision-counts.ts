// Decisions counted per POP x rule, for the metrics: one Float64Array cell per pair, so that counting is one
// increment on the answering path (no allocation, no lookup by name). POP indices change when the POPs are
// reconfigured: setPops() carries every count over to the POP's new index by name, and keeps the totals of a
// removed POP aside until it comes back, so that a count never goes down.
import { RULE_NAMES } from './proximity.js';

/** Cells per POP: one per rule. */
export const RULE_COUNT = RULE_NAMES.length;

/** DecisionCounts as plain data (a worker thread's message, a scrape). */
export interface DecisionCountsJson {
  /** POP names, in index order. */
  pops: string[];
  /** pops.length * RULE_COUNT counts: POP i's rule r at i * RULE_COUNT + r. */
  counts: number[];
}

export class DecisionCounts {
  private names: string[] = [];
  /** The count of (POP i, rule r) at i * RULE_COUNT + r. */
  counts = new Float64Array(0);
  /** The counts of POPs no longer configured, by name. */
  private readonly retired = new Map<string, Float64Array>();

  constructor(pops: readonly string[] = []) {
    this.setPops(pops);
  }

  /** The POPs in their (new) index order; counts follow each POP by name. */
  setPops(pops: readonly string[]): void {
    if (pops.length === this.names.length && pops.every((name, i) => name === this.names[i])) return;
    const before = new Map<string, Float64Array>();
    this.names.forEach((name, i) => before.set(name, this.counts.subarray(i * RULE_COUNT, (i + 1) * RULE_COUNT)));
    const counts = new Float64Array(pops.length * RULE_COUNT);
    pops.forEach((name, i) => {
      const old = before.get(name) ?? this.retired.get(name);
      if (old !== undefined) counts.set(old, i * RULE_COUNT);
      before.delete(name);
      this.retired.delete(name);
    });
    for (const [name, old] of before) this.retired.set(name, old.slice());
    this.names = [...pops];
    this.counts = counts;
  }

  get pops(): readonly string[] {
    return this.names;
  }

  /** One decision: POP index `pop` answered by `rule` (a Rule). Hot path: one increment. */
  count(pop: number, rule: number): void {
    this.counts[pop * RULE_COUNT + rule]++;
  }

  /** The count of one pair, by names (0 when unknown). */
  get(pop: string, rule: string): number {
    const r = RULE_NAMES.indexOf(rule);
    if (r < 0) return 0;
    const i = this.names.indexOf(pop);
    if (i >= 0) return this.counts[i * RULE_COUNT + r]!;
    return this.retired.get(pop)?.[r] ?? 0;
  }

  /** Adds another's counts (a worker thread's) by POP name. */
  add(other: DecisionCountsJson): void {
    other.pops.forEach((name, j) => {
      let i = this.names.indexOf(name);
      if (i < 0) {
        this.setPops([...this.names, name]);
        i = this.names.length - 1;
      }
      for (let r = 0; r < RULE_COUNT; r++) this.counts[i * RULE_COUNT + r]! += other.counts[j * RULE_COUNT + r] ?? 0;
    });
  }

  /** Every pair with a count, retired POPs included. */
  forEach(fn: (pop: string, rule: string, count: number) => void): void {
    const each = (name: string, cells: Float64Array, at: number) => {
      for (let r = 0; r < RULE_COUNT; r++) if (cells[at + r]! > 0) fn(name, RULE_NAMES[r]!, cells[at + r]!);
    };
    this.names.forEach((name, i) => each(name, this.counts, i * RULE_COUNT));
    for (const [name, cells] of this.retired) each(name, cells, 0);
  }

  /** Plain data, retired POPs included (as trailing POPs). */
  toJSON(): DecisionCountsJson {
    const pops = [...this.names];
    const counts = Array.from(this.counts);
    for (const [name, cells] of this.retired) {
      pops.push(name);
      counts.push(...cells);
    }
    return { pops, counts };
  }
}
