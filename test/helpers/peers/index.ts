// Real BGP daemons as test peers on loopback. See PEERS.md in the shared folder for how each one is run.
//
//   const peer = createPeer('bird', { address: '127.11.0.2', as: 65001, mode: 'active', listenPort: 40179,
//     neighbor: { address: '127.11.0.1', as: 65010, port: 41179 }, holdTime: 6, gracefulRestart: { restartTime: 20 },
//     routes: [{ prefix: '10.0.0.0/16', nextHop: '192.0.2.1', asPath: [64600], med: 5, communities: [[65001, 1]] }] });
//   t.teardown(() => peer.stop());
//   await peer.start();
//   await peer.withdraw(['10.0.0.0/16']);   // or announce([...]), crash() + restart(routes), pause()/resume()
//   (await peer.view()).lastError;         // the daemon's own account of the session
//
// Each daemon runs in its own process group; stop() (and, should the worker die, an exit/signal hook) kills only
// the processes started here. Supersparrow runs the same way through ./supersparrow.ts.
import { BirdPeer } from './bird.js';
import { FrrPeer } from './frr.js';
import { GobgpPeer } from './gobgp.js';
import { ExabgpPeer } from './exabgp.js';
import type { DaemonName, PeerDaemon, PeerOptions } from './types.js';
import { dnsClientInstalled, isDnsClient, type DnsClientName } from './dns-clients.js';
import { isExecutable } from './process.js';

export * from './types.js';
export { BirdPeer } from './bird.js';
export { FrrPeer } from './frr.js';
export { FrrRouteServer, BirdFeeder, type FrrRouteServerOptions, type FrrNeighbor } from './frr-vty.js';
export { GobgpPeer } from './gobgp.js';
export { ExabgpPeer } from './exabgp.js';
export { Supersparrow, REPO_ROOT, type NeighborStatus, type PopStatus, type RouteAnswer, type SupersparrowOptions, type SupersparrowNeighbor, type DnsListening } from './supersparrow.js';
export { queryWith, parseDnsClientOutput, DNS_CLIENT_BINARIES, type DnsClientName, type DnsReply, type DnsRecord } from './dns-clients.js';
export { freePort, loopbackAddress, waitFor, sleep, run, ManagedProcess, makeTempDir, removeDir } from './process.js';

export const DAEMONS: readonly DaemonName[] = ['bird', 'frr', 'gobgp', 'exabgp'];

/** Debian's chromium, driven by puppeteer-core in the status page test (see PEERS.md). */
export const CHROMIUM = '/usr/bin/chromium';

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
 * Why a test of `name` (a BGP daemon, the DNS clients dig and kdig, or chromium) cannot run here, or null when it can. Under
 * CI (CI=true) a missing program is not a reason to skip: the caller must fail instead.
 */
export async function missingReason(name: DaemonName | DnsClientName | 'chromium'): Promise<string | null> {
  // SUPERSPARROW_PEERS_DISABLE=bird,frr,kdig treats those as missing (to see the skip/CI paths, or to save time).
  const disabled = (process.env['SUPERSPARROW_PEERS_DISABLE'] ?? '').split(',').map((s) => s.trim());
  if (disabled.includes(name)) return `${name} disabled by SUPERSPARROW_PEERS_DISABLE`;
  if (name === 'chromium') {
    if (await isExecutable(CHROMIUM)) return null;
    return `chromium is not installed (Debian chromium, at ${CHROMIUM})`;
  }
  if (isDnsClient(name)) {
    if (await dnsClientInstalled(name)) return null;
    return `${name} is not installed (Debian ${name === 'dig' ? 'bind9-dnsutils' : 'knot-dnsutils'})`;
  }
  if (await isInstalled(name)) return null;
  return `${name} is not installed (see PEERS.md)`;
}
export { peerTest } from './peer-test.js';
