// Builds the udp_batch addon (native/udp_batch.c -> build/Release/udp_batch.node); npm runs this as
// the package's install script. The addon is an optimisation: when it cannot be built the DNS
// responder falls back to node:dgram, so a failed build warns and exits 0, except under CI=true,
// where it fails so that CI never silently tests the fallback only.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.env.CI === 'true';

function warn(text) {
  process.stderr.write(`\nsupersparrow: ${text}\n\n`);
}

// Which node-gyp to run, in order of preference. Inside npm scripts npm names its own copy in
// npm_config_node_gyp (and puts a node-gyp shim on PATH); run directly, we look beside npm and node.
function nodeGypCommands() {
  const scripts = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const found = scripts.filter((p) => p && p.endsWith('.js') && existsSync(p));
  return [
    ...found.slice(0, 1).map((p) => [process.execPath, [p]]),
    ['node-gyp', []],
    // Last resort: fetch node-gyp from the registry.
    ['npm', ['exec', '--yes', '--', 'node-gyp']],
  ];
}

// node-gyp downloads Node's headers unless told where they are. npm passes its nodedir setting
// through the environment; run directly, use the headers installed beside this node when present
// (distribution packages and the official tarballs both ship include/node).
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : [];
}

function build() {
  for (const [command, pre] of nodeGypCommands()) {
    const r = spawnSync(command, [...pre, 'rebuild', ...nodedirArgs()], { cwd: root, stdio: 'inherit' });
    if (r.error && r.error.code === 'ENOENT') continue;  // not installed: try the next one
    if (r.error) return `${command}: ${r.error.message}`;
    if (r.status === 0) return null;
    return `node-gyp rebuild exited with ${r.status ?? r.signal}`;
  }
  return 'node-gyp was not found';
}

if (process.platform !== 'linux') {
  console.log(`supersparrow: the udp_batch addon is Linux only; on ${process.platform} the DNS responder uses node:dgram`);
  process.exit(0);
}

const failure = build();
if (failure === null) {
  console.log('supersparrow: built the udp_batch addon (build/Release/udp_batch.node)');
} else if (strict) {
  warn(`building the udp_batch addon failed (${failure}); CI=true, so this is an error`);
  process.exit(1);
} else {
  warn(`WARNING: building the udp_batch addon failed (${failure}).\n` +
    'The DNS responder will use node:dgram, at less than half the queries per core-second.\n' +
    'A C compiler, make and python3 are needed; then run: npm run build:native');
}
