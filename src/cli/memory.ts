import type { Command } from 'commander';
import type { MemoryJson } from '../control/index.js';
import { clientSocketPath, controlRequest } from './control-client.js';
import type { SetStatus } from './index.js';

/** `supersparrow memory [--json]`: where the daemon's memory goes, like `birdc show memory`. */
export function registerMemoryCommand(program: Command, setStatus: SetStatus): void {
  program
    .command('memory')
    .description('show the memory the RIB (part by part) and the daemon process use')
    .option('--json', 'print JSON (bytes)')
    .option('--socket <path>', 'control socket of the daemon')
    .action(async (opts: { json?: boolean; socket?: string }) => {
      let m: MemoryJson;
      try {
        m = await controlRequest<MemoryJson>(clientSocketPath(opts.socket), { command: 'memory' });
      } catch (err) {
        process.stderr.write(`supersparrow memory: ${(err as Error).message}\n`);
        setStatus(2);
        return;
      }
      process.stdout.write(opts.json ? JSON.stringify(m, null, 2) + '\n' : formatMemory(m));
    });
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
const count = (n: number): string => n.toLocaleString('en-US');

export function formatMemory(m: MemoryJson): string {
  const r = m.rib;
  const p = m.process;
  const row = (name: string, n: number | null, bytes: number, note = ''): string =>
    `  ${name.padEnd(16)}${n === null ? ''.padStart(10) : count(n).padStart(10)}${mib(bytes).padStart(12)}${note}`;
  return [
    'RIB (typed arrays in use)',
    row('IPv4 prefixes', r.ipv4.prefixes, r.ipv4.bytes),
    row('IPv6 prefixes', r.ipv6.prefixes, r.ipv6.bytes),
    row('attribute sets', r.attributes.sets, r.attributes.bytes),
    row('routes', r.routes.count, r.routes.bytes),
    row('total', null, r.total),
    'process',
    row('resident (RSS)', null, p.rss),
    row('JS heap used', null, p.heapUsed, ` of ${mib(p.heapTotal)}`),
    row('array buffers', null, p.arrayBuffers, ' reserved (address space; untouched pages cost nothing)'),
    '',
  ].join('\n');
}
