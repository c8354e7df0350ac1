import v8 from 'node:v8';

/**
 * Keeps V8's young generation at its initial size (two 1 MiB semi-spaces) for the process's lifetime. By default
 * V8 doubles it whenever enough objects survived scavenges since the last doubling, up to two 16 MiB semi-spaces,
 * and a full-table load or a large MRT dump gets there: the grown semi-spaces stay resident, 12 MiB and more of RSS
 * for nothing, since what an UPDATE or a dump line allocates dies young (a scavenge costs about its survivors,
 * whatever the size of the young generation). Measured: RSS after a full-table load in the daemon about
 * 136 -> 124-128 MiB, load time unchanged within noise; `mrt dump` about 4 MB less at the same speed. Again
 * 2026-11-30 (bench:ingest's two feeds, serve): without it 121-128 MiB after the generated table and 97 MiB after
 * the RIS 2015 table, with it 115 and 91 MiB. Other flags measured then and not kept: --optimize-for-size (0-1 MiB,
 * within noise), --no-concurrent-recompilation (no effect once V8 runs), --single-threaded-gc (set at run time,
 * V8 aborts at its next incremental GC: never set it here).
 * V8 reads the flag each time it would grow the young generation, so setting it at run time works (on the command
 * line V8 raises a value below 2 to 2). The launcher calls this before loading the rest of the program.
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** The V8 flag batch mode runs with: a 16 MiB young generation from the start (see bin/supersparrow.js). */
export const BATCH_YOUNG_GENERATION = '--min-semi-space-size=16';

/**
 * Whether the command line asks for batch mode: `supersparrow batch ...`, or the original invocation with
 * `--batch` (as the command line gives it; `batch` in /etc/supersparrow.conf alone does not count, and runs with
 * the default young generation).
 */
export function isBatchInvocation(argv: readonly string[]): boolean {
  if (argv[0] === 'batch') return !argv.includes('--help') && !argv.includes('-h');
  return argv[0] !== undefined && argv[0].startsWith('-') && argv.includes('--batch') && !argv.includes('--help') && !argv.includes('-h');
}
