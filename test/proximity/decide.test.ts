import test from 'ava';
import { Afi } from '../../src/bgp/index.js';
import { createRib, parseAddress, type RibWriter } from '../../src/rib/index.js';
import { Proximity, RULE_NAMES, explain, hashPrefix } from '../../src/proximity/index.js';
import { seededRandom } from '../../src/util/index.js';
import { announce, attrs, withdraw } from '../rib/helpers/routes.js';
import { medianAllocation, pop, setup } from './helpers.js';

function rib() {
  return createRib({ sizing: 'small' });
}

function neighbor(writer: RibWriter, address: string, remoteAs: number, up = true, localAs = 65000): number {
  const id = writer.addNeighbor({ address, remoteAs, localAs, routerId: parseAddress(address).afi === Afi.IPv4 ? parseAddress(address).a : 1 });
  if (up) writer.setSessionUp(id, true);
  return id;
}

/** name of the POP answered, the rule, and the ranking, for an address. */
function ask(p: Proximity, address: string) {
  const d = p.decideText(address);
  return {
    pop: d.pop < 0 ? null : p.pops[d.pop]!.config.name,
    rule: RULE_NAMES[d.rule],
    ranking: Array.from(d.ranking.subarray(0, d.ranked), (i) => p.pops[i]!.config.name),
    scope: d.scope,
  };
}

// ---------------------------------------------------------------- classic

test('classic: the seed transcript — two paths for 192.168.193.0/24, best 64750, so the POP of AS 64750', (t) => {
  const { writer, reader } = rib();
  // The route server's view in the original's transcript: "64754 64755 64752" via 192.168.192.1 and "64750" via
  // 192.168.193.11 (best: the shorter path).
  const n1 = neighbor(writer, '192.168.192.1', 64754);
  const n2 = neighbor(writer, '192.168.193.11', 64750);
  announce(writer, n1, '192.168.193.0/24', attrs([64754, 64755, 64752], { med: 1 }));
  announce(writer, n2, '192.168.193.0/24', attrs([64750], { med: 1 }));
  const p = new Proximity(
    reader,
    setup([pop('192.168.192.13', 65751, { ipv4: '192.168.192.13' }), pop('192.168.193.11', 64750, { ipv4: '192.168.193.11' })], 'classic', '192.168.192.13'),
  );
  const r = ask(p, '192.168.193.15');
  t.is(r.pop, '192.168.193.11');
  t.is(r.rule, 'first-as');
  t.deepEqual(r.ranking, ['192.168.193.11', '192.168.192.13']);
  t.is(r.scope, 24);
  const e = explain(p, '192.168.193.15');
  t.is(e.answer, '192.168.193.11');
  t.is(e.prefix, '192.168.193.0/24');
  t.deepEqual(e.asPath, [64750]);
  t.is(e.firstAs, 64750);
  t.is(e.paths.length, 2, 'both paths, as the route server showed them');
  t.deepEqual(e.paths[0]!.asPath, [64750]);
  t.true(e.ageSeconds !== null && e.ageSeconds >= 0 && e.ageSeconds < 60);
  t.regex(e.summary, /first AS 64750/);
});

test('classic: self when no POP AS is first — no route, another AS, an empty path, an AS_SET first', (t) => {
  const { writer, reader } = rib();
  const n = neighbor(writer, '192.0.2.1', 65001);
  announce(writer, n, '10.1.0.0/16', attrs([65001, 64750]));
  announce(writer, n, '10.2.0.0/16', attrs([]));
  announce(writer, n, '10.3.0.0/16', attrs([], {}, [64750, 65002]));
  announce(writer, n, '10.4.0.0/16', attrs([64750, 65001]));
  const p = new Proximity(reader, setup([pop('x', 65751), pop('y', 64750)], 'classic', 'x'));
  t.like(ask(p, '11.0.0.1'), { pop: 'x', rule: 'self' }, 'no route');
  t.like(ask(p, '10.1.2.3'), { pop: 'x', rule: 'self' }, 'first AS 65001 is no POP (64750 later in the path does not count)');
  t.like(ask(p, '10.2.2.3'), { pop: 'x', rule: 'self' }, 'empty AS path');
  t.like(ask(p, '10.3.2.3'), { pop: 'x', rule: 'self' }, 'AS_SET first');
  t.like(ask(p, '10.4.2.3'), { pop: 'y', rule: 'first-as' });
  t.like(ask(p, '::ffff:10.4.2.3'), { pop: 'y', rule: 'first-as', scope: 16 }, 'an IPv4-mapped client is the IPv4 client');
  t.is(explain(p, '::ffff:10.4.2.3').address, '10.4.2.3');
});

test('classic: a down POP is never answered while another is up; all down gives self', (t) => {
  const { writer, reader } = rib();
  const n = neighbor(writer, '192.0.2.1', 64750);
  announce(writer, n, '10.4.0.0/16', attrs([64750]));
  const p = new Proximity(reader, setup([pop('x', 65751), pop('y', 64750), pop('z', 64999)], 'classic', 'x'));
  const changes: string[] = [];
  p.onPopState((q, up, why) => changes.push(`${q.config.name} ${up ? 'up' : 'down'}: ${why}`));
  t.like(ask(p, '10.4.0.1'), { pop: 'y', rule: 'first-as', ranking: ['y', 'x', 'z'] });
  t.true(p.setDrained('y', true));
  t.false(p.setDrained('y', true), 'draining twice changes nothing');
  t.like(ask(p, '10.4.0.1'), { pop: 'x', rule: 'fallback', ranking: ['x', 'z'] });
  p.setDrained('x', true);
  t.like(ask(p, '10.4.0.1'), { pop: 'z', rule: 'fallback', ranking: ['z'] });
  p.setCheck('z', false, 'tcp 192.0.2.33:80: ECONNREFUSED');
  t.like(ask(p, '10.4.0.1'), { pop: 'x', rule: 'all-down', ranking: ['x'] });
  t.deepEqual(p.reasons(p.pop('z')!), ['check failed: tcp 192.0.2.33:80: ECONNREFUSED']);
  p.setDrained('y', false);
  t.like(ask(p, '10.4.0.1'), { pop: 'y', rule: 'first-as' });
  t.deepEqual(changes, [
    'y down: drained by an operator',
    'x down: drained by an operator',
    'z down: check failed: tcp 192.0.2.33:80: ECONNREFUSED',
    'y up: undrained by an operator',
  ]);
  t.is(p.pop('y')!.transitions, 2);
  t.throws(() => p.setDrained('nope', true), { message: /no POP named "nope" \(configured: x, y, z\)/ });
});

test('a POP whose tagged neighbors are all down is down; one session up brings it back', (t) => {
  const { writer, reader } = rib();
  const a = neighbor(writer, '127.0.0.21', 65751);
  const b = neighbor(writer, '127.0.0.22', 65751);
  const c = neighbor(writer, '127.0.0.23', 64750);
  announce(writer, c, '10.4.0.0/16', attrs([64750]));
  const p = new Proximity(
    reader,
    setup([pop('x', 65751), pop('y', 64750)], 'classic', 'x', [
      { address: '127.0.0.21', pop: 'x' },
      { address: '127.0.0.22', pop: 'x' },
      { address: '127.0.0.23', pop: 'y' },
    ]),
  );
  t.like(ask(p, '10.4.0.1'), { pop: 'y' });
  writer.setSessionUp(c, false); // its routes stay (graceful restart or not: the RIB decides), the POP is down
  t.deepEqual(p.reasons(p.pop('y')!), ['sessions down']);
  t.like(ask(p, '10.4.0.1'), { pop: 'x', rule: 'fallback' });
  writer.setSessionUp(a, false);
  t.true(p.isUp(0), 'x still has a session');
  writer.setSessionUp(b, false);
  t.like(ask(p, '10.4.0.1'), { pop: 'x', rule: 'all-down' });
  writer.setSessionUp(c, true);
  t.like(ask(p, '10.4.0.1'), { pop: 'y', rule: 'first-as' });
});

test('classic: POPs sharing an AS split its clients by preference, then by the hash of the prefix', (t) => {
  const { writer, reader } = rib();
  const n = neighbor(writer, '192.0.2.1', 64750);
  for (let i = 0; i < 400; i++) announce(writer, n, `10.${i >> 8}.${i & 255}.0/24`, attrs([64750]));
  const p = new Proximity(reader, setup([pop('x', 65751), pop('y1', 64750), pop('y2', 64750)], 'classic', 'x'));
  const count = new Map<string, number>();
  for (let i = 0; i < 400; i++) {
    const r = ask(p, `10.${i >> 8}.${i & 255}.9`);
    t.is(r.rule, 'first-as');
    t.is(r.ranking[2], 'x');
    count.set(r.pop!, (count.get(r.pop!) ?? 0) + 1);
    t.deepEqual(ask(p, `10.${i >> 8}.${i & 255}.200`).pop, r.pop, 'the same prefix, the same POP');
  }
  t.true(count.get('y1')! > 150 && count.get('y2')! > 150, `spread evenly: ${JSON.stringify([...count])}`);
  const preferred = new Proximity(reader, setup([pop('x', 65751), pop('y1', 64750), pop('y2', 64750, { preference: 200 })], 'classic', 'x'));
  t.like(ask(preferred, '10.0.7.1'), { pop: 'y2', ranking: ['y2', 'y1', 'x'] });
});

// ---------------------------------------------------------------- multi-view

function threePops() {
  const { writer, reader } = rib();
  const nx = neighbor(writer, '127.0.0.21', 65751);
  const ny = neighbor(writer, '127.0.0.22', 64750);
  const nz = neighbor(writer, '127.0.0.23', 64999);
  const p = new Proximity(
    reader,
    setup(
      [pop('x', 65751, { ipv4: '192.0.2.11', ipv6: '2001:db8::11' }), pop('y', 64750, { ipv4: '192.0.2.22' }), pop('z', 64999, { ipv4: '192.0.2.33' })],
      'multi-view',
      'x',
      [
        { address: '127.0.0.21', pop: 'x' },
        { address: '127.0.0.22', pop: 'y' },
        { address: '127.0.0.23', pop: 'z' },
      ],
    ),
  );
  return { writer, reader, p, nx, ny, nz };
}

test('multi-view: each POP’s own view decides — shortest AS path first, then the next, down POPs left out', (t) => {
  const { writer, p, nx, ny, nz } = threePops();
  announce(writer, nx, '203.0.113.0/24', attrs([65751, 3356, 1299, 64500]));
  announce(writer, ny, '203.0.113.0/24', attrs([64750, 64500]));
  announce(writer, nz, '203.0.112.0/23', attrs([64999, 1299, 64500]));
  announce(writer, nx, '2001:db8:100::/48', attrs([65751, 64500]));
  announce(writer, ny, '2001:db8:100::/48', attrs([64750, 174, 64500]));
  t.deepEqual(ask(p, '203.0.113.77'), { pop: 'y', rule: 'route', ranking: ['y', 'z', 'x'], scope: 24 });
  t.like(ask(p, '2001:db8:100::1'), { pop: 'x', rule: 'route', ranking: ['x', 'y', 'z'] }, 'IPv6: z has no route, ranked last');
  const e = explain(p, '203.0.113.77');
  t.is(e.decidedBy, 'route');
  t.is(e.answer, '192.0.2.22');
  t.deepEqual(e.asPath, [64750, 64500]);
  t.deepEqual(
    e.candidates.map((c) => [c.pop, c.rank, c.view?.prefix ?? null, c.note]),
    [
      ['x', 3, '203.0.113.0/24', 'loses to y on AS path length (4 vs 2)'],
      ['y', 1, '203.0.113.0/24', 'best'],
      ['z', 2, '203.0.112.0/23', 'loses to y on AS path length (3 vs 2)'],
    ],
  );
  // y's session goes down: its answers move to the next best view.
  writer.setSessionUp(ny, false);
  t.like(ask(p, '203.0.113.77'), { pop: 'z', ranking: ['z', 'x'] });
  writer.setSessionUp(nz, false);
  writer.setSessionUp(nx, false);
  t.like(ask(p, '203.0.113.77'), { pop: 'x', rule: 'all-down', ranking: ['x'] });
});

test('multi-view: LOCAL_PREF, ORIGIN and MED decide before preference; ties go to preference, then the hash', (t) => {
  const { writer, reader } = rib();
  // iBGP sessions (remote AS = local AS): LOCAL_PREF counts.
  const nx = neighbor(writer, '127.0.0.21', 65000);
  const ny = neighbor(writer, '127.0.0.22', 65000);
  const tags = [
    { address: '127.0.0.21', pop: 'x' },
    { address: '127.0.0.22', pop: 'y' },
  ];
  const make = (prefY = 100) => new Proximity(reader, setup([pop('x', 65751), pop('y', 64750, { preference: prefY })], 'multi-view', 'x', tags));
  announce(writer, nx, '198.51.100.0/24', attrs([1299, 64500], { localPref: 200 }));
  announce(writer, ny, '198.51.100.0/24', attrs([64500], { localPref: 100 }));
  t.like(ask(make(), '198.51.100.1'), { pop: 'x', rule: 'route' }, 'higher LOCAL_PREF beats a shorter path');
  announce(writer, nx, '198.51.101.0/24', attrs([64500], { origin: 2 }));
  announce(writer, ny, '198.51.101.0/24', attrs([64500], { origin: 0 }));
  t.like(ask(make(), '198.51.101.1'), { pop: 'y', rule: 'route' }, 'IGP origin beats INCOMPLETE');
  announce(writer, nx, '198.51.102.0/24', attrs([64500], { med: 50 }));
  announce(writer, ny, '198.51.102.0/24', attrs([64500], { med: 10 }));
  t.like(ask(make(), '198.51.102.1'), { pop: 'y', rule: 'route' }, 'lower MED from the same neighbouring AS');
  announce(writer, nx, '198.51.103.0/24', attrs([64500]));
  announce(writer, ny, '198.51.103.0/24', attrs([64500]));
  t.like(ask(make(300), '198.51.103.1'), { pop: 'y', rule: 'preference', ranking: ['y', 'x'] });
  t.like(ask(make(100), '198.51.103.1'), { rule: 'hash' });
  const e = explain(make(300), '198.51.103.1');
  t.is(e.candidates[0]!.note, 'ties with y on the route; lower preference (100 vs 300)');
  // The router id would have told these apart in a Loc-RIB; between POPs it must not, or one POP would get all.
  const count = { x: 0, y: 0 };
  for (let i = 0; i < 300; i++) {
    announce(writer, nx, `100.${64 + (i >> 8)}.${i & 255}.0/24`, attrs([64500]));
    announce(writer, ny, `100.${64 + (i >> 8)}.${i & 255}.0/24`, attrs([64500]));
  }
  const p = make();
  for (let i = 0; i < 300; i++) count[ask(p, `100.${64 + (i >> 8)}.${i & 255}.1`).pop as 'x' | 'y']++;
  t.true(count.x > 100 && count.y > 100, `equal POPs share clients: ${JSON.stringify(count)}`);
});

test('multi-view: the hash is stable — taking a POP out moves only its own clients', (t) => {
  const { writer, reader } = rib();
  const names = ['a', 'b', 'c', 'd'];
  const ids = names.map((_, i) => neighbor(writer, `127.0.0.${31 + i}`, 65000 + i));
  for (let k = 0; k < 200; k++) for (const id of ids) announce(writer, id, `100.65.${k}.0/24`, attrs([64500]));
  const tags = names.map((n, i) => ({ address: `127.0.0.${31 + i}`, pop: n }));
  const p = new Proximity(reader, setup(names.map((n) => pop(n, 65000)), 'multi-view', 'a', tags));
  const before = Array.from({ length: 200 }, (_, k) => ask(p, `100.65.${k}.1`).pop);
  t.deepEqual(Array.from({ length: 200 }, (_, k) => ask(p, `100.65.${k}.1`).pop), before, 'the same answers every time');
  p.setDrained('c', true);
  const after = Array.from({ length: 200 }, (_, k) => ask(p, `100.65.${k}.1`).pop);
  for (let k = 0; k < 200; k++) {
    if (before[k] !== 'c') t.is(after[k], before[k], `${k}: clients of other POPs stay`);
    else t.not(after[k], 'c');
  }
  t.true(before.filter((x) => x === 'c').length > 20);
});

test('multi-view: views by community over one ADD-PATH session carry every POP', (t) => {
  const { writer, reader } = rib();
  const rr = neighbor(writer, '127.0.0.40', 65000);
  announce(writer, rr, '192.0.2.0/24', attrs([3356, 64500], { communities: Uint32Array.of((65000 << 16) | 101) }), 1);
  announce(writer, rr, '192.0.2.0/24', attrs([64500], { communities: Uint32Array.of((65000 << 16) | 102) }), 2);
  announce(writer, rr, '192.0.2.0/24', attrs([174, 64500], { largeCommunities: Uint32Array.of(65000, 1, 103) }), 3);
  const p = new Proximity(
    reader,
    setup(
      [pop('x', 65751, { community: '65000:101' }), pop('y', 64750, { community: '65000:102' }), pop('z', 64999, { largeCommunity: '65000:1:103' })],
      'multi-view',
      'x',
    ),
  );
  t.like(ask(p, '192.0.2.9'), { pop: 'y', rule: 'route' });
  const e = explain(p, '192.0.2.9');
  t.deepEqual(
    e.candidates.map((c) => c.view?.asPath),
    [[3356, 64500], [64500], [174, 64500]],
  );
  withdraw(writer, rr, '192.0.2.0/24', 2);
  const r = ask(p, '192.0.2.9');
  t.true(['x', 'z'].includes(r.pop!), 'x and z tie on length; the hash picks one of them');
  t.is(r.rule, 'hash');
});

test('multi-view: no view has a route — self first, then the rest', (t) => {
  const { p } = threePops();
  t.like(ask(p, '192.0.2.1'), { pop: 'x', rule: 'no-route' });
  t.is(ask(p, '192.0.2.1').ranking.length, 3);
});

// ---------------------------------------------------------------- overrides and scope

test('overrides decide before the table (longest wins), step aside when their POP is down, and narrow the scope', (t) => {
  const { writer, reader } = rib();
  const n = neighbor(writer, '192.0.2.1', 64750);
  announce(writer, n, '198.51.0.0/16', attrs([64750]));
  announce(writer, n, '2001:db8::/32', attrs([64750]));
  const p = new Proximity(
    reader,
    setup([pop('x', 65751), pop('y', 64750), pop('z', 64999)], 'classic', 'x', [], [
      { prefix: '198.51.100.0/24', pop: 'z' },
      { prefix: '198.51.100.128/25', pop: 'x' },
      { prefix: '2001:db8:1::/48', pop: 'z' },
    ]),
  );
  t.deepEqual(ask(p, '198.51.100.7'), { pop: 'z', rule: 'override', ranking: ['z', 'y', 'x'], scope: 25 });
  t.like(ask(p, '198.51.100.200'), { pop: 'x', rule: 'override', scope: 25 });
  t.like(ask(p, '198.51.7.1'), { pop: 'y', rule: 'first-as', scope: 18 }, 'the /16 route, but not the block holding the /24 override');
  t.like(ask(p, '198.51.101.1'), { pop: 'y', scope: 24 });
  t.like(ask(p, '2001:db8:1::5'), { pop: 'z', rule: 'override', scope: 48 });
  t.like(ask(p, '2001:db8:2::5'), { pop: 'y', scope: 47 });
  const e = explain(p, '198.51.100.7');
  t.deepEqual(e.override, { prefix: '198.51.100.0/24', pop: 'z' });
  p.setDrained('z', true);
  t.like(ask(p, '198.51.100.7'), { pop: 'y', rule: 'first-as', scope: 25 });
});

test('scope: the table’s — a /16 with a /24 inside answers /24 there and 17.. outside', (t) => {
  const { writer, reader } = rib();
  const n = neighbor(writer, '192.0.2.1', 64750);
  announce(writer, n, '10.0.0.0/16', attrs([64750]));
  announce(writer, n, '10.0.5.0/24', attrs([65001]));
  const p = new Proximity(reader, setup([pop('x', 65751), pop('y', 64750)], 'classic', 'x'));
  t.like(ask(p, '10.0.5.1'), { pop: 'x', scope: 24 });
  t.like(ask(p, '10.0.128.9'), { pop: 'y', scope: 17 });
});

test('no POP configured: no answer', (t) => {
  const { reader } = rib();
  const p = new Proximity(reader, setup([]));
  t.deepEqual(ask(p, '10.0.0.1'), { pop: null, rule: 'none', ranking: [], scope: 0 });
});

test('reconfiguring keeps an operator’s drain and follows POPs by name', (t) => {
  const { reader } = rib();
  const p = new Proximity(reader, setup([pop('x', 65751), pop('y', 64750)], 'classic', 'x'));
  p.setDrained('y', true);
  p.configure(setup([pop('w', 65000), pop('y', 64750), pop('x', 65751)], 'classic', 'x'));
  t.false(p.isUp(p.indexOf('y')));
  t.true(p.isUp(p.indexOf('w')));
  t.is(p.pops[p.self]!.config.name, 'x');
});

// ---------------------------------------------------------------- hot path

test('a decision allocates nothing, classic or multi-view, IPv4 or IPv6', (t) => {
  const { writer, reader, p, nx, ny, nz } = threePops();
  const rand = seededRandom(9);
  for (let i = 0; i < 2000; i++) {
    const a = (Math.floor(rand() * 2 ** 24) << 8) >>> 0;
    for (const [id, path] of [[nx, [65751, 1, 2]], [ny, [64750, i % 7]], [nz, [64999, 3]]] as const) {
      const s = writer.intern(attrs([...path]));
      writer.announce(id, Afi.IPv4, 0, a, 0, 0, 0, 16 + (i % 9), s);
      writer.announce(id, Afi.IPv6, 0, 0x20010db8, a, 0, 0, 48, s);
      writer.release(s);
    }
  }
  const classic = new Proximity(reader, setup(p.pops.map((x) => x.config), 'classic', 'x', [], [{ prefix: '10.0.0.0/8', pop: 'z' }]));
  const addresses = Int32Array.from({ length: 4096 }, () => Math.floor(rand() * 2 ** 32) | 0);
  for (const [name, prox] of [['multi-view', p], ['classic', classic]] as const) {
    const out = prox.newDecision();
    let answered = 0;
    const v4 = () => {
      for (let i = 0; i < 10_000; i++) answered += prox.decide(Afi.IPv4, addresses[i & 4095]!, 0, 0, 0, out) >= 0 ? 1 : 0;
    };
    const v6 = () => {
      for (let i = 0; i < 10_000; i++) answered += prox.decide(Afi.IPv6, 0x20010db8, addresses[i & 4095]!, 7, 9, out) >= 0 ? 1 : 0;
    };
    for (const [family, run] of [['IPv4', v4], ['IPv6', v6]] as const) {
      run();
      const { median, readings } = medianAllocation(run);
      t.true(readings >= 10 && median < 8192, `${name} ${family}: young generation grew by ${median} bytes (median) over 10,000 decisions`);
    }
    t.true(answered > 0);
  }
});

test('hashPrefix spreads: 10,000 /24s over 3 POPs by rendezvous land within 10% of a third each', (t) => {
  const { reader } = rib();
  const p = new Proximity(reader, setup([pop('a', 1), pop('b', 1), pop('c', 1)], 'classic', 'a'));
  const out = p.newDecision();
  const counts = [0, 0, 0];
  for (let i = 0; i < 10_000; i++) {
    p.decideByFirstAs(1, hashPrefix((0x0a000000 + (i << 8)) >>> 0, 0, 0, 0, 24), out);
    counts[out.pop]!++;
  }
  for (const c of counts) t.true(c > 3000 && c < 3667, JSON.stringify(counts));
});
