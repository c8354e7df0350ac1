import type { Command } from 'commander';
import { MrtError, dumpMrtFile } from '../mrt/index.js';
import type { SetStatus } from './index.js';

/**
 * `supersparrow mrt dump FILE`: the `bgpdump -m` lines of an MRT file (plain, gzip or bzip2) on stdout, written
 * in big chunks. Deprecated BGP4MP_ENTRY records, which bgpdump skips silently, are printed as
 * `BGP4MP_ENTRY|time|B|peer|peerAS|prefix|...` lines in the TABLE_DUMP2 columns, and a note on stderr says so.
 * A closed stdout (`| head`) ends the dump quietly.
 */
export function registerMrtCommands(program: Command, setStatus: SetStatus): void {
  const mrt = program.command('mrt').description('read MRT (RFC 6396) routing dumps');
  mrt
    .command('dump <file>')
    .description(
      'print one line per route or event, in the format of `bgpdump -m`; deprecated BGP4MP_ENTRY records ' +
        '(which bgpdump skips) as BGP4MP_ENTRY|time|B|... lines, with a note on stderr',
    )
    .action(async (file: string) => {
      setStatus(await dumpToStdout(file));
    });
}

async function dumpToStdout(file: string): Promise<number> {
  const stdout = process.stdout;
  let closed = false;
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') closed = true;
    else throw err;
  };
  stdout.on('error', onError);
  const write = (chunk: Buffer, release: () => void): void | Promise<void> => {
    if (closed) return;
    // The callback says the bytes are written (or failed): dumpMrtFile may then reuse the buffer.
    if (!stdout.write(chunk, release)) {
      return new Promise<void>((resolve) => {
        const done = (): void => {
          stdout.off('drain', done);
          stdout.off('close', done);
          stdout.off('error', done);
          resolve();
        };
        stdout.on('drain', done);
        stdout.on('close', done);
        stdout.on('error', done);
      });
    }
  };
  try {
    const stats = await dumpMrtFile(file, write, { shouldStop: () => closed });
    if (closed) return 0;
    if (stats.bgp4mpEntries > 0) {
      process.stderr.write(
        `supersparrow mrt dump: ${stats.bgp4mpEntries} deprecated BGP4MP_ENTRY (BGP4MP subtype 2) records, which ` +
          'bgpdump skips, printed as BGP4MP_ENTRY|time|B|... lines in the TABLE_DUMP2 columns\n',
      );
    }
    for (const [reason, n] of stats.skipped) {
      process.stderr.write(`supersparrow mrt dump: skipped ${n} record(s): ${reason}\n`);
    }
    return 0;
  } catch (err) {
    if (closed) return 0;
    if (err instanceof MrtError) {
      process.stderr.write(`supersparrow mrt dump: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    // Let pending output drain before the process ends; errors after this point are EPIPE only.
    stdout.off('error', onError);
    stdout.on('error', () => {});
  }
}
