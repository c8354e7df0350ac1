import type { Command } from 'commander';
import { DEFAULT_DEMO_ADDRESS, DEFAULT_DEMO_DNS_PORT, DEFAULT_DEMO_HTTP_PORT, DEFAULT_DEMO_ROUTERS, runDemo } from '../demo/index.js';
import { controlRequest } from './control-client.js';
import type { SetStatus } from './index.js';

const HELP = `
The demo writes a configuration with three POPs (ams, nyc, sin; the multi-view rule; DNS zone example.test),
starts \`supersparrow serve --config\` on it as a child process, and plays the three POP routers itself: each
connects from its own loopback address and replays the full-size synthetic table (or, with --mrt, one peer's real
table) as its POP sees it: the same prefixes, its AS prepended 0-2 times by origin AS, so that each POP is closest
for about a third of the address space. It shows the load (a progress bar in a terminal, a line a second
otherwise), waits for the daemon's /readyz, shows its neighbors, POPs and decisions, and ready-to-paste commands
(dig with +subnet for an address of each POP, query, explain, curl /metrics, the status page's URL), then keeps running until Ctrl-C, SIGTERM or SIGHUP, which stop the routers
(Cease), then the daemon (SIGTERM, awaited), and remove the temporary folder; exit status 0. With --once it stops
as soon as the commands are printed. If the daemon dies, or closes a router's session during the load, the demo
says so (a death with the end of the daemon's log) and exits 1. Should the demo itself be killed (SIGKILL), the daemon
notices (serve --exit-with-parent: its stdin, a pipe from the demo, closes) and stops cleanly by itself.
Its output is the same on a terminal and elsewhere, except for the progress.`;

/** `supersparrow demo [options] [ADDR...]`: the whole product on loopback, until Ctrl-C. */
export function registerDemoCommand(program: Command, setStatus: SetStatus, cli: (argv: string[]) => Promise<number>): void {
  program
    .command('demo')
    .description('run `supersparrow serve` on loopback with three built-in POP routers replaying a full-size table, until Ctrl-C')
    .argument('[address...]', 'more addresses to look up once the table is loaded')
    .option('--once', 'stop once the table is loaded and the commands are printed, instead of serving until Ctrl-C')
    .option('--dns-port <port>', 'the DNS responder\'s port on 127.0.0.1', String(DEFAULT_DEMO_DNS_PORT))
    .option('--http-port <port>', 'the HTTP front end\'s port on 127.0.0.1 (metrics, API, status page)', String(DEFAULT_DEMO_HTTP_PORT))
    .option('--socket <path>', 'the daemon\'s control socket (default: in the demo\'s temporary folder)')
    .option('--address <address>', 'the daemon\'s BGP address (it listens on a free port there)', DEFAULT_DEMO_ADDRESS)
    .option('--routers <a,b,c>', 'the three POP routers\' source addresses', DEFAULT_DEMO_ROUTERS.join(','))
    .option('--mrt <file>', 'replay one peer\'s real table from this MRT file (RIB dump or BGP4MP updates) instead')
    .option('--peer <address>', 'with --mrt: the peer whose table to replay (default: the one with the most routes)')
    .addHelpText('after', HELP)
    .action(async (queries: string[], opts: { once?: boolean; dnsPort: string; httpPort: string; socket?: string; address: string; routers: string; mrt?: string; peer?: string }) => {
      const fail = (message: string): void => {
        process.stderr.write(`supersparrow demo: ${message}\n`);
        setStatus(2);
      };
      if (opts.peer !== undefined && opts.mrt === undefined) return fail('--peer needs --mrt');
      const dnsPort = Number(opts.dnsPort);
      if (!Number.isInteger(dnsPort) || dnsPort < 1 || dnsPort > 65535) return fail(`--dns-port: not a port: ${opts.dnsPort}`);
      const httpPort = Number(opts.httpPort);
      if (!Number.isInteger(httpPort) || httpPort < 1 || httpPort > 65535) return fail(`--http-port: not a port: ${opts.httpPort}`);
      const routers = opts.routers.split(',').map((s) => s.trim());
      if (routers.length !== DEFAULT_DEMO_ROUTERS.length) return fail(`--routers: give ${DEFAULT_DEMO_ROUTERS.length} addresses, comma-separated`);
      const mrt = opts.mrt === undefined ? {} : { mrt: opts.peer === undefined ? { file: opts.mrt } : { file: opts.mrt, peer: opts.peer } };
      setStatus(
        await runDemo({
          once: opts.once === true,
          queries,
          cli,
          request: (socket, request) => controlRequest(socket, request, 30_000),
          out: process.stdout,
          tty: process.stdout.isTTY === true,
          dnsPort,
          httpPort,
          address: opts.address,
          routers,
          ...(opts.socket !== undefined ? { socket: opts.socket } : {}),
          ...mrt,
        }),
      );
    });
}
