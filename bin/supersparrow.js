#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/src/cli (built by `npm install` through the prepare script).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { BATCH_YOUNG_GENERATION, isBatchInvocation, keepYoungGenerationSmall } from '../dist/src/cli/runtime.js';

const argv = process.argv.slice(2);
if (isBatchInvocation(argv) && !process.execArgv.includes(BATCH_YOUNG_GENERATION)) {
  // Batch mode answers each line in lock-step with its caller (Apache's RewriteMap): a young-generation GC every
  // ~140 lines, as V8's 1 MiB start gives it, is what its p99 latency is made of. V8 sizes the young generation
  // only at start, so batch mode runs itself again with a 16 MiB one (stdin, stdout and stderr are handed over,
  // not relayed: no extra hop). `npm run bench:batch` measured p99 430-630 -> 260-285 µs.
  const child = spawn(process.execPath, [...process.execArgv, BATCH_YOUNG_GENERATION, fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (os.constants.signals[signal] ?? 0);
  });
  child.on('error', (err) => {
    process.stderr.write(`supersparrow: cannot start batch mode: ${err.message}\n`);
    process.exitCode = 1;
  });
} else {
  // Before the rest of the program loads, so that nothing it allocates grows the young generation first.
  if (!process.execArgv.includes(BATCH_YOUNG_GENERATION)) keepYoungGenerationSmall();
  const { main } = await import('../dist/src/cli/index.js');
  main(argv).then(
    (code) => { process.exitCode = code; },
    (err) => { process.stderr.write(`supersparrow: ${err && err.message ? err.message : err}\n`); process.exitCode = 1; },
  );
}
