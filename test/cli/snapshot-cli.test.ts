// `mrt save` and `serve --warm-start` through the CLI, as an operator runs them: a daemon fed by a BGP peer saves its
// RIB, bgpdump reads the file as the daemon's routes, and a second daemon started from it answers `query` and DNS
// before its neighbor's session is up.
import { rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Afi, Safi, parseIpv6 } from '../../src/bgp/index.js';
import { readMrtRibEntries } from '../../src/mrt/index.js';
import {
  freePort,
  loopbackAddress,
  makeTempDir,
  missingReason,
  peerTest,
  queryWith,
  Supersparrow,
  waitFor,
  type SupersparrowOptions,
} from '../helpers/peers/index.js';
import { attributes, prefix4, ScriptedPeer } from '../session/harness.js';
import { haveProgram } from '../mrt/helpers.js';

const BLOCK = 91;
const missing = [
  ...(haveProgram('bgpdump', ['-h']) ? [] : ['bgpdump is not installed (Debian bgpdump)']),
  ...[await missingReason('dig')].filter((r): r is string => r !== null),
];
const ADD_PATH = { fourOctetAs: true, addPathIpv4: true, addPathIpv6: true, extendedMessage: false };

function daemonOptions(address: string, listenPort: number, peer: string): SupersparrowOptions {
  return {
    localAs: 65010,
    address,
    listenPort,
    // iBGP, so that paths may start with either POP's AS (classic: the first AS names the POP).
    neighbors: [{ address: peer, remoteAs: 65010, port: 179, passive: true, pop: 'x', addPath: true }],
    pops: { x: { as: 65751, ipv4: '192.0.2.11' }, y: { as: 64750, ipv4: '192.0.2.22' }, z: { as: 64999, ipv4: '192.0.2.33' } },
    proximity: { rule: 'classic', self: 'z' },
    dns: { listen: [`${address}:0`], zone: 'example.test', ttl: 20, names: { www: {} }, ns: ['ns.elsewhere.test'], startup: { ttl: 5, timeout: 300 } },
    logLevel: 'info',
  };
}

peerTest(missing, 'mrt save writes what bgpdump reads as the RIB; serve --warm-start answers query and DNS from it before any session', async (t) => {
  const dir = await makeTempDir('snapshot-cli');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ssAddress = loopbackAddress(BLOCK);
  const peerAddress = loopbackAddress(BLOCK);
  const first = new Supersparrow(daemonOptions(ssAddress, await freePort(ssAddress), peerAddress));
  t.teardown(() => first.stop());
  await first.start();

  // The peer's table: IPv4 with communities and large communities, IPv6, and two ADD-PATH paths for one prefix.
  const peer = await ScriptedPeer.connect(ssAddress, first.options.listenPort, peerAddress);
  t.teardown(() => peer.destroy());
  const both = [{ afi: Afi.IPv4, safi: Safi.Unicast, send: true, receive: true }, { afi: Afi.IPv6, safi: Safi.Unicast, send: true, receive: true }];
  await peer.handshake({ as: 65010, id: '10.0.0.2', capabilities: { addPath: both } });
  const tagged = { communities: Uint32Array.of((65010 << 16) | 7), largeCommunities: Uint32Array.of(65010, 1, 2), localPref: 100 };
  peer.announce([prefix4('203.0.113.0/24', 1), prefix4('198.51.100.0/24', 1)], attributes([65751, 65001], tagged), ADD_PATH);
  peer.announce([prefix4('203.0.113.0/24', 2)], attributes([64750, 65001, 65002], { localPref: 100 }), ADD_PATH);
  const v6 = { afi: Afi.IPv6, pathId: 1, a: 0x20010db8, b: 0x01000000, c: 0, d: 0, length: 40 };
  peer.announce([v6], attributes([64750, 65003], { nextHop: -1, mpNextHop: parseIpv6('2001:db8::2'), localPref: 100 }), ADD_PATH);
  peer.endOfRib(Afi.IPv4);
  peer.endOfRib(Afi.IPv6);
  await waitFor('the routes', async () => (await first.neighbor(peerAddress)).prefixes.ipv6 === 1, 10_000, 100);

  const file = path.join(dir, 'rib.mrt.gz');
  const save = await first.exec(['mrt', 'save', '--json', '--socket', first.socket, file]);
  t.is(save.code, 0, save.stderr);
  const saved = JSON.parse(save.stdout) as { file: string; prefixes: { ipv4: number; ipv6: number }; paths: number; bytes: number };
  t.like(saved, { file, prefixes: { ipv4: 2, ipv6: 1 }, paths: 4 });
  t.is(saved.bytes, statSync(file).size);

  // bgpdump: one line per path; the AS path and next hop of each as `routes --json` shows the best ones.
  const dump = spawnSync('bgpdump', ['-m', file], { encoding: 'utf8' });
  t.is(dump.status, 0, dump.stderr);
  const lines = dump.stdout.trim().split('\n');
  t.is(lines.length, 4, dump.stdout);
  t.true(lines.every((l) => l.startsWith('TABLE_DUMP2_AP|')), 'ADD-PATH records');
  for (const prefix of ['203.0.113.0/24', '198.51.100.0/24', '2001:db8:100::/40']) {
    const route = await first.route(prefix);
    t.truthy(route, prefix);
    const asPath = (route!.asPath as number[]).join(' ');
    const line = lines.find((l) => l.split('|')[5] === prefix && l.split('|')[7] === asPath);
    t.truthy(line, `bgpdump shows ${prefix} with the AS path ${asPath}: ${dump.stdout}`);
    t.is(line!.split('|')[9], route!.nextHop, prefix);
    t.is(line!.split('|')[3], peerAddress);
  }
  t.regex(lines.find((l) => l.includes('|198.51.100.0/24|'))!, /\|65010:7\|/, 'communities');
  // bgpdump 1.6 prints no large communities: our reader shows them.
  const entries = [];
  for await (const e of readMrtRibEntries(file)) entries.push(e);
  const tagged198 = entries.find((e) => e.length === 24 && e.a === prefix4('198.51.100.0/24').a)!;
  t.deepEqual([...tagged198.attributes!.largeCommunities!], [65010, 1, 2]);
  t.deepEqual(entries.map((e) => e.pathId).sort(), [1, 1, 1, 2]);
  await first.stop();

  // A second daemon from the snapshot; its neighbor never connects.
  const second = new Supersparrow({ ...daemonOptions(ssAddress, await freePort(ssAddress), peerAddress), serveArgs: ['--warm-start', file] });
  t.teardown(() => second.stop());
  await second.start();
  const [answer] = await second.query(['203.0.113.9']);
  t.like(answer, { pop: 'x', prefix: '203.0.113.0/24' }, JSON.stringify(answer));
  t.not((await second.neighbor(peerAddress)).state, 'Established');
  const [listening] = await second.dnsListening();
  const reply = await queryWith('dig', [`@${listening!.address}`, '-p', String(listening!.port), '+subnet=203.0.113.0/24', 'www.example.test', 'A']);
  t.is(reply.status, 'NOERROR', reply.raw);
  t.deepEqual(reply.answer.map((r) => [r.data, r.ttl]), [['192.0.2.11', 20]], `the decided POP with the zone's TTL, not self with the startup TTL: ${reply.raw}`);
  const records = await second.logRecords();
  t.true(records.some((r) => /^warm start: 2 IPv4 \+ 1 IPv6 prefixes, 4 paths from /.test(String(r['msg']))), 'the load is logged');
  t.true(records.some((r) => /^DNS: answering from the decision: answering from the warm-start snapshot /.test(String(r['msg']))));
});
