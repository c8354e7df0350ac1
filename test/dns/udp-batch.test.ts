import test from 'ava';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { loadUdpBatch, udpBatchUnavailableReason, type UdpBatch, type UdpBatchOptions, type UdpBatchSocket } from '../../src/dns/udp-batch.js';

const addon = loadUdpBatch();
const moduleUrl = new URL('../../src/dns/udp-batch.js', import.meta.url).href;

/** Opens a socket whose onBatch echoes every whole datagram; `also` runs first on each batch. */
function openEcho(udp: UdpBatch, o: Partial<UdpBatchOptions> & { family: 4 | 6; address: string }, also?: (s: UdpBatchSocket, n: number) => void): UdpBatchSocket {
  let s: UdpBatchSocket | undefined;
  s = udp.open({
    port: 0,
    batch: 16,
    slotSize: 2048,
    ...o,
    onBatch: (n) => {
      const sock = s!;
      also?.(sock, n);
      for (let i = 0; i < n; i++) {
        const len = sock.rxLen[i]!;
        if (len < 0) continue;
        const at = i * sock.slotSize;
        sock.rx.copy(sock.tx, at, at, at + len);
        sock.txLen[i] = len;
      }
    },
  });
  return s;
}

function peerOf(s: UdpBatchSocket, i: number): string {
  const p = s.peer.subarray(i * 20, i * 20 + 20);
  const port = (p[2]! << 8) | p[3]!;
  const addr = p[0] === 4 ? Array.from(p.subarray(4, 8)).join('.') : Buffer.from(p.subarray(4, 20)).toString('hex');
  return `${p[0]} ${addr} ${port}`;
}

/** Datagram `seq` of the echo test: its number, then a pattern, 8..1472 bytes. */
function datagram(seq: number): Buffer {
  const b = Buffer.alloc(8 + ((seq * 7919) % 1465));
  b.writeUInt32BE(seq, 0);
  for (let i = 4; i < b.length; i++) b[i] = (seq + i * 31) & 0xff;
  return b;
}

/** Resolves when `done()` holds, checked on each message of `client`; rejects after `ms`. */
function until(client: dgram.Socket, onMessage: (msg: Buffer) => void, done: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', handler);
      reject(new Error(`timed out after ${ms} ms`));
    }, ms);
    const handler = (msg: Buffer) => {
      onMessage(msg);
      if (done()) {
        clearTimeout(timer);
        client.off('message', handler);
        resolve();
      }
    };
    client.on('message', handler);
  });
}

async function client(type: 'udp4' | 'udp6', address: string): Promise<dgram.Socket> {
  const c = dgram.createSocket(type);
  c.bind(0, address);
  await once(c, 'listening');
  return c;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a node script (ESM) that may import the wrapper as WRAPPER; gives its exit status and output. */
function runNode(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script.replaceAll('WRAPPER', JSON.stringify(moduleUrl))], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

if (addon === null) {
  const reason = udpBatchUnavailableReason();
  if (process.env.CI === 'true' && process.platform === 'linux') {
    test('the udp_batch addon is built and loads (CI=true)', (t) => {
      t.fail(`udp_batch unavailable: ${reason}`);
    });
  } else {
    console.log(`udp-batch tests skipped: ${reason}`);
    test.skip(`udp_batch tests: addon unavailable (${reason})`, () => {});
  }
} else {
  const udp = addon;

  test('echoes 2,000 datagrams of 8 to 1472 bytes on 127.0.0.1 intact, with the sender as peer', async (t) => {
    const peers = new Set<string>();
    const s = openEcho(udp, { family: 4, address: '127.0.0.1' }, (sock, n) => {
      for (let i = 0; i < n; i++) peers.add(peerOf(sock, i));
    });
    const c = await client('udp4', '127.0.0.1');
    const total = 2000;
    const window = 100; // stay well inside the socket buffers: loopback drops what does not fit
    let received = 0;
    let bad = 0;
    const onMessage = (msg: Buffer) => {
      received++;
      if (!msg.equals(datagram(msg.readUInt32BE(0)))) bad++;
    };
    for (let from = 0; from < total; from += window) {
      for (let seq = from; seq < from + window; seq++) c.send(datagram(seq), s.port(), '127.0.0.1');
      await until(c, onMessage, () => received === from + window, 5000);
    }
    t.is(bad, 0);
    t.deepEqual([...peers], [`4 127.0.0.1 ${c.address().port}`]);
    const stats = s.stats();
    t.like(stats, { received: total, sent: total, dropped: 0 });
    t.true(stats.batches >= 1 && stats.batches <= total);
    c.close();
    s.close();
  });

  test('echoes on ::1, the peer given as family 6 and 16 address bytes', async (t) => {
    const peers = new Set<string>();
    const s = openEcho(udp, { family: 6, address: '::1' }, (sock, n) => {
      for (let i = 0; i < n; i++) peers.add(peerOf(sock, i));
    });
    const c = await client('udp6', '::1');
    let received = 0;
    const done = until(c, (msg) => {
      received++;
      t.true(msg.equals(datagram(msg.readUInt32BE(0))));
    }, () => received === 50, 5000);
    for (let seq = 0; seq < 50; seq++) c.send(datagram(seq), s.port(), '::1');
    await done;
    t.deepEqual([...peers], [`6 ${'0'.repeat(31)}1 ${c.address().port}`]);
    c.close();
    s.close();
  });

  test('two reusePort sockets share a port; a third without reusePort fails with EADDRINUSE', async (t) => {
    const a = openEcho(udp, { family: 4, address: '127.0.0.1', reusePort: true });
    const b = openEcho(udp, { family: 4, address: '127.0.0.1', port: a.port(), reusePort: true });
    t.is(b.port(), a.port());
    const err = t.throws(() => openEcho(udp, { family: 4, address: '127.0.0.1', port: a.port() }));
    t.is((err as NodeJS.ErrnoException).code, 'EADDRINUSE');
    t.regex(err!.message, /bind/);
    // Clients from 16 ports: the kernel hands each flow to one of the two; every one is answered.
    const clients = await Promise.all(Array.from({ length: 16 }, () => client('udp4', '127.0.0.1')));
    await Promise.all(clients.map((c, i) => {
      const got = until(c, () => {}, () => true, 5000);
      c.send(datagram(i), a.port(), '127.0.0.1');
      return got;
    }));
    t.is(a.stats().received + b.stats().received, 16);
    for (const c of clients) c.close();
    a.close();
    b.close();
  });

  test('an open error names the errno (EADDRNOTAVAIL) and a bad address is a TypeError', (t) => {
    const err = t.throws(() => openEcho(udp, { family: 4, address: '192.0.2.1' }));
    t.is((err as NodeJS.ErrnoException).code, 'EADDRNOTAVAIL');
    t.throws(() => openEcho(udp, { family: 4, address: '::1' }), { instanceOf: TypeError });
    t.throws(() => openEcho(udp, { family: 4, address: '127.0.0.1', batch: 0 }), { instanceOf: RangeError });
  });

  test('a datagram larger than slotSize gives rxLen -1, its first slotSize bytes, and no echo', async (t) => {
    const lengths: number[] = [];
    let head: Buffer | undefined;
    const s = openEcho(udp, { family: 4, address: '127.0.0.1', slotSize: 512 }, (sock, n) => {
      for (let i = 0; i < n; i++) {
        lengths.push(sock.rxLen[i]!);
        if (sock.rxLen[i] === -1) head = Buffer.from(sock.rx.subarray(i * 512, i * 512 + 512));
      }
    });
    const c = await client('udp4', '127.0.0.1');
    const echoes: number[] = [];
    const big = datagram(1000);
    t.is(big.length, 1000 * 7919 % 1465 + 8);
    const done = until(c, (msg) => echoes.push(msg.length), () => echoes.includes(100), 5000);
    c.send(big, s.port(), '127.0.0.1');
    c.send(Buffer.alloc(100, 1), s.port(), '127.0.0.1');
    await done;
    await delay(100);
    t.deepEqual(lengths, [-1, 100]);
    t.deepEqual(echoes, [100]);
    t.true(head!.equals(big.subarray(0, 512)));
    t.like(s.stats(), { received: 2, sent: 1 });
    c.close();
    s.close();
  });

  test('close() frees the port at once, is idempotent, and leaves stats() and port() readable', (t) => {
    const s = openEcho(udp, { family: 4, address: '127.0.0.1' });
    const port = s.port();
    s.close();
    s.close();
    t.is(s.port(), port);
    t.like(s.stats(), { received: 0, sent: 0 });
    const again = openEcho(udp, { family: 4, address: '127.0.0.1', port });
    t.is(again.port(), port);
    again.close();
  });

  test('close() inside onBatch stops the socket: no reply, no further batch, the port reusable', async (t) => {
    let batches = 0;
    const s = openEcho(udp, { family: 4, address: '127.0.0.1', batch: 2 }, (sock) => {
      batches++;
      sock.close();
    });
    const c = await client('udp4', '127.0.0.1');
    let echoes = 0;
    c.on('message', () => echoes++);
    for (let i = 0; i < 10; i++) c.send(datagram(i), s.port(), '127.0.0.1');
    await delay(200);
    t.is(batches, 1);
    t.is(echoes, 0);
    t.like(s.stats(), { sent: 0, batches: 1 });
    openEcho(udp, { family: 4, address: '127.0.0.1', port: s.port() }).close();
    c.close();
  });

  test('process.nextTick and promise callbacks queued in onBatch run before its replies are sent, as after any node callback', async (t) => {
    const log: string[] = [];
    const s = udp.open({
      family: 4,
      address: '127.0.0.1',
      port: 0,
      onBatch: () => {
        log.push('batch');
        void Promise.resolve().then(() => log.push('microtask'));
        process.nextTick(() => {
          log.push('tick');
          s.tx.write('late', 0);
          s.txLen[0] = 4;
        });
      },
    });
    const c = await client('udp4', '127.0.0.1');
    let atEcho: string[] = [];
    let echo = '';
    const done = until(c, (msg) => {
      atEcho = [...log];
      echo = msg.toString();
    }, () => true, 5000);
    c.send('x', s.port(), '127.0.0.1');
    await done;
    t.is(echo, 'late');
    t.deepEqual(atEcho, ['batch', 'tick', 'microtask']);
    c.close();
    s.close();
  });

  test('a throwing onBatch reaches process uncaughtException, its replies still go out, and the socket goes on', (t) => {
    const r = runNode(`
      import dgram from 'node:dgram';
      import { loadUdpBatch } from WRAPPER;
      let s, calls = 0, echoes = 0;
      const c = dgram.createSocket('udp4');
      s = loadUdpBatch().open({ family: 4, address: '127.0.0.1', port: 0, onBatch(n) {
        for (let i = 0; i < n; i++) {
          s.rx.copy(s.tx, i * s.slotSize, i * s.slotSize, i * s.slotSize + s.rxLen[i]);
          s.txLen[i] = s.rxLen[i];
        }
        if (++calls === 1) throw new Error('boom from onBatch');
      } });
      process.on('uncaughtException', (err) => {
        console.log('caught ' + err.message);
        c.send('second', s.port(), '127.0.0.1');
      });
      c.on('message', (msg) => {
        console.log('echo ' + msg);
        if (++echoes === 2) { s.close(); c.close(); }
      });
      c.send('first', s.port(), '127.0.0.1');
    `);
    t.is(r.stderr, '');
    t.is(r.stdout, 'caught boom from onBatch\necho first\necho second\n');
    t.is(r.status, 0);
  });

  test('a throwing onBatch without an uncaughtException listener ends the process as an uncaught exception does', (t) => {
    const r = runNode(`
      import dgram from 'node:dgram';
      import { loadUdpBatch } from WRAPPER;
      const s = loadUdpBatch().open({ family: 4, address: '127.0.0.1', port: 0, onBatch() { throw new Error('boom from onBatch'); } });
      dgram.createSocket('udp4').send('x', s.port(), '127.0.0.1');
    `);
    t.is(r.status, 1);
    t.regex(r.stderr, /Error: boom from onBatch/);
  });

  test('a worker thread that exits with its socket open has it closed: the port is free again', async (t) => {
    const w = new Worker(`
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(moduleUrl)}).then(({ loadUdpBatch }) => {
        const s = loadUdpBatch().open({ family: 4, address: '127.0.0.1', port: 0, onBatch() {} });
        parentPort.postMessage(s.port());
        process.exit(0);
      });
    `, { eval: true });
    // Both listeners first: a worker's last messages and its exit can be emitted in one go.
    const message = once(w, 'message');
    const exit = once(w, 'exit');
    const [port] = (await message) as [number];
    await exit;
    const s = openEcho(udp, { family: 4, address: '127.0.0.1', port });
    t.is(s.port(), port);
    s.close();
  });
}
