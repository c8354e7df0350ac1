import type { Command } from 'commander';
import type { SetStatus } from './index.js';

/** `supersparrow mrt dump FILE`: filled in by the MRT work. */
export function registerMrtCommands(program: Command, _setStatus: SetStatus): void {
  const mrt = program.command('mrt').description('Read MRT (RFC 6396) routing dumps');
  mrt
    .command('dump <file>')
    .description('print one line per route or event, in the format of `bgpdump -m`')
    .action(() => {
      throw new Error('mrt dump: not implemented yet');
    });
}
