// The files of contrib/ that other programs read, read by those programs: the BIRD snippet included from a minimal
// bird.conf and parsed by BIRD 2 (`bird -p`: parse only, nothing started), the FRR snippet by vtysh's dry run, and
// the systemd unit by `systemd-analyze verify` (with ExecStart's /usr/bin/supersparrow, not installed here, swapped
// for node: verify checks that commands exist). Each is also shown to reject a broken copy, so that a pass means
// something. (contrib/router/cisco-ios.txt has no checker here; the sample config: test/config/samples.test.ts.)
import type { ExecutionContext } from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, missingReason, peerTest, removeDir, run } from '../helpers/peers/index.js';
import { isExecutable } from '../helpers/peers/process.js';
import { REPO_ROOT } from '../helpers/peers/supersparrow.js';

const BIRD = '/usr/sbin/bird';
const VTYSH = '/usr/bin/vtysh';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

// Every await before the first test: ava wants the tests declared in one go.
const birdMissing = await missingReason('bird');
const frrMissing = await missingReason('frr');
const systemdAnalyzeInstalled = await isExecutable(SYSTEMD_ANALYZE);

const contrib = (...parts: string[]): string => path.join(REPO_ROOT, 'contrib', ...parts);

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await makeTempDir('contrib');
  t.teardown(() => removeDir(dir));
  return dir;
}

/** BIRD's verdict on a snippet included from a minimal config: exit status and messages. */
async function birdParse(dir: string, snippet: string): Promise<{ code: number; out: string }> {
  const main = path.join(dir, 'bird.conf');
  writeFileSync(main, `router id 192.0.2.1;\nprotocol device {}\ninclude "${snippet}";\n`);
  const r = await run(BIRD, ['-p', '-c', main], { allowFailure: true, timeoutMs: 20_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

peerTest(birdMissing === null ? [] : [birdMissing], 'contrib/router/bird2.conf parses in BIRD 2, both protocols; a broken copy does not', async (t) => {
  const dir = await tempDir(t);
  const snippet = contrib('router', 'bird2.conf');
  const text = readFileSync(snippet, 'utf8');
  t.regex(text, /protocol bgp supersparrow \{/);
  t.regex(text, /rr client;/);
  const good = await birdParse(dir, snippet);
  t.is(good.code, 0, good.out);
  const broken = path.join(dir, 'broken.conf');
  writeFileSync(broken, text.replace('add paths tx;', 'add pathz tx;'));
  const bad = await birdParse(dir, broken);
  t.not(bad.code, 0, 'BIRD rejects a misspelt option');
  t.regex(bad.out, /broken\.conf:\d+:\d+ syntax error/);
});

peerTest(frrMissing === null ? [] : [frrMissing], 'contrib/router/frr.conf passes vtysh --dryrun; a broken copy does not', async (t) => {
  const dir = await tempDir(t);
  const good = await run(VTYSH, ['--dryrun', '-f', contrib('router', 'frr.conf')], { allowFailure: true, timeoutMs: 20_000 });
  t.is(good.code, 0, good.stdout + good.stderr);
  t.notRegex(good.stdout + good.stderr, /%/, 'no complaint about any line');
  const broken = path.join(dir, 'broken.conf');
  writeFileSync(broken, readFileSync(contrib('router', 'frr.conf'), 'utf8').replace(/addpath-tx-all-paths/g, 'addpath-tx-all-pathz'));
  const bad = await run(VTYSH, ['--dryrun', '-f', broken], { allowFailure: true, timeoutMs: 20_000 });
  t.not(bad.code, 0, 'vtysh rejects an unknown command');
  t.regex(bad.stdout + bad.stderr, /Unknown command/);
});

const systemdTitle = 'contrib/systemd/supersparrow.service passes systemd-analyze verify';
peerTest(systemdAnalyzeInstalled ? [] : ['systemd-analyze (Debian package systemd)'], systemdTitle, async (t) => {
  const dir = await tempDir(t);
  const text = readFileSync(contrib('systemd', 'supersparrow.service'), 'utf8');
  for (const key of ['ExecStart=/usr/bin/supersparrow serve --config /etc/supersparrow/supersparrow.yaml', 'ExecReload=/bin/kill -HUP $MAINPID', 'RuntimeDirectory=supersparrow', 'AmbientCapabilities=CAP_NET_BIND_SERVICE']) {
    t.true(text.includes(key), key);
  }
  const unit = path.join(dir, 'supersparrow.service');
  writeFileSync(unit, text.replaceAll('/usr/bin/supersparrow', process.execPath));
  const r = await run(SYSTEMD_ANALYZE, ['verify', unit], { allowFailure: true, timeoutMs: 30_000 });
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is((r.stdout + r.stderr).trim(), '', 'no warnings');
  writeFileSync(unit, text.replaceAll('/usr/bin/supersparrow', process.execPath).replace('ProtectSystem=strict', 'ProtectSystem=very'));
  const bad = await run(SYSTEMD_ANALYZE, ['verify', unit], { allowFailure: true, timeoutMs: 30_000 });
  t.regex(bad.stdout + bad.stderr, /supersparrow\.service:\d+: Failed to parse protect system value/, 'a bad value is reported');
});
