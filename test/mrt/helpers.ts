import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, from dist/test/mrt. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shared MRT data folder: ../shared/data/mrt beside the repository, or $SUPERSPARROW_SHARED_DIR/data/mrt. */
export function sharedMrtDir(): string {
  if (process.env.SUPERSPARROW_SHARED_DIR) return path.resolve(process.env.SUPERSPARROW_SHARED_DIR, 'data/mrt');
  return path.resolve(repoRoot, '../shared/data/mrt');
}

export function mrtFile(name: string): string {
  return path.join(sharedMrtDir(), name);
}

/** Every MRT file of the shared folder (README.md excluded). */
export function allMrtFiles(): string[] {
  return readdirSync(sharedMrtDir())
    .filter((f) => f !== 'README.md')
    .sort();
}

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'supersparrow-mrt-'));
}

/** Whether a program runs here; under CI=true a missing one is a failure, not a skip. */
export function haveProgram(name: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(name, args, { stdio: 'ignore' });
  return !(r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT');
}

export const inCi = process.env.CI === 'true';

/** The CLI as a user runs it. */
export const cliPath = path.join(repoRoot, 'bin/supersparrow.js');

export interface RunResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export function run(cmd: string, args: string[]): RunResult {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

export function runDump(file: string): RunResult {
  return run(process.execPath, [cliPath, 'mrt', 'dump', file]);
}

/** Counts by kind (A, W, STATE, B) of README's table, per file: exact numbers or [min, max] ranges. */
export function readmeCounts(): Map<string, Map<string, [number, number]>> {
  const text = readFileSync(path.join(sharedMrtDir(), 'README.md'), 'utf8');
  const out = new Map<string, Map<string, [number, number]>>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || cells[1] === 'file' || cells[1]!.startsWith('---')) continue;
    const files = cells[1]!.split(',').map((s) => s.trim());
    const groups = cells[3]!.split(/[;,]/).map((s) => s.trim());
    files.forEach((file, i) => {
      const group = groups.length === files.length ? groups[i]! : groups[0]!;
      const kinds = new Map<string, [number, number]>();
      for (const m of group.matchAll(/(A|W|STATE|B)=(\d+)(?:\.\.(\d+))?/g)) {
        kinds.set(m[1]!, [Number(m[2]), Number(m[3] ?? m[2])]);
      }
      out.set(file, kinds);
    });
  }
  return out;
}
