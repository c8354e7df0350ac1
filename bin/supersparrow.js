#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/src/cli (built by `npm install` through the prepare script).
import { keepYoungGenerationSmall } from '../dist/src/cli/runtime.js';

// Before the rest of the program loads, so that nothing it allocates grows the young generation first.
keepYoungGenerationSmall();
const { main } = await import('../dist/src/cli/index.js');

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`supersparrow: ${err && err.message ? err.message : err}\n`); process.exitCode = 1; },
);
