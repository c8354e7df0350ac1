// The console client (src/routeserver/telnet.ts): against a real FRR bgpd vty fed 5000 routes by a real BIRD, and
// against small scripted consoles on node:net for what FRR cannot be made to do (telnet commands split byte by byte,
// a pager, a stall, a flood, a Cisco-style login). Locally a missing FRR or BIRD skips the FRR tests visibly; under
// CI=true it fails them. Deadlines are generous (a busy 2-core machine) and nothing asserts on durations.
import test, { type ExecutionContext } from 'ava';
import { createConnection, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  DO, DONT, IAC, OPT_ECHO, OPT_LINEMODE, OPT_NAWS, OPT_SGA, OPT_TTYPE, SB, SE, TelnetParser, VtyClient, WILL, WONT,
  type VtyOptions,
} from '../../src/routeserver/telnet.js';
import { RouteServerError, type RouteServerErrorCode } from '../../src/routeserver/types.js';
import {
  FrrRouteServer, freePort, loopbackAddress, missingReason, peerTest, sleep, waitFor, type BirdFeeder, type RouteSpec,
} from '../helpers/peers/index.js';

/** Loopback blocks of this file: 80 the shared route server and its BIRD, 81 a second bgpd, 82 a dead port, 84 fakes. */
const BLOCK_RS = 80;
const BLOCK_RS2 = 81;
const BLOCK_DEAD = 82;
const BLOCK_FAKE = 84;

/** Why the real-FRR tests cannot run here (FRR or BIRD missing), asked before any test is declared. */
const missing = (await Promise.all((['frr', 'bird'] as const).map((n) => missingReason(n)))).filter((m): m is string => m !== null);

// ------------------------------------------------------------------------------------------------ helpers

async function rejectsWith(t: ExecutionContext, p: Promise<unknown>, code: RouteServerErrorCode, message?: RegExp): Promise<RouteServerError> {
  const err = await t.throwsAsync(p, { instanceOf: RouteServerError });
  if (!err) throw new Error('no error');
  const e = err as RouteServerError;
  t.is(e.code, code, e.message);
  if (message) t.regex(e.message, message);
  return e;
}

/** Connects and closes the client when the test ends. */
async function connect(t: ExecutionContext, options: VtyOptions): Promise<VtyClient> {
  const c = await VtyClient.connect(options);
  t.teardown(() => c.close());
  return c;
}

// ------------------------------------------------------------------------------------------------ the telnet layer

/** A server's opening: option requests (some twice), a subnegotiation with an escaped 0xFF, a NOP, then text. */
const OPENING = Buffer.from([
  IAC, DO, OPT_TTYPE, IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DO, OPT_NAWS, IAC, DONT, OPT_LINEMODE,
  IAC, WONT, 5, IAC, WILL, 5, IAC, 241 /* NOP */, IAC, 249 /* GA */,
  IAC, SB, OPT_NAWS, 0, 80, 0, 24, IAC, SE, IAC, SB, OPT_TTYPE, 1, IAC, IAC, 2, IAC, SE,
  0x61, IAC, IAC, 0x62, IAC, WILL, OPT_ECHO, IAC, DO, OPT_TTYPE, 0x0d, 0x0a,
]);

test('TelnetParser takes out commands and answers each request once, however the bytes are split', (t) => {
  const whole = new TelnetParser().parse(OPENING);
  t.deepEqual([...whole.data], [0x61, 0xff, 0x62, 0x0d, 0x0a]);
  t.deepEqual([...(whole.reply ?? [])], [
    IAC, WONT, OPT_TTYPE, IAC, DO, OPT_ECHO, IAC, DO, OPT_SGA, IAC, WONT, OPT_NAWS, IAC, DONT, 5,
  ]);
  const splits: number[][] = [];
  for (let cut = 1; cut < OPENING.length; cut++) splits.push([cut]);
  splits.push(Array.from({ length: OPENING.length - 1 }, (_, i) => i + 1)); // byte by byte
  for (const cuts of splits) {
    const parser = new TelnetParser();
    const data: number[] = [];
    const reply: number[] = [];
    let from = 0;
    for (const to of [...cuts, OPENING.length]) {
      const r = parser.parse(OPENING.subarray(from, to));
      data.push(...r.data);
      reply.push(...(r.reply ?? []));
      from = to;
    }
    t.deepEqual(data, [...whole.data], `cut at ${cuts.length > 1 ? 'every byte' : cuts[0]}`);
    t.deepEqual(reply, [...(whole.reply ?? [])], `cut at ${cuts.length > 1 ? 'every byte' : cuts[0]}`);
  }
});

test('TelnetParser passes a chunk without IAC through untouched, and forgets an option the server withdrew', (t) => {
  const p = new TelnetParser();
  const chunk = Buffer.from('show ip bgp\r\n');
  t.is(p.parse(chunk).data, chunk);
  t.deepEqual([...(p.parse(Buffer.from([IAC, WILL, OPT_ECHO])).reply ?? [])], [IAC, DO, OPT_ECHO]);
  t.true(p.serverEchoes);
  t.is(p.parse(Buffer.from([IAC, WONT, OPT_ECHO])).reply, null, 'WONT is not answered');
  t.false(p.serverEchoes);
  t.deepEqual([...(p.parse(Buffer.from([IAC, WILL, OPT_ECHO])).reply ?? [])], [IAC, DO, OPT_ECHO], 'a new WILL is a new request');
});

// ------------------------------------------------------------------------------------------------ scripted consoles

/** One connection to a scripted console: what the client sent (telnet commands apart), and ways to answer. */
class FakeSession {
  /** The client's telnet commands, as [verb, option]. */
  readonly telnet: Array<[number, number]> = [];
  /** Every line the client sent, in order. */
  readonly lines: string[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private iac: number[] = [];
  private skipLf = false;
  private wake: (() => void) | null = null;

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.take(d);
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private take(d: Buffer): void {
    const data: number[] = [];
    for (const b of d) {
      if (this.iac.length > 0 || b === IAC) {
        this.iac.push(b);
        if (this.iac.length === 3) {
          this.telnet.push([this.iac[1]!, this.iac[2]!]);
          this.iac = [];
        }
      } else {
        data.push(b);
      }
    }
    this.buf = Buffer.concat([this.buf, Buffer.from(data)]);
  }

  private async more(): Promise<void> {
    if (this.closed) throw new Error('closed');
    await new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** A line ended by CR NUL, CR LF, LF or CR. */
  async readLine(): Promise<string> {
    for (;;) {
      if (this.skipLf && this.buf.length > 0) {
        if (this.buf[0] === 0 || this.buf[0] === 0x0a) this.buf = this.buf.subarray(1);
        this.skipLf = false;
      }
      const end = this.buf.findIndex((b) => b === 0x0d || b === 0x0a);
      if (end >= 0) {
        const line = this.buf.subarray(0, end).toString('utf8');
        this.skipLf = this.buf[end] === 0x0d;
        this.buf = this.buf.subarray(end + 1);
        this.lines.push(line);
        return line;
      }
      await this.more();
    }
  }

  async readByte(): Promise<number> {
    while (this.buf.length === 0 || (this.skipLf && this.buf.length === 1 && (this.buf[0] === 0 || this.buf[0] === 0x0a))) {
      await this.more();
    }
    if (this.skipLf && (this.buf[0] === 0 || this.buf[0] === 0x0a)) this.buf = this.buf.subarray(1);
    this.skipLf = false;
    const b = this.buf[0]!;
    this.buf = this.buf.subarray(1);
    return b;
  }

  /** Strings are sent as latin1 (one byte per character: "\xff" is 0xFF). */
  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** One byte per write, with a pause between: the client sees every chunk boundary there is. */
  async writeBytewise(data: string | Buffer): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    for (let i = 0; i < bytes.length; i++) {
      if (this.socket.destroyed) return;
      this.socket.write(bytes.subarray(i, i + 1));
      await sleep(1);
    }
  }
}

interface Fake {
  host: string;
  port: number;
  sessions: FakeSession[];
}

/** A scripted console on a loopback address; `script` runs once per connection (its failures are the client's doing). */
async function fakeConsole(t: ExecutionContext, script: (s: FakeSession) => Promise<void>): Promise<Fake> {
  const host = loopbackAddress(BLOCK_FAKE);
  const sessions: FakeSession[] = [];
  const server = createServer((socket) => {
    const s = new FakeSession(socket);
    sessions.push(s);
    script(s).catch(() => undefined);
  });
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  t.teardown(() => {
    for (const s of sessions) s.socket.destroy();
    server.close();
  });
  return { host, port, sessions };
}

function fakeOptions(fake: Fake, over: Partial<VtyOptions> = {}): VtyOptions {
  return { host: fake.host, port: fake.port, password: 'sesame', connectTimeoutMs: 10_000, commandTimeoutMs: 10_000, ...over };
}

/** What a command does on a scripted console: text to print, or null to fall silent for good. */
type Answer = string | null | Promise<string | null>;

/**
 * The usual console loop: prompt, read a line, echo it, print the answer. `terminal length 0` and empty lines print
 * nothing; a command `answer` does not know is "% Unknown command".
 */
async function commandLoop(s: FakeSession, prompt: string, answer: (command: string) => Answer | undefined, bytewise = false): Promise<void> {
  const write = (text: string): Promise<void> => (bytewise ? s.writeBytewise(text) : (s.write(text), Promise.resolve()));
  for (;;) {
    await write(`\r\n${prompt}`);
    const line = await s.readLine();
    await write(`${line}\r\n`);
    let out = line === '' || line === 'terminal length 0' ? '' : answer(line);
    if (out === undefined) out = `% Unknown command: ${line}\r\n`;
    const text = await out;
    if (text === null) return;
    await write(text);
  }
}

/** An FRR-like opening: FRR's own negotiation bytes, then `Password: `. */
const FRR_LIKE_LOGIN = `\r\nHello, this is a fake console.\r\n\r\nUser Access Verification\r\n\r\n\xff\xfb\x01\xff\xfb\x03\xff\xfe\x22\xff\xfd\x1fPassword: `;

async function frrLikeLogin(s: FakeSession): Promise<string> {
  s.write(FRR_LIKE_LOGIN);
  return s.readLine();
}

test('takes telnet commands out of a console that sends every byte alone (IAC IAC is a 0xFF data byte)', async (t) => {
  const fake = await fakeConsole(t, async (s) => {
    await s.writeBytewise(Buffer.concat([OPENING, Buffer.from('Caf\xc3\xa9 console\r\n\r\nPassword: ', 'latin1')]));
    await s.readLine();
    await commandLoop(s, 'fake> ', (cmd) => (cmd === 'show odd' ? 'x\xff\xffy\xff\xf1z > not a prompt\r\n*> 10.0.0.0/8\r\n' : undefined), true);
  });
  const c = await connect(t, fakeOptions(fake));
  t.is(c.banner, 'a\ufffdb\nCafé console\n\nPassword: \n');
  t.is(c.prompt, 'fake>');
  t.is(await c.command('show odd'), 'x\ufffdyz > not a prompt\n*> 10.0.0.0/8\n');
  const s = fake.sessions[0]!;
  t.is(s.lines[0], 'sesame');
  t.deepEqual(s.telnet, [[WONT, OPT_TTYPE], [DO, OPT_ECHO], [DO, OPT_SGA], [WONT, OPT_NAWS], [DONT, 5]],
    'each request answered once, WONT and DONT not answered, ECHO and SGA accepted');
});

test('a console that stalls mid-output: the command times out, the connection is dropped, the queue fails closed', async (t) => {
  const fake = await fakeConsole(t, async (s) => {
    await frrLikeLogin(s);
    await commandLoop(s, 'stall> ', (cmd) => {
      if (cmd === 'show stall') {
        s.write('half of the output\r\nand then noth');
        return null;
      }
      return cmd === 'show version' ? 'Fake 1.0\r\n' : undefined;
    });
  });
  const c = await connect(t, fakeOptions(fake));
  t.is(await c.command('show version'), 'Fake 1.0\n');
  const closes: Array<RouteServerError | null> = [];
  c.onClose((err) => closes.push(err));
  const stalled = c.command('show stall', 500);
  const queued = c.command('show version');
  await rejectsWith(t, stalled, 'timeout', /within 500 ms after "show stall"/);
  await rejectsWith(t, queued, 'closed', /dropped/);
  t.true(c.closed);
  await rejectsWith(t, c.command('show version'), 'closed');
  t.is(closes.length, 1);
  t.is(closes[0]?.code, 'timeout');
  await waitFor('the console to see the connection end', () => fake.sessions[0]!.closed, 10_000, 20);
});

test('a console that floods without a prompt: garbled past maxOutputBytes, and the connection is dropped', async (t) => {
  const fake = await fakeConsole(t, async (s) => {
    await frrLikeLogin(s);
    await commandLoop(s, 'flood> ', (cmd) => {
      if (cmd !== 'show flood') return undefined;
      const block = Buffer.from('*> 10.0.0.0/8    192.0.2.1   0 65000 i\r\n'.repeat(1600));
      const pump = (): void => {
        while (!s.socket.destroyed && s.socket.write(block));
        if (!s.socket.destroyed) s.socket.once('drain', pump);
      };
      pump();
      return null;
    });
  });
  const c = await connect(t, fakeOptions(fake, { maxOutputBytes: 1024 * 1024 }));
  await rejectsWith(t, c.command('show flood', 60_000), 'garbled', /more than 1048576 bytes without a prompt/);
  t.true(c.closed);
  await waitFor('the console to see the connection end', () => fake.sessions[0]!.closed, 10_000, 20);
});

test('a console that trickles output forever: the per-command timeout fires', async (t) => {
  const fake = await fakeConsole(t, async (s) => {
    await frrLikeLogin(s);
    await commandLoop(s, 'trickle> ', (cmd) => {
      if (cmd !== 'show trickle') return undefined;
      const timer = setInterval(() => (s.socket.destroyed ? clearInterval(timer) : s.write('one more line\r\n')), 20);
      return null;
    });
  });
  const c = await connect(t, fakeOptions(fake));
  await rejectsWith(t, c.command('show trickle', 800), 'timeout');
  t.true(c.closed);
});

test('a console that refuses terminal length 0 is paged through its --More-- prompts', async (t) => {
  const lines = Array.from({ length: 45 }, (_, i) => `*> 10.${i}.0.0/16     192.0.2.${i + 1}     0 65000 ${64500 + i} i`);
  let spaces = 0;
  const fake = await fakeConsole(t, async (s) => {
    await frrLikeLogin(s);
    for (;;) {
      s.write('\r\nold> ');
      const cmd = await s.readLine();
      s.write(`${cmd}\r\n`);
      if (cmd === 'terminal length 0') {
        s.write('% Unknown command.\r\n');
      } else if (cmd === 'show ip bgp') {
        const erase = `${'\x08'.repeat(10)}${' '.repeat(10)}${'\x08'.repeat(10)}`;
        s.write(lines.slice(0, 20).map((l) => `${l}\r\n`).join(''));
        s.write(' --More-- ');
        if ((await s.readByte()) === 0x20) spaces++;
        s.write(erase); // the erase alone, then the next page
        await sleep(20);
        s.write(lines.slice(20, 40).map((l) => `${l}\r\n`).join(''));
        s.write(' --More-- ');
        if ((await s.readByte()) === 0x20) spaces++;
        s.write(erase + lines.slice(40).map((l) => `${l}\r\n`).join('')); // the erase with the page
      } else if (cmd !== '') {
        s.write(`% Unknown command.\r\n`);
      }
    }
  });
  const c = await connect(t, fakeOptions(fake));
  t.is(await c.command('show ip bgp'), `${lines.join('\n')}\n`);
  t.is(spaces, 2);
  t.is(c.prompt, 'old>');
});

const CISCO_MOTD = [
  '',
  '**********************************************************************',
  '',
  '                    RouteViews BGP Route Viewer',
  '                    route-views.routeviews.org',
  '',
  ' route views data is archived on http://archive.routeviews.org',
  ' > to see a route: show ip bgp <address> #',
  'rv>',
  'rv#',
  '**********************************************************************',
  '',
  '',
  'User Access Verification',
  '',
];

const CISCO_ROUTE = [
  'BGP routing table entry for 192.0.2.0/24, version 123456',
  'Paths: (1 available, best #1, table default)',
  '  Not advertised to any peer',
  '  Refresh Epoch 1',
  '  3356 64500',
  '    4.68.4.46 from 4.68.4.46 (4.69.184.193)',
  '      Origin IGP, metric 0, localpref 100, valid, external, best',
  '      rx pathid: 0, tx pathid: 0x0',
];

test('a Cisco-style console: Username and Password, an MOTD full of > and #, the prompt route-views>', async (t) => {
  const source = loopbackAddress(BLOCK_FAKE);
  let from = '';
  const fake = await fakeConsole(t, async (s) => {
    from = s.socket.remoteAddress ?? '';
    s.write(Buffer.from([IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DO, OPT_TTYPE, IAC, DO, OPT_NAWS]));
    s.write(`${CISCO_MOTD.join('\r\n')}\r\nUsername: `);
    const user = await s.readLine();
    s.write(`${user}\r\nPassword: `);
    await s.readLine();
    s.write('\r\n');
    await commandLoop(s, 'route-views>', (cmd) => (cmd === 'show ip bgp 192.0.2.1' ? `${CISCO_ROUTE.join('\r\n')}\r\n` : undefined));
  });
  const transcript: Array<['in' | 'out', string]> = [];
  const c = await connect(t, fakeOptions(fake, {
    username: 'rviews', password: 'cisco-secret', localAddress: source,
    onTranscript: (direction, text) => transcript.push([direction, text]),
  }));
  t.is(c.prompt, 'route-views>');
  t.is(c.banner, `${CISCO_MOTD.slice(1).join('\n')}\nUsername: rviews\nPassword: \n`);
  t.is(await c.command('show ip bgp 192.0.2.1'), `${CISCO_ROUTE.join('\n')}\n`);
  t.is(await c.command('show ip bgp 198.51.100.1'), '% Unknown command: show ip bgp 198.51.100.1\n');
  const s = fake.sessions[0]!;
  t.deepEqual(s.lines.slice(0, 2), ['rviews', 'cisco-secret']);
  t.is(from, source, 'connected from localAddress');
  t.false(transcript.some(([, text]) => text.includes('cisco-secret')), 'the password never reaches the transcript');
  const out = transcript.filter(([d]) => d === 'out').map(([, text]) => text);
  t.deepEqual(out.slice(0, 2), ['rviews', '********']);
  t.true(out.includes('terminal length 0') && out.includes('show ip bgp 192.0.2.1'));
  const received = transcript.filter(([d]) => d === 'in').map(([, text]) => text).join('');
  t.true(received.includes('route views data is archived') && received.endsWith('route-views>'));
});

test('a console that answers the password with "% Bad passwords" is an auth error without the password in it', async (t) => {
  const fake = await fakeConsole(t, async (s) => {
    await frrLikeLogin(s);
    s.write('\r\n% Bad passwords\r\n'); // and stays open
  });
  const e = await rejectsWith(t, VtyClient.connect(fakeOptions(fake, { password: 'hunter2' })), 'auth', /rejected the password/);
  t.false(e.message.includes('hunter2'));
});

test('a console that echoes the password a byte at a time and prints it in its MOTD: transcript, banner and errors never hold it', async (t) => {
  const password = 'Echoed-Pw-7';
  const fake = await fakeConsole(t, async (s) => {
    const typed = await frrLikeLogin(s);
    await s.writeBytewise(`${typed}\r\n`); // the echo FRR does not do (it says WILL ECHO), one byte a chunk
    if (typed !== password) {
      await s.writeBytewise('% Bad passwords\r\n');
      return;
    }
    s.write(`\r\nToday's vty password is ${password} (keep it)\r\n`);
    await commandLoop(s, 'echoer>', (cmd) => (cmd === 'show version' ? `password ${password}\r\n` : undefined), true);
  });
  const transcript: string[] = [];
  const c = await connect(t, fakeOptions(fake, { password, onTranscript: (_direction, text) => transcript.push(text) }));
  t.is(c.prompt, 'echoer>');
  t.false(c.banner.includes(password), c.banner);
  t.regex(c.banner, /\*{8}/);
  // A command's own output is the console's answer, as it is: the caller asked for it. The transcript still masks it.
  t.regex(await c.command('show version'), /^password /);
  const joined = transcript.join('');
  t.false(joined.includes(password), joined);
  t.true(joined.includes("Today's vty password is ********"), joined);
  t.true(joined.endsWith('echoer>'), 'nothing held back after the login');

  const wrongTranscript: string[] = [];
  const e = await rejectsWith(t, VtyClient.connect(fakeOptions(fake, { password: 'Wrong-Pw-9', onTranscript: (_d, text) => wrongTranscript.push(text) })), 'auth', /rejected the password/);
  t.false(e.message.includes('Wrong-Pw-9'), e.message);
  t.false(wrongTranscript.join('').includes('Wrong-Pw-9'), wrongTranscript.join(''));
});

test('a Cisco console that says "% Login invalid" and asks again is an auth error', async (t) => {
  const fake = await fakeConsole(t, async (s) => {
    s.write('\r\nUser Access Verification\r\n\r\nUsername: ');
    await s.readLine();
    s.write('\r\nPassword: ');
    await s.readLine();
    s.write('\r\n% Login invalid\r\n\r\nUsername: ');
  });
  await rejectsWith(t, VtyClient.connect(fakeOptions(fake, { username: 'rviews' })), 'auth', /rejected the password: "% Login invalid/);
});

test('a Username prompt with no username configured is an auth error', async (t) => {
  const fake = await fakeConsole(t, async (s) => s.write('\r\nUsername: '));
  await rejectsWith(t, VtyClient.connect(fakeOptions(fake)), 'auth', /asks for a username and none is configured/);
});

test('a console that hangs up right after the password is an auth error', async (t) => {
  const fake = await fakeConsole(t, async (s) => {
    await frrLikeLogin(s);
    s.socket.end();
  });
  await rejectsWith(t, VtyClient.connect(fakeOptions(fake)), 'auth', /rejected the password \(it closed the connection\)/);
});

test('a console that never shows a prompt: connect times out', async (t) => {
  const fake = await fakeConsole(t, async (s) => {
    s.write('\r\nWelcome. Please wait while nothing happens...\r\n');
  });
  await rejectsWith(t, VtyClient.connect(fakeOptions(fake, { connectTimeoutMs: 800 })), 'timeout', /no prompt .* within 800 ms \(its last words: "Welcome/);
});

test('a console that spouts garbage before any prompt: garbled after 1 MiB, without waiting for the timeout', async (t) => {
  const fake = await fakeConsole(t, async (s) => {
    const block = Buffer.from('no prompt here, only noise; '.repeat(2000));
    const pump = (): void => {
      while (!s.socket.destroyed && s.socket.write(block));
      if (!s.socket.destroyed) s.socket.once('drain', pump);
    };
    pump();
  });
  await rejectsWith(t, VtyClient.connect(fakeOptions(fake, { connectTimeoutMs: 60_000 })), 'garbled', /more than 1048576 bytes without a prompt/);
});

test('close() rejects the running and the queued commands with stopped, and onClose hears null', async (t) => {
  const fake = await fakeConsole(t, async (s) => {
    await frrLikeLogin(s);
    await commandLoop(s, 'slow> ', (cmd) => (cmd === 'show slow' ? null : undefined));
  });
  const c = await connect(t, fakeOptions(fake));
  const closes: Array<RouteServerError | null> = [];
  c.onClose((err) => closes.push(err));
  const running = c.command('show slow');
  const queued = c.command('show version');
  await sleep(100);
  c.close();
  await rejectsWith(t, running, 'stopped');
  await rejectsWith(t, queued, 'stopped');
  await rejectsWith(t, c.command('show version'), 'stopped');
  t.deepEqual(closes, [null]);
  await rejectsWith(t, c.command('show\nversion'), 'command');
});

test('a port nobody listens on is a connect error', async (t) => {
  const host = loopbackAddress(BLOCK_DEAD);
  const port = await freePort(host);
  await rejectsWith(t, VtyClient.connect({ host, port, password: 'x', connectTimeoutMs: 10_000, commandTimeoutMs: 10_000 }),
    'connect', new RegExp(`^cannot connect to ${host.replace(/\./g, '\\.')} port ${port}: ECONNREFUSED$`));
});

// ------------------------------------------------------------------------------------------------ real FRR


const PASSWORD = 'vty-secret';
const HOSTNAME = 'jasmine';
const RS_AS = 65080;
const FEEDER_AS = 65081;
const ROUTE_COUNT = 5000;
/** 10.0.0.0/24 ... 10.19.135.0/24 (10.1.2.0/24 among them), and one IPv6 route. */
const ROUTES: RouteSpec[] = [
  ...Array.from({ length: ROUTE_COUNT }, (_, i): RouteSpec => ({
    prefix: `10.${i >> 8}.${i & 255}.0/24`,
    nextHop: '192.0.2.1',
    asPath: [64500, 64501 + (i % 7)],
    communities: [[FEEDER_AS, i % 100]],
  })),
  { prefix: '2001:db8:1::/48', nextHop: '2001:db8::1', asPath: [64500] },
];

let rs: FrrRouteServer | null = null;
let feeder: BirdFeeder | null = null;
let ready: Promise<FrrRouteServer> | null = null;

/** The shared route server, with BIRD's routes in it (started by the first test that needs it). */
function routeServer(): Promise<FrrRouteServer> {
  ready ??= (async () => {
    rs = new FrrRouteServer({ block: BLOCK_RS, as: RS_AS, hostname: HOSTNAME, password: PASSWORD });
    feeder = rs.feeder({ as: FEEDER_AS, routes: ROUTES });
    await rs.start();
    await feeder.start(60_000);
    await rs.waitForPrefixes(ROUTES.length, { timeoutMs: 60_000 });
    return rs;
  })();
  return ready;
}

test.after.always(async () => {
  await feeder?.stop();
  await rs?.stop();
});

function rsOptions(server: FrrRouteServer, over: Partial<VtyOptions> = {}): VtyOptions {
  return { host: server.address, port: server.vtyPort, password: server.password, connectTimeoutMs: 10_000, commandTimeoutMs: 30_000, ...over };
}

/** A test against the real FRR: skipped visibly when FRR or BIRD is missing, failed under CI=true. */
function frr(name: string, fn: (t: ExecutionContext) => Promise<void>): void {
  peerTest(missing, `FRR vty: ${name}`, async (t) => {
    t.teardown(async () => {
      if (!t.passed && rs) t.log(`bgpd log:\n${(await rs.log()).split('\n').slice(-30).join('\n')}`);
    });
    await fn(t);
  });
}

frr('logs in with the password, keeps the banner, learns the prompt, runs show version', async (t) => {
  const server = await routeServer();
  const c = await connect(t, rsOptions(server));
  t.regex(c.banner, /^Hello, this is FRRouting \(version \d+\.\d+/);
  t.is(c.prompt, `${HOSTNAME}>`);
  t.is(c.prompt, server.prompt);
  const version = await c.command('show version');
  t.regex(version, new RegExp(`^FRRouting \\d+\\.\\d+\\S* \\(${HOSTNAME}\\)`));
  t.false(version.includes('\r'));
  t.false(version.includes(`${HOSTNAME}>`), 'no prompt in the output');
  t.true(version.endsWith('\n') && !version.endsWith('\n\n'));
});

frr('show ip bgp ADDR answers with the route BIRD fed to FRR', async (t) => {
  const server = await routeServer();
  const c = await connect(t, rsOptions(server));
  const v4 = await c.command('show ip bgp 10.1.2.3');
  t.true(v4.startsWith('BGP routing table entry for 10.1.2.0/24'), v4);
  t.regex(v4, new RegExp(`^  ${FEEDER_AS} 64500 \\d+$`, 'm'));
  const v6 = await c.command('show bgp ipv6 unicast 2001:db8:1::1');
  t.true(v6.startsWith('BGP routing table entry for 2001:db8:1::/48'), v6);
  t.is(await c.command('show ip bgp 192.0.2.99'), '% Network not in table\n');
});

frr(`a ${ROUTE_COUNT}-route listing arrives whole, as JSON and as a table`, async (t) => {
  const server = await routeServer();
  const c = await connect(t, rsOptions(server));
  const json = await c.command('show bgp ipv4 unicast json', 60_000);
  t.true(json.length > 1_000_000, `${json.length} characters`);
  const table = JSON.parse(json) as { routes: Record<string, unknown> };
  t.is(Object.keys(table.routes).length, ROUTE_COUNT);
  const text = await c.command('show ip bgp', 60_000);
  t.is(text.split('\n').filter((l) => l.startsWith('*>')).length, ROUTE_COUNT);
  t.regex(text, new RegExp(`Displayed +${ROUTE_COUNT} routes and ${ROUTE_COUNT} total paths\\n$`));
});

frr('commands queued at once run one at a time and come back in order', async (t) => {
  const server = await routeServer();
  const c = await connect(t, rsOptions(server));
  const indexes = Array.from({ length: 24 }, (_, k) => (k * 211) % ROUTE_COUNT);
  const answers = await Promise.all(indexes.flatMap((i) => [
    c.command(`show ip bgp 10.${i >> 8}.${i & 255}.77`),
    c.command('show bgp summary json'),
  ]));
  indexes.forEach((i, k) => {
    t.true(answers[2 * k]!.startsWith(`BGP routing table entry for 10.${i >> 8}.${i & 255}.0/24`), answers[2 * k]);
    const summary = JSON.parse(answers[2 * k + 1]!) as { ipv4Unicast: { as: number } };
    t.is(summary.ipv4Unicast.as, RS_AS);
  });
});

frr('a wrong password is an auth error; bgpd hangs up after three; the right one still works', async (t) => {
  const server = await routeServer();
  for (let i = 0; i < 3; i++) {
    const e = await rejectsWith(t, VtyClient.connect(rsOptions(server, { password: 'wrong-pass' })), 'auth', /rejected the password/);
    t.false(e.message.includes('wrong-pass'));
  }
  await rejectsWith(t, VtyClient.connect(rsOptions(server, { password: null })), 'auth', /asks for a password and none is configured/);
  // bgpd itself: three bad passwords on one connection, then "% Bad passwords, too many failures!" and goodbye.
  const raw = createConnection({ host: server.address, port: server.vtyPort });
  let said = '';
  raw.on('data', (d: Buffer) => (said += d.toString('latin1')));
  raw.on('error', () => undefined);
  const closed = once(raw, 'close');
  await waitFor('Password:', () => said.endsWith('Password: '), 10_000, 20);
  for (const p of ['bad-1', 'bad-2', 'bad-3']) raw.write(`${p}\r\0`);
  await Promise.race([closed, sleep(10_000).then(() => raw.destroy())]);
  t.regex(said, /% Bad passwords, too many failures!/);
  const c = await connect(t, rsOptions(server));
  t.is(c.prompt, `${HOSTNAME}>`);
});

frr('a vty without a password says "Vty password is not set." and hangs up: an auth error', async (t) => {
  const bare = new FrrRouteServer({ block: BLOCK_RS2, as: RS_AS + 1, hostname: 'bare', password: null });
  t.teardown(() => bare.stop());
  await bare.start();
  await rejectsWith(t, VtyClient.connect(rsOptions(bare, { password: 'anything' })), 'auth', /Vty password is not set/);
});

frr('a crashed bgpd fails the pending and the next commands with closed; after a restart a new connection works', async (t) => {
  const server = await routeServer();
  const c = await connect(t, rsOptions(server));
  t.regex(await c.command('show ip bgp 10.1.2.3'), /^BGP routing table entry for 10\.1\.2\.0\/24/);
  const closes: Array<RouteServerError | null> = [];
  c.onClose((err) => closes.push(err));
  server.pause(); // the command below stays unanswered until the crash
  const pending = c.command('show ip bgp 10.1.2.3');
  const queued = c.command('show version');
  await sleep(200);
  await server.crash();
  await rejectsWith(t, pending, 'closed');
  await rejectsWith(t, queued, 'closed');
  t.true(c.closed);
  await rejectsWith(t, c.command('show version'), 'closed');
  t.is(closes.length, 1);
  t.is(closes[0]?.code, 'closed');
  await rejectsWith(t, VtyClient.connect(rsOptions(server)), 'connect', /ECONNREFUSED/);

  await server.restart();
  const again = await connect(t, rsOptions(server));
  t.regex(await again.command('show version'), /^FRRouting/);
  await server.waitForPrefixes(ROUTES.length, { timeoutMs: 60_000 });
  t.regex(await again.command('show ip bgp 10.1.2.3'), /^BGP routing table entry for 10\.1\.2\.0\/24/);
});
