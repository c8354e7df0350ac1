import type { Command } from 'commander';
import type { ControlRequest, NeighborJson } from '../control/index.js';
import { clientSocketPath, controlRequest } from './control-client.js';
import type { SetStatus } from './index.js';

/** `supersparrow neighbors [--json] [--socket PATH]`: session state per neighbor, from the running daemon. */
export function registerNeighborsCommand(program: Command, setStatus: SetStatus): void {
  program
    .command('neighbors')
    .description('show the BGP neighbors of the running daemon: state, uptime, prefixes, last error')
    .option('--json', 'print a JSON array')
    .option('--socket <path>', 'control socket of the daemon')
    .action(async (opts: { json?: boolean; socket?: string }) => {
      let neighbors: NeighborJson[];
      try {
        neighbors = await controlRequest<NeighborJson[]>(clientSocketPath(opts.socket), { command: 'neighbors' });
      } catch (err) {
        process.stderr.write(`supersparrow neighbors: ${(err as Error).message}\n`);
        setStatus(2);
        return;
      }
      process.stdout.write(opts.json ? JSON.stringify(neighbors, null, 2) + '\n' : formatNeighborTable(neighbors));
    });
}

/**
 * Operator commands on one neighbor or the whole daemon, over the control socket:
 * `shutdown NEIGHBOR [MESSAGE]` (Cease/Administrative Shutdown with the RFC 9003 message), `enable NEIGHBOR`,
 * `route-refresh NEIGHBOR [ipv4|ipv6]`, `reload` (re-read the config file).
 */
export function registerNeighborControlCommands(program: Command, setStatus: SetStatus): void {
  const send = async (request: ControlRequest, socket: string | undefined, what: string): Promise<void> => {
    try {
      const result = await controlRequest(clientSocketPath(socket), request);
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    } catch (err) {
      process.stderr.write(`supersparrow ${what}: ${(err as Error).message}\n`);
      setStatus(2);
    }
  };
  program
    .command('shutdown <neighbor> [message...]')
    .description('administratively shut a neighbor down (Cease 6/2 with an RFC 9003 message); `enable` brings it back')
    .option('--socket <path>', 'control socket of the daemon')
    .action((neighbor: string, message: string[], opts: { socket?: string }) =>
      send({ command: 'shutdown', neighbor, ...(message.length > 0 ? { message: message.join(' ') } : {}) }, opts.socket, 'shutdown'));
  program
    .command('enable <neighbor>')
    .description('start a neighbor again after shutdown or a prefix-limit stop')
    .option('--socket <path>', 'control socket of the daemon')
    .action((neighbor: string, opts: { socket?: string }) => send({ command: 'enable', neighbor }, opts.socket, 'enable'));
  program
    .command('route-refresh <neighbor> [family]')
    .description('ask a neighbor to send its routes again (ROUTE-REFRESH, RFC 2918), for ipv4, ipv6 or both')
    .option('--socket <path>', 'control socket of the daemon')
    .action((neighbor: string, family: string | undefined, opts: { socket?: string }) => {
      if (family !== undefined && family !== 'ipv4' && family !== 'ipv6') {
        process.stderr.write('supersparrow route-refresh: family must be ipv4 or ipv6\n');
        setStatus(2);
        return;
      }
      return send({ command: 'route-refresh', neighbor, ...(family ? { family } : {}) }, opts.socket, 'route-refresh');
    });
  program
    .command('reload')
    .description('re-read the daemon\'s configuration file (a bad file is reported and changes nothing)')
    .option('--socket <path>', 'control socket of the daemon')
    .action((opts: { socket?: string }) => send({ command: 'reload' }, opts.socket, 'reload'));
}

/** `supersparrow route-server [--json]`: the route-server fallback's state, from the running daemon. */
export function registerRouteServerCommand(program: Command, setStatus: SetStatus): void {
  program
    .command('route-server')
    .description('show the route-server fallback: whether it answers now, its console, cache and errors')
    .option('--json', 'print JSON')
    .option('--socket <path>', 'control socket of the daemon')
    .action(async (opts: { json?: boolean; socket?: string }) => {
      let status: Record<string, unknown> | null;
      try {
        status = await controlRequest<Record<string, unknown> | null>(clientSocketPath(opts.socket), { command: 'route-server' });
      } catch (err) {
        process.stderr.write(`supersparrow route-server: ${(err as Error).message}\n`);
        setStatus(2);
        return;
      }
      if (opts.json) process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      else if (status === null) process.stdout.write('no route server is configured (route-server: in the configuration)\n');
      else process.stdout.write(Object.entries(status).map(([k, v]) => `${k}: ${v === null ? '-' : String(v)}`).join('\n') + '\n');
    });
}

export function formatUptime(seconds: number, established = true): string {
  if (!established) return '-';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const hms = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return d > 0 ? `${d}d ${hms}` : hms;
}

export function formatNeighborTable(neighbors: NeighborJson[]): string {
  const rows = [['NEIGHBOR', 'AS', 'STATE', 'UPTIME', 'IPV4', 'IPV6', 'LAST ERROR']];
  for (const n of neighbors) {
    rows.push([
      n.address,
      String(n.remoteAs),
      n.state + (n.adminDown ? ' (admin)' : '') + (n.staleFamilies.length > 0 ? ' (stale)' : ''),
      formatUptime(n.uptime, n.state === 'Established'),
      String(n.prefixes.ipv4),
      String(n.prefixes.ipv6),
      n.lastError ?? '',
    ]);
  }
  return table(rows);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
