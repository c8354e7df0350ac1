import { Command, CommanderError } from 'commander';
import { registerDemoCommand } from './demo.js';
import { registerMrtCommands } from './mrt.js';
import { registerNeighborControlCommands, registerNeighborsCommand } from './neighbors.js';
import { registerRoutesCommand } from './routes.js';
import { registerServeCommand } from './serve.js';

/**
 * Entry point of the `supersparrow` command. Each subcommand lives in its own file and registers itself here;
 * `main` returns the exit status instead of exiting so tests can call it in-process.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('supersparrow')
    .description('Which POP is network-wise closest to a client, from live BGP routing data')
    .exitOverride()
    .showHelpAfterError();
  let status = 0;
  const setStatus = (code: number): void => {
    status = code;
  };
  registerMrtCommands(program, setStatus);
  registerServeCommand(program, setStatus);
  registerNeighborsCommand(program, setStatus);
  registerNeighborControlCommands(program, setStatus);
  registerRoutesCommand(program, setStatus);
  registerDemoCommand(program, setStatus, main);
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
