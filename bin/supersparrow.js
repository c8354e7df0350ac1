#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/src/cli (built by `npm install` through the prepare script).
import { main } from '../dist/src/cli/index.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`supersparrow: ${err && err.message ? err.message : err}\n`); process.exitCode = 1; },
);
