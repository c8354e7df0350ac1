// The daemon's ports under connection churn: 1,000 connect/close cycles on each of BGP, DNS/TCP, HTTP and the
// control socket (some closing at once, some after half a message) leave no file descriptor behind and do not grow
// memory without bound; the daemon answers on every port afterwards. Read from /proc/PID of a spawned `serve`.
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { freePort, loopbackAddress, Supersparrow, waitFor, type SupersparrowOptions } from '../helpers/peers/index.js';
import { request } from '../http/helpers.js';

const BLOCK = 110;
const CYCLES = 1_000;
const PARALLEL = 16;

/** The helper's daemon with an `http:` section too. */
class DaemonWithHttp extends Supersparrow {
  constructor(options: SupersparrowOptions, readonly http: { address: string; port: number }) {
    super(options);
  }

  override config(): Record<string, unknown> {
    return { ...super.config(), http: { listen: [`${this.http.address}:${this.http.port}`], 'headers-timeout': 2, 'request-timeout': 3, 'max-connections': 64 } };
  }
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Connects and closes `count` times (PARALLEL at once); every third connection sends `half` first. */
async function churn(connectTo: () => net.Socket, half: Buffer, count: number): Promise<{ connected: number; failed: number }> {
  let next = 0;
  let connected = 0;
  let failed = 0;
  const one = (i: number) => new Promise<void>((resolve) => {
    const s = connectTo();
    const done = () => {
      s.destroy();
      resolve();
    };
    s.setTimeout(10_000, done);
    s.once('error', () => {
      failed++;
      done();
    });
    s.once('close', done);
    s.once('connect', () => {
      connected++;
      if (i % 3 === 0) s.write(half, () => s.destroy());
      else s.destroy();
    });
  });
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < count) await one(next++);
  }));
  return { connected, failed };
}

test('1,000 connect/close cycles on each port leave no descriptor behind and memory bounded; every port still answers', async (t) => {
  const address = loopbackAddress(BLOCK);
  const neighbor = loopbackAddress(BLOCK);
  const stranger = loopbackAddress(BLOCK);
  const [bgpPort, httpPort] = [await freePort(address), await freePort(address)];
  const ss = new DaemonWithHttp({
    localAs: 65110, address, listenPort: bgpPort, logLevel: 'info',
    neighbors: [{ address: neighbor, remoteAs: 65111, port: 179, passive: true }],
    pops: { x: { as: 65111, ipv4: '192.0.2.11' } },
    proximity: { rule: 'classic', self: 'x' },
    dns: { listen: [`${address}:0`], zone: 'example.test', names: { www: {} }, ns: ['ns.example.net'], tcp: { 'idle-timeout': 2, 'max-connections': 64 } },
  }, { address, port: httpPort });
  t.teardown(() => ss.stop());
  await ss.start();
  const pid = ss.pid!;
  const [dns] = await ss.dnsListening();
  const dnsQuery = Buffer.from([0, 29, 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77, 7, ...Buffer.from('example'), 4, ...Buffer.from('test'), 0, 0, 1, 0, 1]);

  const ports: Array<[string, () => net.Socket, Buffer]> = [
    // A configured neighbor's address (the session starts, then the peer is gone) and a stranger's (refused).
    ['BGP (neighbor)', () => net.connect({ host: address, port: bgpPort, localAddress: neighbor }), Buffer.alloc(10, 0xff)],
    ['BGP (stranger)', () => net.connect({ host: address, port: bgpPort, localAddress: stranger }), Buffer.alloc(10, 0xff)],
    ['DNS/TCP', () => net.connect({ host: dns!.address, port: dns!.port }), dnsQuery.subarray(0, 9)],
    ['HTTP', () => net.connect({ host: address, port: httpPort }), Buffer.from('GET /healthz HTTP/1.1\r\nHo')],
    ['control', () => net.connect(ss.socket), Buffer.from('{"command":"neigh')],
  ];
  // One round first: what the runtime sets up once (lazily loaded modules, pools) is not a leak.
  for (const [, connectTo, half] of ports) await churn(connectTo, half, 100);
  const settle = () => waitFor('connections to close', async () => {
    // Closed connections are released on the daemon's next turns; wait for the count to stop falling.
    const a = fdCount(pid);
    await new Promise((r) => setTimeout(r, 300));
    return fdCount(pid) === a ? a : undefined;
  }, 20_000, 200);
  const fdBefore = await settle();
  const rssBefore = rssKiB(pid);

  const started = Date.now();
  for (const [name, connectTo, half] of ports) {
    const r = await churn(connectTo, half, CYCLES);
    t.true(r.connected >= CYCLES * 0.95, `${name}: ${r.connected} of ${CYCLES} connected (${r.failed} failed)`);
  }
  const seconds = (Date.now() - started) / 1000;
  const fdAfter = await settle();
  const rssAfter = rssKiB(pid);
  t.log(`${CYCLES} cycles on ${ports.length} ports in ${seconds.toFixed(1)} s: fds ${fdBefore} -> ${fdAfter}, RSS ${(rssBefore / 1024).toFixed(1)} -> ${(rssAfter / 1024).toFixed(1)} MiB`);
  t.true(fdAfter <= fdBefore + 4, `descriptors: ${fdBefore} before, ${fdAfter} after ${CYCLES * ports.length} connections`);
  // Bounded: 5,000 connections' worth of leaked state would be well over this; garbage not yet collected is not.
  t.true(rssAfter - rssBefore < 48 * 1024, `RSS grew ${((rssAfter - rssBefore) / 1024).toFixed(1)} MiB`);

  // Every port still answers.
  t.is((await request(`http://${address}:${httpPort}/healthz`)).status, 200);
  t.is((await ss.cli(['neighbors', '--json'])).code, 0);
  const answer = await new Promise<Buffer>((resolve, reject) => {
    const s = net.connect({ host: dns!.address, port: dns!.port }, () => s.write(dnsQuery));
    s.once('data', (d: Buffer) => {
      s.destroy();
      resolve(d);
    });
    s.once('error', reject);
  });
  t.is(answer.readUInt16BE(2), 0x1234, 'a DNS/TCP answer');
  const neighborState = (await ss.neighbors())[0]!;
  t.is(neighborState.address, neighbor, 'the neighbor is still configured');
});
