// Every sample configuration shipped (contrib/*.yaml, fixtures/*.yaml) passes `supersparrow serve --check`, run as
// an operator runs it.
import test from 'ava';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, SUPERSPARROW_BIN } from '../helpers/peers/supersparrow.js';

function check(file: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SUPERSPARROW_BIN, 'serve', '--config', file, '--check'], { cwd: REPO_ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

const samples = ['contrib', 'fixtures'].flatMap((dir) =>
  readdirSync(path.join(REPO_ROOT, dir)).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f)));

test('there are sample configurations to check', (t) => {
  t.true(samples.includes(path.join('contrib', 'supersparrow.yaml')), samples.join(', '));
  t.true(samples.includes(path.join('fixtures', 'supersparrow.yaml')), samples.join(', '));
});

for (const sample of samples) {
  test(`${sample} passes serve --check`, async (t) => {
    const file = path.join(REPO_ROOT, sample);
    const r = await check(file);
    t.is(r.code, 0, `${sample}: ${r.out}`);
    t.regex(r.out, /: OK \(\d+ neighbors?\)/);
  });
}
