import type { Command } from 'commander';
import type { RouteJson } from '../control/index.js';
import { clientSocketPath, controlRequest } from './control-client.js';
import type { SetStatus } from './index.js';

/**
 * `supersparrow routes [--json] ADDR|PREFIX`: the best route for an address (longest match) or a prefix (exact),
 * like `birdc show route for`. Prints `null` and exits 1 when nothing matches.
 */
export function registerRoutesCommand(program: Command, setStatus: SetStatus): void {
  program
    .command('routes <target>')
    .description('show the best route for an address (longest match) or a prefix (exact match)')
    .option('--json', 'print the route as JSON (null when none)')
    .option('--socket <path>', 'control socket of the daemon')
    .action(async (target: string, opts: { json?: boolean; socket?: string }) => {
      let route: RouteJson | null;
      try {
        route = await controlRequest<RouteJson | null>(clientSocketPath(opts.socket), { command: 'routes', target });
      } catch (err) {
        process.stderr.write(`supersparrow routes: ${(err as Error).message}\n`);
        setStatus(2);
        return;
      }
      if (opts.json) process.stdout.write(JSON.stringify(route, null, 2) + '\n');
      else process.stdout.write(route === null ? `no route for ${target}\n` : formatRoute(route));
      if (route === null) setStatus(1);
    });
}

export function formatAsPathJson(path: (number | number[])[]): string {
  return path.map((p) => (Array.isArray(p) ? `{${p.join(' ')}}` : String(p))).join(' ');
}

export function formatRoute(r: RouteJson): string {
  const lines = [
    `${r.prefix} via ${r.nextHop ?? '-'} from ${r.neighbor}${r.neighborAs !== null ? ` (AS${r.neighborAs})` : ''}${r.pathId ? ` path-id ${r.pathId}` : ''}${r.stale ? ' [stale]' : ''}`,
    `  as-path:     ${r.asPath.length > 0 ? formatAsPathJson(r.asPath) : '(empty)'}`,
    `  origin:      ${r.origin ?? '-'}`,
    `  local-pref:  ${r.localPref ?? '-'}`,
    `  med:         ${r.med ?? '-'}`,
  ];
  if (r.communities.length > 0) lines.push(`  communities: ${r.communities.join(' ')}`);
  if (r.largeCommunities.length > 0) lines.push(`  large-communities: ${r.largeCommunities.join(' ')}`);
  if (r.atomicAggregate) lines.push('  atomic-aggregate');
  if (r.aggregator) lines.push(`  aggregator:  ${r.aggregator}`);
  if (r.originatorId) lines.push(`  originator-id: ${r.originatorId}`);
  if (r.clusterList.length > 0) lines.push(`  cluster-list: ${r.clusterList.join(' ')}`);
  return lines.join('\n') + '\n';
}
