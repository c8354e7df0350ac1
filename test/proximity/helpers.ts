// Building POP tables for proximity tests.
import { getHeapSpaceStatistics } from 'node:v8';
import type { PopConfig, ProximitySetup } from '../../src/proximity/index.js';

/** A POP with every field defaulted: answers 192.0.2.N / 2001:db8::N from its index-like `n`. */
export function pop(name: string, as: number, extra: Partial<PopConfig> = {}): PopConfig {
  return {
    name,
    as,
    ipv4: null,
    ipv6: null,
    host: `${name}.example.test`,
    preference: 100,
    community: null,
    largeCommunity: null,
    down: false,
    check: null,
    ...extra,
  };
}

export function setup(
  pops: PopConfig[],
  rule: 'classic' | 'multi-view' = 'classic',
  self: string | null = null,
  neighborPops: { address: string; pop: string }[] = [],
  overrides: { prefix: string; pop: string }[] = [],
): ProximitySetup {
  return { pops, proximity: { rule, self }, overrides, neighborPops };
}

/** Bytes in V8's young generation: what a function allocates shows here until the next scavenge. */
export function youngBytes(): number {
  let young = 0;
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') young += space.space_used_size;
  return young;
}

/** Median growth of the young generation over `rounds` runs of `run` (rounds cut by a scavenge are not read). */
export function medianAllocation(run: () => void, rounds = 20): { median: number; readings: number } {
  run(); // warm up
  const deltas: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const before = youngBytes();
    run();
    const after = youngBytes();
    if (after >= before) deltas.push(after - before);
  }
  deltas.sort((x, y) => x - y);
  return { median: deltas[deltas.length >> 1] ?? Infinity, readings: deltas.length };
}
