// The responder's sockets on loopback: UDP through each path (the native batch socket when built, node:dgram),
// IPv4 and IPv6, and TCP's framing (pipelined queries, a query in pieces), idle timeout and connection cap.
import test from 'ava';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import bunyan from 'bunyan';
import { parseConfig, type Config } from '../../src/config/index.js';
import { DnsResponder, DnsServer, loadUdpBatch, udpBatchUnavailableReason } from '../../src/dns/index.js';
import { Proximity } from '../../src/proximity/index.js';
import { createRib } from '../../src/rib/index.js';
import { announce, attrs } from '../rib/helpers/routes.js';
import { udpQuery } from './helpers.js';
import { waitFor } from '../helpers/peers/index.js';

const log = bunyan.createLogger({ name: 'test', level: 'fatal' });

function config(extra = ''): Config {
  return parseConfig(`
bgp: { local-as: 65000, router-id: 192.0.2.1 }
neighbors: []
pops:
  x: { as: 65001, ipv4: 192.0.2.10, ipv6: 2001:db8::10 }
  y: { as: 65002, ipv4: 192.0.2.20, ipv6: 2001:db8::20 }
dns:
  listen: [ "127.0.0.1:0", "[::1]:0" ]
  zone: example.test
  names: { www: {} }
  ns: [ ns.example.net ]
${extra}
`);
}

async function start(native: boolean) {
  const c = config();
  const { writer, reader } = createRib({ sizing: 'small' });
  const n = writer.addNeighbor({ address: '192.0.2.254', remoteAs: 65100, localAs: 65000, routerId: 1 });
  writer.setSessionUp(n, true);
  // 127/8 and ::1/128 lead to y (first AS 65002): the loopback clients get y, anything else x (self).
  announce(writer, n, '127.0.0.0/8', attrs([65002]));
  announce(writer, n, '::1/128', attrs([65002]));
  const proximity = new Proximity(reader, { pops: c.pops, proximity: c.proximity, overrides: [], neighborPops: [] });
  const responder = new DnsResponder(proximity, c.dns!);
  responder.loaded = true;
  const server = new DnsServer(responder, c.dns!, log, { native });
  await server.start();
  return { server, responder };
}

function query(id: number, name = 'www.example.test', type: 'A' | 'AAAA' = 'A'): Buffer {
  return dnsPacket.encode({ type: 'query', id, questions: [{ type, name }] });
}

/** Reads length-prefixed answers off a TCP socket until `count` came. */
function tcpAnswers(socket: net.Socket, count: number): Promise<dnsPacket.Packet[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const out: dnsPacket.Packet[] = [];
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length >= count) resolve(out);
    });
    socket.on('error', reject);
    socket.on('close', () => (out.length >= count ? resolve(out) : reject(new Error(`closed after ${out.length} answers`))));
  });
}

function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host }, () => resolve(s));
    s.on('error', reject);
  });
}

function framed(packet: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(packet.length);
  return Buffer.concat([len, packet]);
}

const ci = process.env['CI'] === 'true';
const nativeMissing = loadUdpBatch() === null ? `the native UDP socket is not built (${udpBatchUnavailableReason()})` : null;

for (const native of [true, false]) {
  const path = native ? 'native' : 'dgram';
  const title = `UDP (${path}): IPv4 and IPv6 clients get their answer, as decided for their own address`;
  if (native && nativeMissing !== null && !ci) {
    test.skip(`${title} (skipped: ${nativeMissing})`, () => undefined);
    continue;
  }
  test(title, async (t) => {
    if (native && nativeMissing !== null) return t.fail(`${nativeMissing}; CI=true requires it`);
    const { server, responder } = await start(native);
    try {
      t.is(server.udpPath, path);
      const [v4, v6] = server.bound;
      const a = await udpQuery('127.0.0.1', v4!.port, query(1));
      t.is(a.id, 1);
      t.deepEqual(a.answers!.map((r) => (r as { data: string }).data), ['192.0.2.20']);
      const b = await udpQuery('::1', v6!.port, query(2, 'www.example.test', 'AAAA'));
      t.deepEqual(b.answers!.map((r) => (r as { data: string }).data), ['2001:db8::20']);
      // Many in flight at once: every one answered, ids matched.
      const many = await Promise.all(Array.from({ length: 300 }, (_, i) => udpQuery('127.0.0.1', v4!.port, query(1000 + i))));
      t.deepEqual(many.map((p) => p.id), Array.from({ length: 300 }, (_, i) => 1000 + i));
      t.true(responder.stats.queries >= 302);
    } finally {
      await server.stop();
    }
  });
}

test('TCP: pipelined queries in one write, and a query arriving a byte at a time, are answered in order', async (t) => {
  const { server } = await start(false);
  try {
    const port = server.bound[0]!.port;
    const s = await connect(port);
    const got = tcpAnswers(s, 3);
    s.write(Buffer.concat([framed(query(11)), framed(query(12, 'nope.example.test'))]));
    const third = framed(query(13, 'www.example.test', 'AAAA'));
    for (const byte of third) {
      s.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    const answers = await got;
    t.deepEqual(answers.map((p) => p.id), [11, 12, 13]);
    t.is((answers[1] as { rcode?: string }).rcode, 'NXDOMAIN');
    t.deepEqual(answers[2]!.answers!.map((r) => (r as { data: string }).data), ['2001:db8::20']);
    s.destroy();
  } finally {
    await server.stop();
  }
});

test('TCP: an idle connection is closed after the idle timeout; connections beyond the cap are refused', async (t) => {
  const cfg = config('  tcp: { idle-timeout: 1, max-connections: 2 }');
  const { reader } = createRib({ sizing: 'small' });
  const proximity = new Proximity(reader, { pops: cfg.pops, proximity: cfg.proximity, overrides: [], neighborPops: [] });
  const responder = new DnsResponder(proximity, cfg.dns!);
  responder.loaded = true;
  const s2 = new DnsServer(responder, cfg.dns!, log, { native: false });
  await s2.start();
  try {
    const port = s2.bound[0]!.port;
    const idle = await connect(port);
    const closedAt = new Promise<number>((resolve) => idle.on('close', () => resolve(Date.now())));
    const t0 = Date.now();
    const second = await connect(port);
    const third = await connect(port);
    const thirdClosed = await new Promise<boolean>((resolve) => {
      third.on('close', () => resolve(true));
      third.on('error', () => undefined);
      setTimeout(() => resolve(false), 3000);
    });
    t.true(thirdClosed, 'the third connection is closed at once (cap 2)');
    const waited = (await closedAt) - t0;
    t.true(waited >= 900, `idle connection closed after ${waited} ms`);
    second.destroy();
  } finally {
    await s2.stop();
  }
});

test('TCP: silent, stalled and trickling clients are closed by the idle timeout and cannot hold the cap; UDP and a good TCP client are answered throughout', async (t) => {
  const cfg = config('  tcp: { idle-timeout: 2, max-connections: 4 }');
  const { writer, reader } = createRib({ sizing: 'small' });
  const n = writer.addNeighbor({ address: '192.0.2.254', remoteAs: 65100, localAs: 65000, routerId: 1 });
  writer.setSessionUp(n, true);
  announce(writer, n, '127.0.0.0/8', attrs([65002]));
  const proximity = new Proximity(reader, { pops: cfg.pops, proximity: cfg.proximity, overrides: [], neighborPops: [] });
  const responder = new DnsResponder(proximity, cfg.dns!);
  responder.loaded = true;
  const server = new DnsServer(responder, cfg.dns!, log, { native: false });
  await server.start();
  const timers: NodeJS.Timeout[] = [];
  const sockets: net.Socket[] = [];
  t.teardown(async () => {
    timers.forEach((x) => clearInterval(x));
    sockets.forEach((s) => s.destroy());
    await server.stop();
  });
  const port = server.bound[0]!.port;
  const open = async () => {
    const s = await connect(port);
    s.on('error', () => undefined);
    sockets.push(s);
    const closed = new Promise<number>((resolve) => s.once('close', () => resolve(Date.now())));
    return { s, closed };
  };

  // A well-behaved TCP client, one query at a time, for the whole test.
  const good = await open();
  let goodAnswers = 0;
  let goodWrong = 0;
  let buf = Buffer.alloc(0);
  good.s.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const answer = dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
      if ((answer.answers?.[0] as { data?: string } | undefined)?.data === '192.0.2.20') goodAnswers++;
      else goodWrong++;
    }
  });
  let goodId = 0;
  timers.push(setInterval(() => good.s.write(framed(query(++goodId % 65536))), 150));
  // UDP, all along.
  let udpAnswers = 0;
  let udpFailures = 0;
  let udpId = 0;
  timers.push(setInterval(() => {
    udpQuery('127.0.0.1', port, query(++udpId % 65536)).then(
      (a) => ((a.answers?.[0] as { data?: string } | undefined)?.data === '192.0.2.20' ? udpAnswers++ : udpFailures++),
      () => udpFailures++,
    );
  }, 100));

  const started = Date.now();
  const silent = await open(); // connects and says nothing
  const lengthByte = await open(); // the first byte of a length, then nothing
  lengthByte.s.write(Buffer.from([0x00]));
  const trickle = await open(); // 65535 announced, then a byte every 200 ms: never idle for the idle timeout
  trickle.s.write(Buffer.from([0xff, 0xff]));
  timers.push(setInterval(() => { if (!trickle.s.destroyed) trickle.s.write(Buffer.from([0x41])); }, 200));
  // The cap (4) is full: the next connection is closed at once.
  const extra = await open().catch(() => null);
  if (extra !== null) {
    const closedSoon = await Promise.race([extra.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
    t.true(closedSoon, 'the fifth connection is closed (cap 4)');
  }

  // Not closed within 20 s counts as never (a trickle would otherwise hold its slot for 65535 bytes' worth).
  const within = (p: Promise<number>) => Promise.race([p, new Promise<number>((r) => setTimeout(() => r(Infinity), 20_000))]);
  const [silentAt, lengthAt, trickleAt] = await Promise.all([within(silent.closed), within(lengthByte.closed), within(trickle.closed)]);
  for (const [what, at] of [['silent', silentAt], ['one length byte', lengthAt], ['trickle', trickleAt]] as const) {
    t.true(at - started >= 1_500, `${what}: not before the idle timeout (${at - started} ms)`);
    t.true(at - started < 15_000, `${what}: closed after ${at - started} ms`);
  }
  // Slots are free again: a new client is answered.
  const after = await open();
  const answered = tcpAnswers(after.s, 1);
  after.s.write(framed(query(4242)));
  t.is((await answered)[0]!.id, 4242);

  await waitFor('UDP answers', async () => (udpAnswers >= 20 ? true : undefined), 10_000, 100);
  await waitFor('answers to the good TCP client', async () => (goodAnswers >= 10 || good.s.destroyed ? true : undefined), 10_000, 100);
  t.false(good.s.destroyed, 'the good TCP client is still connected');
  t.true(goodAnswers >= 10, `${goodAnswers} answers to the good TCP client`);
  t.is(goodWrong, 0);
  t.is(udpFailures, 0, `${udpFailures} UDP queries failed`);
});
