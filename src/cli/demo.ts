import type { Command } from 'commander';
import { DEFAULT_DEMO_QUERIES, runDemo } from '../demo/index.js';
import type { SetStatus } from './index.js';

/**
 * `supersparrow demo [--once] [--mrt FILE [--peer ADDR]] [ADDR...]`: the daemon and a built-in router peer replaying a
 * full table (synthetic, or one peer's real table out of an MRT file).
 */
export function registerDemoCommand(program: Command, setStatus: SetStatus, cli: (argv: string[]) => Promise<number>): void {
  program
    .command('demo')
    .description('run the daemon on loopback with a built-in router peer replaying a full-size table, then query it')
    .argument('[address...]', 'addresses to look up once the table is loaded', DEFAULT_DEMO_QUERIES)
    .option('--once', 'stop after the queries instead of serving until Ctrl-C')
    .option('--mrt <file>', 'replay one peer\'s real table from this MRT file (RIB dump or BGP4MP updates) instead')
    .option('--peer <address>', 'with --mrt: the peer whose table to replay (default: the one with the most routes)')
    .action(async (queries: string[], opts: { once?: boolean; mrt?: string; peer?: string }) => {
      if (opts.peer !== undefined && opts.mrt === undefined) {
        process.stderr.write('supersparrow demo: --peer needs --mrt\n');
        setStatus(2);
        return;
      }
      const mrt = opts.mrt === undefined ? {} : { mrt: opts.peer === undefined ? { file: opts.mrt } : { file: opts.mrt, peer: opts.peer } };
      setStatus(await runDemo({ once: opts.once === true || !process.stdout.isTTY, queries, cli, out: process.stdout, ...mrt }));
    });
}
