import { createRequire } from 'node:module';

// A CommonJS package: require(), not import (RSS; see src/config/load.ts).
const { Command, CommanderError } = createRequire(import.meta.url)('commander') as typeof import('commander');
type Command = import('commander').Command;

/** Registers one file's subcommands on the program. */
type Registration = (program: Command, setStatus: SetStatus) => Promise<void>;

/**
 * Each subcommand lives in its own file, loaded only when it may run: `mrt dump` must not pay at start-up for
 * the daemon's modules (config, session, ip-num, bunyan: ~100 ms). `names` are the commands a file registers; a
 * first argument that is none of them (help, an option, a typo) loads every file, in this order.
 */
const REGISTRATIONS: { names: readonly string[]; register: Registration }[] = [
  { names: ['mrt'], register: async (p, s) => (await import('./mrt.js')).registerMrtCommands(p, s) },
  { names: ['serve'], register: async (p, s) => (await import('./serve.js')).registerServeCommand(p, s) },
  {
    names: ['neighbors', 'shutdown', 'enable', 'route-refresh', 'reload', 'route-server'],
    register: async (p, s) => {
      const m = await import('./neighbors.js');
      m.registerNeighborsCommand(p, s);
      m.registerNeighborControlCommands(p, s);
      m.registerRouteServerCommand(p, s);
    },
  },
  { names: ['routes'], register: async (p, s) => (await import('./routes.js')).registerRoutesCommand(p, s) },
  {
    names: ['query', 'explain', 'batch', 'pops', 'pop'],
    register: async (p, s) => (await import('./decide.js')).registerDecisionCommands(p, s),
  },
  { names: ['memory'], register: async (p, s) => (await import('./memory.js')).registerMemoryCommand(p, s) },
  { names: ['demo'], register: async (p, s) => (await import('./demo.js')).registerDemoCommand(p, s, main) },
];

/** Entry point of the `supersparrow` command; returns the exit status instead of exiting so tests can call it in-process. */
export async function main(argv: string[]): Promise<number> {
  // The original program's invocation: options only, no command (`supersparrow --peer ... --source ADDR`).
  const { isClassicInvocation } = await import('./classic-options.js');
  if (isClassicInvocation(argv)) return (await import('./classic.js')).runClassic(argv);
  const program = new Command('supersparrow')
    .description('Which POP is network-wise closest to a client, from live BGP routing data')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nThe original Super Sparrow invocation works too (see `supersparrow --peer x --help`):\n' +
        '  supersparrow --peer AS=ANSWER,... --self ANSWER --source ADDR [--socket PATH | --mrt FILE] [--batch] [--verbose]\n' +
        '  options may also come from /etc/supersparrow.conf (-f|--config_file FILE), one `key value` a line',
    );
  let status = 0;
  const setStatus = (code: number): void => {
    status = code;
  };
  const wanted = REGISTRATIONS.find((r) => argv[0] !== undefined && r.names.includes(argv[0]));
  for (const r of wanted ? [wanted] : REGISTRATIONS) await r.register(program, setStatus);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return status;
}

/** Lets each command report its exit status without calling process.exit. */
export type SetStatus = (code: number) => void;
