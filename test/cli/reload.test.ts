import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfigFile } from '../../src/config/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { addresses, memoryLogger, ScriptedPeer } from '../session/harness.js';

const next = addresses(50);

test('reload adds and removes neighbors, and a bad file changes nothing', async (t) => {
  const a = next();
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.yaml');
  const socket = path.join(dir, 'control.sock');
  const write = (neighbors: string) =>
    writeFileSync(file, `bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }\nneighbors:\n${neighbors}`);
  write(`  - { address: ${a.peer}, remote-as: 65001, passive: true }\n`);
  const { log, records } = memoryLogger();
  const daemon = await startDaemon(loadConfigFile(file), socket, log);
  t.teardown(() => daemon.stop());
  const peer = await ScriptedPeer.connect(a.speaker, daemon.speaker.listenPort!, a.peer);
  t.teardown(() => peer.destroy());
  await peer.handshake();

  write(`  - { address: ${a.peer}, remote-as: 65001, passive: true }\n  - { address: ${a.stranger}, remote-as: 65002, passive: true }\n`);
  t.like(await daemon.reload(), { added: [a.stranger], removed: [], changed: [] });
  t.deepEqual(daemon.speaker.status().map((n) => n.address), [a.peer, a.stranger]);

  write(`  - { address: ${a.peer}, remote-as: banana }\n`);
  const err = await t.throwsAsync(daemon.reload(), { instanceOf: ConfigError });
  t.regex(err!.message, /config\.yaml:3:39: neighbors\[0\]\.remote-as: must be an AS number/);
  t.deepEqual(daemon.speaker.status().map((n) => n.address), [a.peer, a.stranger], 'the running config stays');
  t.truthy(records.find((r) => /not reloaded/.test(r.msg)));

  write(`  - { address: ${a.stranger}, remote-as: 65002, passive: true }\n`);
  t.like(await daemon.reload(), { added: [], removed: [a.peer] });
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [6, 3], 'Cease/Peer De-configured');
});
