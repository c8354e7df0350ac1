// The route-server adapter's cache and connection handling over a scripted console (a Quagga-style bgpd vty
// answering from a small table): what a real console cannot be made to do on cue (change its table between two
// queries, fail on the Nth command, count its commands). The real FRR console is in routeserver/frr.test.ts.
import test from 'ava';
import { Afi } from '../../src/bgp/index.js';
import { parsePrefix, parseAddress, LookupResult } from '../../src/rib/index.js';
import { Proximity } from '../../src/proximity/index.js';
import { RouteServer, RouteServerError, type ConsoleConnection, type RouteServerOptions } from '../../src/routeserver/index.js';

interface FakeRoute {
  prefix: string;
  asPath: number[];
}

/** A Quagga console over an in-memory table: `show ip bgp ADDR`, `show ip bgp P longer-prefixes`. */
class FakeConsole implements ConsoleConnection {
  readonly banner = '\r\nHello, this is Quagga (version 0.99.24.1).\r\nCopyright 1996-2005 Kunihiro Ishiguro, et al.\r\n\r\n\r\nUser Access Verification\r\n\r\n';
  closed = false;
  readonly commands: string[] = [];
  private readonly listeners: Array<(err: RouteServerError | null) => void> = [];

  constructor(
    readonly table: FakeRoute[],
    private readonly failOn: (command: string, n: number) => RouteServerError | null = () => null,
  ) {}

  async command(line: string): Promise<string> {
    if (this.closed) throw new RouteServerError('closed', 'the console closed the connection');
    this.commands.push(line);
    const failure = this.failOn(line, this.commands.length);
    if (failure) {
      this.close(failure);
      throw failure;
    }
    await new Promise((r) => setImmediate(r));
    const longer = /^show ip bgp (\S+) longer-prefixes$/.exec(line);
    if (longer) {
      const outer = parsePrefix(longer[1]!);
      const rows = this.table.filter((r) => contains(outer, parsePrefix(r.prefix))).map((r) => `*> ${r.prefix.padEnd(17)}192.0.2.1                0             0 ${r.asPath.join(' ')} i`);
      return [
        'BGP table version is 0, local router ID is 192.0.2.9',
        'Status codes: s suppressed, d damped, h history, * valid, > best, i - internal,',
        '              r RIB-failure, S Stale, R Removed',
        'Origin codes: i - IGP, e - EGP, ? - incomplete',
        '',
        '   Network          Next Hop            Metric LocPrf Weight Path',
        ...rows,
        '',
        `Total number of prefixes ${rows.length}`,
        '',
      ].join('\n');
    }
    const show = /^show ip bgp (\S+)$/.exec(line);
    if (!show) return '% Unknown command.\n';
    const address = parseAddress(show[1]!);
    let best: FakeRoute | null = null;
    let bestLength = -1;
    for (const r of this.table) {
      const p = parsePrefix(r.prefix);
      if (p.length > bestLength && contains(p, { ...address, length: 32 })) {
        best = r;
        bestLength = p.length;
      }
    }
    if (best === null) return '% Network not in table\n';
    return [
      `BGP routing table entry for ${best.prefix}`,
      'Paths: (1 available, best #1, table Default-IP-Routing-Table)',
      '  Not advertised to any peer',
      `  ${best.asPath.join(' ')}`,
      '    192.0.2.1 from 192.0.2.1 (192.0.2.1)',
      '      Origin IGP, metric 0, localpref 100, valid, external, best',
      '      Last update: Mon Nov 30 07:00:00 2026',
      '',
    ].join('\n');
  }

  onClose(listener: (err: RouteServerError | null) => void): () => void {
    this.listeners.push(listener);
    return () => undefined;
  }

  close(err: RouteServerError | null = null): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.listeners) l(err);
  }
}

function contains(outer: { a: number; length: number }, inner: { a: number; length: number }): boolean {
  if (inner.length < outer.length) return false;
  const mask = outer.length === 0 ? 0 : (~0 << (32 - outer.length)) >>> 0;
  return ((outer.a & mask) >>> 0) === ((inner.a & mask) >>> 0);
}

function adapter(consoles: FakeConsole[], options: Partial<RouteServerOptions> = {}): { rs: RouteServer; opened: () => number } {
  let opened = 0;
  const rs = new RouteServer({
    kind: 'quagga',
    host: '127.0.0.1',
    port: 2605,
    password: 'secret',
    timeoutMs: 1000,
    cacheTimeoutMs: 60_000,
    cacheSize: 100,
    reconnectMinMs: 1,
    reconnectMaxMs: 1,
    ...options,
    connect: async () => {
      const c = consoles[Math.min(opened, consoles.length - 1)]!;
      opened++;
      if (c.closed) throw new RouteServerError('connect', 'cannot connect to 127.0.0.1 port 2605: ECONNREFUSED');
      return c;
    },
  });
  return { rs, opened: () => opened };
}

const TABLE: FakeRoute[] = [
  { prefix: '10.0.0.0/8', asPath: [65001, 65100] },
  { prefix: '10.1.0.0/16', asPath: [65002, 65200] },
  { prefix: '10.1.2.0/24', asPath: [65003] },
];

function firstAs(rs: RouteServer, address: string): number {
  const out = new LookupResult();
  const p = parseAddress(address);
  if (!rs.reader.lookup(p.afi, p.a, p.b, p.c, p.d, out)) return 0;
  return rs.reader.firstAs(out.attributes);
}

test('a burst of queries for one network costs one console command; the answer holds for the /24 inside a shorter prefix', async (t) => {
  const console = new FakeConsole(TABLE);
  const { rs } = adapter([console]);
  // 10.1.7.0/24 lies in 10.1.0.0/16: the answer holds for the /24 (a longer route would be needed to differ).
  await Promise.all(Array.from({ length: 50 }, (_, i) => rs.resolve(`10.1.7.${i}`)));
  t.deepEqual(console.commands, ['show ip bgp 10.1.7.0']);
  t.is(firstAs(rs, '10.1.7.49'), 65002);
  t.true(rs.covers(Afi.IPv4, parseAddress('10.1.7.200').a, 0, 0, 0));
  t.is(rs.coveredScope, 24);
  // Another /24 of the /16 is asked for: it might lie in a more-specific (10.1.2.0/24 does).
  t.false(rs.covers(Afi.IPv4, parseAddress('10.1.8.1').a, 0, 0, 0));
  await rs.resolve('10.1.2.9');
  t.is(firstAs(rs, '10.1.2.9'), 65003);
  // A /24 itself answers whole.
  await rs.resolve('10.1.2.200');
  t.true(rs.covers(Afi.IPv4, parseAddress('10.1.2.77').a, 0, 0, 0));
  t.is(rs.coveredScope, 24);
  t.deepEqual(console.commands, ['show ip bgp 10.1.7.0', 'show ip bgp 10.1.2.9']);
  const s = rs.status();
  t.is(s.dialect, 'quagga');
  t.true(s.hits >= 2);
  t.is(s.cachedPrefixes, 2);
  rs.close();
});

test('listMoreSpecifics: one listing makes the whole prefix answer, but for its more-specifics', async (t) => {
  const console = new FakeConsole(TABLE);
  const { rs } = adapter([console], { listMoreSpecifics: true });
  await rs.resolve('10.1.7.7');
  t.is(firstAs(rs, '10.1.7.7'), 65002);
  for (let i = 0; i < 50; i++) await rs.resolve(`10.1.${100 + i}.${i}`);
  t.deepEqual(console.commands, ['show ip bgp 10.1.7.7', 'show ip bgp 10.1.0.0/16 longer-prefixes']);
  t.true(rs.covers(Afi.IPv4, parseAddress('10.1.200.1').a, 0, 0, 0));
  t.is(rs.coveredScope, 17, '10.1.128.0/17: the half of the /16 without the listed 10.1.2.0/24');
  // Inside the listed more-specific: the console is asked, and its /24 answers.
  t.false(rs.covers(Afi.IPv4, parseAddress('10.1.2.9').a, 0, 0, 0));
  await rs.resolve('10.1.2.9');
  t.is(console.commands[2], 'show ip bgp 10.1.2.9');
  t.is(firstAs(rs, '10.1.2.9'), 65003);
  t.is(firstAs(rs, '10.1.3.9'), 65002);
  rs.close();
});

test('concurrent queries for one address share one console command; a default route answers per /24', async (t) => {
  const console = new FakeConsole([{ prefix: '0.0.0.0/0', asPath: [65009] }]);
  const { rs } = adapter([console], { listMoreSpecifics: true });
  await Promise.all([rs.resolve('192.0.2.1'), rs.resolve('192.0.2.1'), rs.resolve('192.0.2.2')]);
  t.deepEqual(console.commands, ['show ip bgp 192.0.2.1']);
  t.true(rs.covers(Afi.IPv4, parseAddress('192.0.2.99').a, 0, 0, 0));
  t.is(rs.coveredScope, 24, 'what the console said holds for that /24');
  // The default route is never listed (it would list the whole table): another /24 is asked for.
  t.false(rs.covers(Afi.IPv4, parseAddress('198.51.100.1').a, 0, 0, 0));
  await rs.resolve('198.51.100.1');
  t.deepEqual(console.commands, ['show ip bgp 192.0.2.1', 'show ip bgp 198.51.100.1']);
  rs.close();
});

test('an address not in the table is remembered as such; answers expire after cacheTimeout', async (t) => {
  const console = new FakeConsole(TABLE);
  const { rs } = adapter([console], { cacheTimeoutMs: 50 });
  await rs.resolve('192.0.2.1');
  t.false(rs.reader.lookup(Afi.IPv4, parseAddress('192.0.2.1').a, 0, 0, 0, new LookupResult()));
  await rs.resolve('192.0.2.1');
  t.is(console.commands.length, 1);
  await rs.resolve('10.200.0.1');
  await new Promise((r) => setTimeout(r, 80));
  // The table changed meanwhile: the expired answer is asked again and the new one replaces it.
  console.table.push({ prefix: '10.200.0.0/16', asPath: [65077] });
  await rs.resolve('10.200.0.1');
  t.is(firstAs(rs, '10.200.0.1'), 65077);
  rs.close();
});

test('a cached more-specific the console no longer has is dropped when the console answers a shorter prefix', async (t) => {
  const console = new FakeConsole([...TABLE, { prefix: '10.1.16.0/20', asPath: [65004] }]);
  const { rs } = adapter([console]);
  await rs.resolve('10.1.17.9');
  t.is(firstAs(rs, '10.1.17.9'), 65004);
  console.table.pop();
  // Another /24 of the /20 is asked for, and the /16 now answers it; the /20 is gone from the cache.
  await rs.resolve('10.1.18.10');
  t.is(firstAs(rs, '10.1.18.10'), 65002);
  t.is(firstAs(rs, '10.1.17.9'), 65002);
  t.is(rs.status().cachedPrefixes, 1);
  rs.close();
});

test('cacheSize bounds the cache: the least recently used prefix goes first', async (t) => {
  const table = Array.from({ length: 10 }, (_, i) => ({ prefix: `10.${i}.0.0/16`, asPath: [65000 + i] }));
  const console = new FakeConsole(table);
  const { rs } = adapter([console], { cacheSize: 3 });
  for (let i = 0; i < 10; i++) await rs.resolve(`10.${i}.0.1`);
  t.is(rs.status().cachedPrefixes, 3);
  t.is(firstAs(rs, '10.9.0.1'), 65009);
  t.is(firstAs(rs, '10.0.0.1'), 0, 'evicted: no longer in the cache RIB');
  rs.close();
});

test('a failing console: the error is typed, later queries fail fast, and the adapter reconnects', async (t) => {
  const broken = new FakeConsole(TABLE, (_line, n) => (n === 1 ? new RouteServerError('timeout', 'no answer within 1000 ms') : null));
  const good = new FakeConsole(TABLE);
  const { rs, opened } = adapter([broken, good], { reconnectMinMs: 200, reconnectMaxMs: 200 });
  const err = await t.throwsAsync(rs.resolve('10.1.7.7'), { instanceOf: RouteServerError });
  t.is(err!.code, 'timeout');
  // The next query reconnects (a new console) and is answered.
  await rs.resolve('10.1.7.7');
  t.is(opened(), 2);
  t.is(firstAs(rs, '10.1.7.7'), 65002);
  t.is(rs.status().errors, 1);
  rs.close();
  await t.throwsAsync(rs.resolve('10.9.9.9'), { instanceOf: RouteServerError, message: /stopped/ });
});

test('a console that cannot be reached fails fast within the backoff', async (t) => {
  const dead = new FakeConsole(TABLE);
  dead.closed = true;
  const { rs, opened } = adapter([dead], { reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
  const first = await t.throwsAsync(rs.resolve('10.1.7.7'), { instanceOf: RouteServerError });
  t.is(first!.code, 'connect');
  const second = await t.throwsAsync(rs.resolve('10.1.7.8'), { instanceOf: RouteServerError });
  t.regex(second!.message, /next attempt in \d+ s/);
  t.is(opened(), 1, 'no second attempt within the backoff');
  rs.close();
});

test('the decision over the cache is the classic rule over the console best path', async (t) => {
  const console = new FakeConsole(TABLE);
  const { rs } = adapter([console]);
  const proximity = new Proximity(rs.reader, {
    pops: [
      { name: 'a', as: 65002, ipv4: '192.0.2.10', ipv6: null, host: null, preference: 100, community: null, largeCommunity: null, down: false, check: null },
      { name: 'b', as: 65003, ipv4: '192.0.2.20', ipv6: null, host: null, preference: 100, community: null, largeCommunity: null, down: false, check: null },
      { name: 'self', as: 65099, ipv4: '192.0.2.30', ipv6: null, host: null, preference: 100, community: null, largeCommunity: null, down: false, check: null },
    ],
    proximity: { rule: 'classic', self: 'self' },
    overrides: [],
    neighborPops: [],
  });
  for (const [address, pop] of [['10.1.7.7', 'a'], ['10.1.2.7', 'b'], ['10.2.0.1', 'self']] as const) {
    await rs.resolve(address);
    t.is(proximity.pops[proximity.decideText(address).pop]!.config.name, pop, address);
  }
  proximity.close();
  rs.close();
});

test('an IPv4-mapped address is asked for and cached as the IPv4 client it stands for', async (t) => {
  const console = new FakeConsole(TABLE);
  const { rs } = adapter([console]);
  await rs.resolve('::ffff:10.1.7.7');
  t.deepEqual(console.commands.slice(0, 1), ['show ip bgp 10.1.7.7']);
  const mapped = parseAddress('::ffff:10.1.7.7');
  t.true(rs.covers(mapped.afi, mapped.a, mapped.b, mapped.c, mapped.d));
  t.true(rs.covers(Afi.IPv4, parseAddress('10.1.7.7').a, 0, 0, 0));
  rs.close();
});

test('configure: new settings drop the connection and the cache; the next query goes to the new console', async (t) => {
  const first = new FakeConsole(TABLE);
  const second = new FakeConsole([{ prefix: '10.1.0.0/16', asPath: [65111] }]);
  const { rs, opened } = adapter([first, second]);
  await rs.resolve('10.1.7.7');
  t.is(firstAs(rs, '10.1.7.7'), 65002);
  rs.configure({ ...rs.options, host: '127.0.0.2' });
  t.true(first.closed, 'the old console connection is closed');
  t.is(rs.status().cachedPrefixes, 0);
  t.is(firstAs(rs, '10.1.7.7'), 0, 'nothing of the old console is left');
  await rs.resolve('10.1.7.7');
  t.is(opened(), 2);
  t.is(firstAs(rs, '10.1.7.7'), 65111);
  rs.close();
});
