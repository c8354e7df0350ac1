import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { allMrtFiles, cliPath, haveProgram, inCi, mrtFile, readmeCounts, run, runDump, tempDir } from './helpers.js';

const haveBgpdump = haveProgram('bgpdump', ['-h']);
const compared = haveBgpdump || inCi ? test : test.skip;
if (!haveBgpdump) console.log(inCi ? 'bgpdump is missing under CI: the comparisons fail' : 'SKIPPED bgpdump comparisons: bgpdump is not installed');

/** The first line where two outputs differ, for a readable failure. */
function firstDifference(ours: Buffer, theirs: Buffer): string {
  const a = ours.toString('utf8').split('\n');
  const b = theirs.toString('utf8').split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  ours:    ${a[i]}\n  bgpdump: ${b[i]}`;
  }
  return 'no difference';
}

for (const file of allMrtFiles()) {
  compared(`mrt dump ${file} is byte-identical to bgpdump -m`, (t) => {
    t.true(haveBgpdump, 'bgpdump is not installed');
    const ours = runDump(mrtFile(file));
    const theirs = run('bgpdump', ['-m', mrtFile(file)]);
    t.is(ours.status, 0, ours.stderr);
    // BGP4MP_ENTRY lines are ours alone (bgpdump skips that subtype silently): compare the rest.
    const kept = Buffer.from(
      ours.stdout
        .toString('utf8')
        .split('\n')
        .filter((l) => !l.startsWith('BGP4MP_ENTRY|'))
        .join('\n'),
    );
    t.true(kept.equals(theirs.stdout), firstDifference(kept, theirs.stdout));
  });
}

test('mrt dump prints the counts of the data README, kind by kind', (t) => {
  const counts = readmeCounts();
  t.true(counts.size >= allMrtFiles().length);
  for (const file of allMrtFiles()) {
    const expected = counts.get(file);
    t.truthy(expected, `README lists ${file}`);
    const out = runDump(mrtFile(file)).stdout.toString('utf8');
    const found = new Map<string, number>();
    for (const line of out.split('\n')) {
      if (line === '' || line.startsWith('BGP4MP_ENTRY|')) continue;
      const kind = line.split('|')[2]!;
      found.set(kind, (found.get(kind) ?? 0) + 1);
    }
    for (const kind of new Set([...expected!.keys(), ...found.keys()])) {
      const [min, max] = expected!.get(kind) ?? [0, 0];
      const n = found.get(kind) ?? 0;
      t.true(n >= min && n <= max, `${file} ${kind}: ${n}, README says ${min === max ? min : `${min}..${max}`}`);
    }
  }
});

test('mrt dump of the 2015 RIS file announces 577,706 distinct prefixes (README)', (t) => {
  const out = runDump(mrtFile('updates.et-header.2015.gz')).stdout.toString('utf8');
  const distinct = new Set<string>();
  for (const line of out.split('\n')) {
    const f = line.split('|');
    if (f[2] === 'A') distinct.add(f[5]!);
  }
  t.is(distinct.size, 577706);
});

test('mrt dump prints BGP4MP_ENTRY records (which bgpdump skips) and says so on stderr', (t) => {
  const r = runDump(mrtFile('openbgpd_rib_table-mp'));
  t.is(r.status, 0);
  const lines = r.stdout.toString('utf8').trimEnd().split('\n');
  t.is(lines.length, 31);
  t.true(lines.every((l) => /^BGP4MP_ENTRY\|\d+\|B\|[^|]+\|\d+\|[0-9a-f.:]+\/\d+\|/.test(l)));
  t.regex(r.stderr, /BGP4MP_ENTRY \(BGP4MP subtype 2\)/);
});

compared('on a truncated file, mrt dump prints what bgpdump prints, then fails naming the records read', (t) => {
  const data = readFileSync(mrtFile('updates.20160811.1600.gz'));
  const file = path.join(tempDir(), 'truncated.gz');
  writeFileSync(file, data.subarray(0, data.length >> 1));
  const ours = runDump(file);
  const theirs = run('bgpdump', ['-m', file]);
  t.is(ours.status, 1);
  t.regex(ours.stderr, /MRT file .* after \d+ records/);
  t.true(ours.stdout.equals(theirs.stdout), firstDifference(ours.stdout, theirs.stdout));
});

test('mrt dump ends quietly when its reader goes away (| head)', async (t) => {
  const child = spawn(process.execPath, [cliPath, 'mrt', 'dump', mrtFile('updates.et-header.2015.gz')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<Buffer>((resolve) => child.stdout.once('data', resolve));
  child.stdout.destroy();
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.regex(first.toString(), /^BGP4MP_ET\|/);
  t.is(status, 0);
  t.is(stderr, '');
});
