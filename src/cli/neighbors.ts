import type { Command } from 'commander';
import type { NeighborJson } from '../control/index.js';
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

export function formatUptime(seconds: number): string {
  if (seconds <= 0) return '-';
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
      formatUptime(n.uptime),
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
