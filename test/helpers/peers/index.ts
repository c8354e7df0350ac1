// Real BGP daemons as test peers on loopback. See PEERS.md in the shared folder for how each one is run.
import { BirdPeer } from './bird.js';
import { FrrPeer } from './frr.js';
import { GobgpPeer } from './gobgp.js';
import { ExabgpPeer } from './exabgp.js';
import type { DaemonName, PeerDaemon, PeerOptions } from './types.js';

export * from './types.js';
export { BirdPeer } from './bird.js';
export { FrrPeer } from './frr.js';
export { GobgpPeer } from './gobgp.js';
export { ExabgpPeer } from './exabgp.js';
export { Supersparrow, REPO_ROOT, type NeighborStatus, type RouteAnswer, type SupersparrowOptions, type SupersparrowNeighbor } from './supersparrow.js';
export { freePort, loopbackAddress, waitFor, sleep, run, ManagedProcess, makeTempDir, removeDir } from './process.js';

export const DAEMONS: readonly DaemonName[] = ['bird', 'frr', 'gobgp', 'exabgp'];

export function createPeer(name: DaemonName, options: PeerOptions): PeerDaemon {
  switch (name) {
    case 'bird':
      return new BirdPeer(options);
    case 'frr':
      return new FrrPeer(options);
    case 'gobgp':
      return new GobgpPeer(options);
    case 'exabgp':
      return new ExabgpPeer(options);
  }
}

export async function isInstalled(name: DaemonName): Promise<boolean> {
  switch (name) {
    case 'bird':
      return BirdPeer.installed();
    case 'frr':
      return FrrPeer.installed();
    case 'gobgp':
      return GobgpPeer.installed();
    case 'exabgp':
      return ExabgpPeer.installed();
  }
}

/**
 * Why a test of `name` cannot run here, or null when it can. Under CI (CI=true) a missing daemon is not a reason
 * to skip: the caller must fail instead.
 */
export async function missingReason(name: DaemonName): Promise<string | null> {
  if (await isInstalled(name)) return null;
  return `${name} is not installed (see PEERS.md)`;
}
