// What the decision takes from a configuration: shared by the daemon and its DNS worker threads.
import type { Config } from '../config/index.js';
import type { ProximitySetup } from '../proximity/index.js';

/** What the decision takes from a configuration. */
export function proximitySetup(config: Config): ProximitySetup {
  return {
    pops: config.pops,
    proximity: config.proximity,
    overrides: config.overrides,
    neighborPops: config.neighbors.flatMap((n) => (n.pop === null ? [] : [{ address: n.address, pop: n.pop }])),
  };
}
