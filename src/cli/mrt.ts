import path from 'node:path';
import type { Command } from 'commander';
import type { SnapshotJson } from '../control/index.js';
import { MrtError, dumpMrtFile } from '../mrt/index.js';
import { clientSocketPath, controlRequest } from './control-client.js';
import type { SetStatus } from './index.js';

/** A save of a full table takes seconds, more on a busy machine: the answer is waited for this long. */
const SAVE_TIMEOUT_MS = 10 * 60_000;

/**
 * `supersparrow mrt dump FILE`: the `bgpdump -m` lines of an MRT file (plain, gzip or bzip2) on stdout, written
 * in big chunks. Deprecated BGP4MP_ENTRY records, which bgpdump skips silently, are printed as
 * `BGP4MP_ENTRY|time|B|peer|peerAS|prefix|...` lines in the TABLE_DUMP2 columns, and a note on stderr says so.
 * A closed stdout (`| head`) ends the dump quietly.
 */
export function registerMrtCommands(program: Command, setStatus: SetStatus): void {
  const mrt = program.command('mrt').description('read MRT (RFC 6396) routing dumps; save the running daemon\'s RIB as one');
  mrt
    .command('dump <file>')
    .description(
      'print one line per route or event, in the format of `bgpdump -m`; deprecated BGP4MP_ENTRY records ' +
        '(which bgpdump skips) as BGP4MP_ENTRY|time|B|... lines, with a note on stderr',
    )
    .action(async (file: string) => {
      setStatus(await dumpToStdout(file));
    });
  mrt
    .command('save <file>')
    .description(
      'have the running daemon write its RIB to FILE as an MRT TABLE_DUMP_V2 snapshot (gzip when FILE ends in .gz), ' +
        'for `serve --warm-start FILE` or any MRT tool',
    )
    .option('--socket <path>', 'control socket of the daemon')
    .option('--json', 'print the answer as JSON')
    .action(async (file: string, opts: { socket?: string; json?: boolean }) => {
      let saved: SnapshotJson;
      try {
        // The daemon writes the file: it gets an absolute path (its working directory is not ours).
        saved = await controlRequest<SnapshotJson>(clientSocketPath(opts.socket), { command: 'mrt-save', file: path.resolve(file) }, SAVE_TIMEOUT_MS);
      } catch (err) {
        process.stderr.write(`supersparrow mrt save: ${(err as Error).message}\n`);
        setStatus(2);
        return;
      }
      process.stdout.write(
        opts.json
          ? JSON.stringify(saved, null, 2) + '\n'
          : `${saved.file}: ${saved.prefixes.ipv4} IPv4 + ${saved.prefixes.ipv6} IPv6 prefixes, ${saved.paths} paths, ${saved.bytes} bytes in ${saved.seconds} s\n`,
      );
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
