// Fuzzing the DNS responder (issue 13) with fixed seeds: random and structure-aware packets in process (the UDP
// server's own call) and through the real server over UDP (native batch socket and node:dgram) and TCP. Each
// reply is judged by the independent oracle of bench/lib/stress/dns-fuzz.ts; interleaved known-good queries must
// get exactly the POP the routes give. Broken subjects show the oracle catches a crash, a wrong answer and a
// dropped query; and after the fuzz, dig still gets the right answer from the fuzzed server.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { DnsFuzzWorld, checkPacket, dnsFuzzCase, ecsOption, encodeQuery, rawOption, runDnsFuzz, startFuzzServer, wire, FUZZ_NAMES, FUZZ_QCLASSES, FUZZ_QTYPES, type AnswerFn, type DnsFuzzResult, type OptShape, type QueryShape } from '../../bench/lib/stress/dns-fuzz.js';
import { loadUdpBatch, udpBatchUnavailableReason } from '../../src/dns/index.js';
import { Afi } from '../../src/bgp/index.js';
import { parseAddress } from '../../src/rib/index.js';
import { missingReason, peerTest, queryWith } from '../helpers/peers/index.js';

/** Before any test is declared (ava wants them declared synchronously): whether dig is here. */
const digMissing = [await missingReason('dig')].filter((m) => m !== null);

// Every run here is a sizeable CPU burst: one at a time, so that the UDP runs' short drop timeouts are not
// starved by an in-process run sharing the event loop.

/** Nothing escaped, nothing unanswered, nothing wrong; and the generator reached every kind of outcome. */
function clean(t: ExecutionContext, r: DnsFuzzResult, cases: number): void {
  t.is(r.cases, cases);
  t.is(r.crashes, 0, r.failures.join('\n'));
  t.is(r.failed, 0, r.failures.join('\n'));
  t.is(r.wrong, 0, r.failures.join('\n'));
  t.is(r.violations, 0, r.failures.join('\n'));
  t.deepEqual(r.failures, []);
  t.true(r.good >= Math.floor(cases / 100) - 1, `${r.good} good queries interleaved`);
  t.true(r.formerr > cases / 10, `${r.formerr} FORMERR`);
  t.true(r.dropped > 0, `${r.dropped} dropped`);
  t.true(r.answered - r.formerr > cases / 5, `${r.answered} answered`);
}

test.serial('in process: 150,000 random and mutated packets, never an exception, every reply as the oracle allows, every good query answered exactly', async (t) => {
  const cases = 150_000;
  const r = await runDnsFuzz({ cases, seed: 20261130, mode: 'inprocess' });
  t.log(`${cases} cases in ${r.seconds.toFixed(1)} s: ${r.formerr} FORMERR, ${r.dropped} dropped, ${r.answered} answered`);
  clean(t, r, cases);
});

// ------------------------------------------------------------------------------------------------ broken subjects

/** Throws a TypeError on packets of one length: as a bug in a rarely taken branch would. */
const throwing = (real: AnswerFn): AnswerFn => (...args) => {
  if (args[2] === 41) throw new TypeError('Cannot read properties of undefined');
  return real(...args);
};
/** Answers the A record of every 20th decided answer with the next address. */
const misanswering = (real: AnswerFn): AnswerFn => {
  let n = 0;
  return (...args) => {
    const length = real(...args);
    const out = args[9];
    const o = args[10];
    const ancount = (out[o + 6]! << 8) | out[o + 7]!;
    const additional = (out[o + 10]! << 8) | out[o + 11]!;
    // A lone A record ends the answer when there is no OPT: its last octet is the address's last.
    if (length > 0 && ancount === 1 && additional === 0 && out[o + length - 6] === 0 && out[o + length - 5] === 4 && ++n % 20 === 0) out[o + length - 1]! ^= 1;
    return length;
  };
};
/** Drops every 30th query it would answer. */
const dropping = (real: AnswerFn): AnswerFn => {
  let n = 0;
  return (...args) => {
    const length = real(...args);
    return length > 0 && ++n % 30 === 0 ? 0 : length;
  };
};

test.serial('the oracle catches a broken responder: a throw is a crash, a wrong address is wrong, a dropped good query failed', async (t) => {
  const cases = 10_000;
  const thrown = await runDnsFuzz({ cases, seed: 7, subject: throwing });
  t.true(thrown.crashes > 0, 'exceptions counted');
  // A failure names seed and case: dnsFuzzCase() makes the same packet again.
  const [, index, hexQuery] = /^seed 7 case (\d+): TypeError.*; query ([0-9a-f]+)$/.exec(thrown.failures[0] ?? '') ?? [];
  t.truthy(index, thrown.failures[0]);
  const again = dnsFuzzCase(7, Number(index));
  t.is(Buffer.from(again.packet).toString('hex'), hexQuery);
  t.is(again.packet.length, 41);
  const wrong = await runDnsFuzz({ cases, seed: 7, subject: misanswering });
  t.true(wrong.wrong + wrong.violations > 0, 'wrong answers counted');
  t.regex(wrong.failures.join('\n'), /the table gives/);
  const dropped = await runDnsFuzz({ cases, seed: 7, subject: dropping });
  t.true(dropped.failed > 0, 'unanswered good queries counted');
  t.is(thrown.crashes + wrong.crashes + dropped.crashes, thrown.crashes, 'only the throwing subject crashes');
});

// ------------------------------------------------------------------------------------------------ fast-check

/** QueryShapes: each field from the values that matter, counts lying or not, OPT and ECS good or broken. */
function shapes(): fc.Arbitrary<QueryShape> {
  const zone = wire('example.test');
  const ecsGood = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 128 }), fc.uint8Array({ minLength: 16, maxLength: 16 })).map(([v6, s, bytes]) => {
    const source = v6 ? s : s % 33;
    const address = bytes.slice(0, (source + 7) >> 3);
    if ((source & 7) !== 0) address[address.length - 1]! &= 0xff << (8 - (source & 7));
    return ecsOption(v6 ? 2 : 1, source, 0, address);
  });
  const ecsAny = fc.tuple(fc.constantFrom(0, 1, 2, 3), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0, 8), fc.uint8Array({ maxLength: 18 }), fc.constantFrom(0, 0, -1, 2))
    .map(([family, source, scope, address, delta]) => ecsOption(family, source, scope, address, delta));
  const option = fc.oneof(
    { weight: 4, arbitrary: ecsGood },
    { weight: 2, arbitrary: ecsAny },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => rawOption(10, b)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ maxLength: 8 })).map(([code, b]) => rawOption(code, b)) },
  );
  const opt: fc.Arbitrary<OptShape> = fc.record({
    owner: fc.constantFrom(Uint8Array.of(0), Uint8Array.of(0), zone),
    udpSize: fc.constantFrom(0, 511, 512, 1232, 4096, 65535),
    extRcode: fc.constantFrom(0, 0, 1),
    version: fc.constantFrom(0, 0, 0, 1, 255),
    flags: fc.constantFrom(0, 0x8000, 0xffff),
    options: fc.array(option, { maxLength: 2 }).map((list) => Uint8Array.from(list.flatMap((b) => [...b]))),
    rdlengthDelta: fc.constantFrom(0, 0, 0, 0, -1, 3),
  });
  const count = fc.option(fc.constantFrom(0, 1, 2, 65535), { freq: 5 });
  return fc.record({
    id: fc.integer({ min: 0, max: 65535 }),
    flags: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 0x0100, 0x0010, 0x0020) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FUZZ_NAMES).map(wire) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) }),
    questions: fc.constantFrom(1, 1, 1, 1, 0, 2),
    qtype: fc.constantFrom(...FUZZ_QTYPES),
    qclass: fc.constantFrom(...FUZZ_QCLASSES),
    opts: fc.array(opt, { maxLength: 2 }),
    optSection: fc.constantFrom('additional', 'additional', 'additional', 'answer', 'authority'),
    qdcount: count,
    ancount: count,
    nscount: count,
    arcount: count,
    trailing: fc.oneof({ weight: 5, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  });
}

test.serial('fast-check: structured queries (every header, question, OPT and ECS field drawn) all get what the oracle allows', (t) => {
  const world = new DnsFuzzWorld();
  const buffer = new Uint8Array(8192);
  const clients = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('10.1.1.7', '10.1.2.3', '2001:db8:1:ff00::1', '::ffff:10.1.1.1'));
  const result = fc.check(
    fc.property(shapes(), clients, fc.boolean(), (shape, client, tcp) => {
      const n = encodeQuery(shape, buffer);
      const problem = checkPacket(world, buffer.slice(0, n), client, tcp);
      if (problem !== '') throw new Error(problem);
    }),
    { seed: 13, numRuns: 4000 },
  );
  t.false(result.failed, fc.defaultReportMessage(result) ?? '');
});

test.serial('fast-check finds a broken subject too (the oracle is not vacuous for structured queries)', (t) => {
  const world = new DnsFuzzWorld();
  const real = world.responder.answer.bind(world.responder);
  // Echoes the question only as far as its name: the QTYPE/QCLASS octets come back zeroed.
  world.responder.answer = (...args: Parameters<AnswerFn>): number => {
    const n = real(...args);
    const out = args[9];
    if (n > 0 && out[5] === 1) {
      let p = 12;
      while (p < n && out[p] !== 0) p += out[p]! + 1;
      for (let i = p + 1; i < p + 5 && i < n; i++) out[i] = 0;
    }
    return n;
  };
  const buffer = new Uint8Array(8192);
  const result = fc.check(
    fc.property(shapes(), (shape) => {
      const n = encodeQuery(shape, buffer);
      const problem = checkPacket(world, buffer.slice(0, n), '10.1.1.7');
      if (problem !== '') throw new Error(problem);
    }),
    { seed: 13, numRuns: 2000 },
  );
  t.true(result.failed);
  t.regex(String((result.errorInstance as Error | null)?.message), /question not echoed/);
});

// ------------------------------------------------------------------------------------------------ over the wire

const ci = process.env['CI'] === 'true';
const nativeMissing = loadUdpBatch() === null ? `the native UDP socket is not built (${udpBatchUnavailableReason()})` : null;

for (const native of [true, false]) {
  const title = `over the wire (${native ? 'native UDP' : 'node:dgram'}, and TCP): 2,500 packets through the real server, judged alike`;
  if (native && nativeMissing !== null && !ci) {
    test.skip(`${title} (skipped: ${nativeMissing})`, () => undefined);
    continue;
  }
  test.serial(title, async (t) => {
    if (native && nativeMissing !== null) return t.fail(`${nativeMissing}; CI=true requires it`);
    const server = await startFuzzServer({ block: 103, native });
    t.teardown(() => server.stop());
    t.is(server.server.udpPath, native ? 'native' : 'dgram');
    const cases = 2500;
    const r = await runDnsFuzz({ cases, seed: native ? 31 : 32, mode: 'udp', server });
    t.log(`${cases} cases (${r.tcp} over TCP) in ${r.seconds.toFixed(1)} s: ${r.formerr} FORMERR, ${r.dropped} dropped, ${r.answered} answered`);
    clean(t, r, cases);
    t.true(r.tcp > cases / 20, `${r.tcp} over TCP`);
  });
}

test.serial('over the wire, a broken subject: the good queries it drops are counted failed', async (t) => {
  const server = await startFuzzServer({ block: 103, native: false });
  t.teardown(() => server.stop());
  const r = await runDnsFuzz({ cases: 1500, seed: 33, mode: 'udp', server, goodEvery: 10, subject: dropping, answerWaitMs: 1500 });
  t.true(r.failed > 0, r.failures.join('\n'));
  t.is(r.crashes, 0);
});

// ------------------------------------------------------------------------------------------------ dig afterwards

peerTest(digMissing, 'after the fuzz, dig still gets the right answer from the fuzzed server (UDP and TCP, with and without ECS)', async (t) => {
  const server = await startFuzzServer({ block: 104 });
  t.teardown(() => server.stop());
  const r = await runDnsFuzz({ cases: 1500, seed: 41, mode: 'udp', server });
  t.is(r.crashes + r.failed + r.wrong + r.violations, 0, r.failures.join('\n'));
  const world = server.world;
  const want = { pop: '', scope: 0 };
  const ask = (args: string[]) => queryWith('dig', [`@${server.address}`, '-p', String(server.port), '-b', server.clientAddress, '+time=5', '+tries=2', ...args]);
  const ipOf = (pop: string, v6: boolean): string => (v6 ? world.config.pops.find((p) => p.name === pop)!.ipv6! : world.config.pops.find((p) => p.name === pop)!.ipv4!);

  // Without ECS: the decision for the client's own (loopback) address.
  const self = parseAddress(server.clientAddress);
  world.expected(false, Int32Array.of(self.a, 0, 0, 0), want);
  for (const transport of ['+notcp', '+tcp']) {
    const reply = await ask(['www.example.test', 'A', transport]);
    t.is(reply.status, 'NOERROR', reply.raw);
    t.deepEqual(reply.answer.map((a) => [a.type, a.data, a.ttl]), [['A', ipOf(want.pop, false), 20]], reply.raw);
  }
  // With ECS: the subnet's decision and scope, IPv4 and IPv6.
  for (const [subnet, type] of [['10.1.2.0/24', 'A'], ['10.1.1.0/24', 'AAAA'], ['2001:db8:1:ff42::/64', 'A']] as const) {
    const [ip, source] = subnet.split('/');
    const p = parseAddress(ip!);
    world.expected(p.afi === Afi.IPv6, Int32Array.of(p.a, p.b, p.c, p.d), want);
    const reply = await ask(['www.example.test', type, `+subnet=${subnet}`]);
    t.is(reply.status, 'NOERROR', reply.raw);
    t.deepEqual(reply.answer.map((a) => a.data), [ipOf(want.pop, type === 'AAAA')], `${subnet}\n${reply.raw}`);
    t.deepEqual(reply.ecs, { address: ip, source: Number(source), scope: want.scope }, `${subnet}\n${reply.raw}`);
  }
});
