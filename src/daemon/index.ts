// The daemon's wiring: configuration -> RIB + BGP speaker + control socket. Kept apart from src/session so that
// the session layer knows nothing of the config file or the CLI.
import { createWriteStream } from 'node:fs';
import { isIP } from 'node:net';
import bunyan from 'bunyan';
import type { Config, NeighborConfig } from '../config/index.js';
import { ControlServer, createControlHandler } from '../control/index.js';
import { Rib } from '../rib/index.js';
import { Speaker, type NeighborOptions } from '../session/index.js';

export interface Daemon {
  readonly rib: Rib;
  readonly speaker: Speaker;
  readonly control: ControlServer;
  readonly log: bunyan;
  /** Administrative shutdown of every session (RFC 9003 message), then the control socket closes. */
  stop(message?: string): Promise<void>;
}

export function createLogger(config: Config): bunyan {
  const stream = config.log.file
    ? createWriteStream(config.log.file, { flags: 'a' })
    : process.stderr;
  return bunyan.createLogger({ name: 'supersparrow', level: config.log.level, streams: [{ stream, level: config.log.level }] });
}

/**
 * Maps a configured neighbor to the session layer's options. Without a local-address, outgoing connections
 * leave from the listen address when it is a specific one of the same family: peers usually check the source.
 */
export function neighborOptions(n: NeighborConfig, listen: Config['bgp']['listen'] = null): NeighborOptions {
  let localAddress = n.localAddress;
  if (localAddress === null && listen !== null && !isWildcard(listen.address) && isIP(listen.address) === isIP(n.address)) {
    localAddress = listen.address;
  }
  return {
    address: n.address,
    remoteAs: n.remoteAs,
    port: n.port,
    passive: n.passive,
    localAddress,
    holdTime: n.holdTime,
    connectRetry: n.connectRetry,
    maxPrefixes: n.maxPrefixes,
    gracefulRestart: n.gracefulRestart,
    addPath: n.addPath,
    description: n.description,
  };
}

/** Starts the daemon: control socket first (so a second daemon fails early), then the speaker. */
export async function startDaemon(config: Config, socketPath: string, log: bunyan = createLogger(config)): Promise<Daemon> {
  const rib = new Rib();
  const speaker = new Speaker({
    localAs: config.bgp.localAs,
    routerId: config.bgp.routerId,
    listen: config.bgp.listen,
    rib,
    log,
  });
  for (const n of config.neighbors) speaker.addNeighbor(neighborOptions(n, config.bgp.listen));
  const control = new ControlServer(socketPath, createControlHandler(speaker, rib), log);
  await control.start();
  try {
    await speaker.start();
  } catch (err) {
    await control.stop();
    throw err;
  }
  log.info({ localAs: config.bgp.localAs, routerId: config.bgp.routerId, neighbors: config.neighbors.length, config: config.file }, 'supersparrow started');
  return {
    rib,
    speaker,
    control,
    log,
    async stop(message?: string) {
      await speaker.shutdown(message);
      await control.stop();
      log.info('supersparrow stopped');
    },
  };
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}
