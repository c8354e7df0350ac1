import type { Command } from 'commander';
import { DEFAULT_DEMO_QUERIES, runDemo } from '../demo/index.js';
import type { SetStatus } from './index.js';

/** `supersparrow demo [--once] [ADDR...]`: the daemon and a built-in router peer replaying a full table. */
export function registerDemoCommand(program: Command, setStatus: SetStatus, cli: (argv: string[]) => Promise<number>): void {
  program
    .command('demo')
    .description('run the daemon on loopback with a built-in router peer replaying a full-size table, then query it')
    .argument('[address...]', 'addresses to look up once the table is loaded', DEFAULT_DEMO_QUERIES)
    .option('--once', 'stop after the queries instead of serving until Ctrl-C')
    .action(async (queries: string[], opts: { once?: boolean }) => {
      setStatus(await runDemo({ once: opts.once === true || !process.stdout.isTTY, queries, cli, out: process.stdout }));
    });
}
