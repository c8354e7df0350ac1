import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfigFile } from '../../src/config/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { addresses, memoryLogger, ScriptedPeer, until } from '../session/harness.js';

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

test('reload moves the listener and takes a new router id: sessions restart with 6/6 and the new identity', async (t) => {
  const a = next();
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config.yaml');
  const socket = path.join(dir, 'control.sock');
  const write = (routerId: string, port: number) =>
    writeFileSync(file, `bgp: { local-as: 65010, router-id: ${routerId}, listen: { address: ${a.speaker}, port: ${port} } }\nneighbors:\n  - { address: ${a.peer}, remote-as: 65001, passive: true }\n`);
  write('10.0.0.1', 0);
  const { log } = memoryLogger();
  const daemon = await startDaemon(loadConfigFile(file), socket, log);
  t.teardown(() => daemon.stop());
  const oldPort = daemon.speaker.listenPort!;
  const first = await ScriptedPeer.connect(a.speaker, oldPort, a.peer);
  t.teardown(() => first.destroy());
  t.is((await first.handshake()).bgpIdentifier >>> 0, 0x0a000001);
  await until('Established', () => daemon.speaker.neighbor(a.peer)!.status().state === 'Established');

  // A port in use: the reload fails and nothing changes.
  const blocker = await ScriptedPeer.listen(a.speaker);
  t.teardown(() => blocker.close());
  write('10.0.0.2', blocker.port);
  await t.throwsAsync(daemon.reload(), { message: new RegExp(`cannot listen on ${a.speaker.replace(/\./g, '\\.')} port ${blocker.port}`) });
  t.is(daemon.speaker.listenPort, oldPort);
  t.is(daemon.speaker.neighbor(a.peer)!.status().state, 'Established', 'the session is untouched');

  const free = await ScriptedPeer.listen(a.speaker);
  const newPort = free.port;
  await new Promise<void>((resolve) => free.server.close(() => resolve()));
  write('10.0.0.2', newPort);
  t.like(await daemon.reload(), { added: [], removed: [], changed: [a.peer], needsRestart: [] });
  const n = await first.notification();
  t.deepEqual([n.code, n.subcode], [6, 6], 'Cease/Other Configuration Change');
  t.is(daemon.speaker.listenPort, newPort);
  await t.throwsAsync(ScriptedPeer.connect(a.speaker, oldPort, a.peer), { code: 'ECONNREFUSED' });
  const second = await ScriptedPeer.connect(a.speaker, newPort, a.peer);
  t.teardown(() => second.destroy());
  t.is((await second.handshake()).bgpIdentifier >>> 0, 0x0a000002, 'the new router id in the new OPEN');
});
