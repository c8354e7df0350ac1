// Issue 13: the BGP codec fuzz (bench/lib/stress/bgp-fuzz.ts) on a fixed-seed sample, per-mutation exact RFC 7606
// outcomes as fast-check properties (fixed seeds, shrinking to one minimal mutation), and proof that the oracle
// catches broken decoders. The stress script runs the same code with 10 M cases.
import test from 'ava';
import fc from 'fast-check';
import { BgpError, ErrorCode, decodeUpdate } from '../../src/bgp/index.js';
import { checkCase, loadCorpus, OPTION_SETS, runBgpCodecFuzz, type Template, type UpdateDecoder } from '../../bench/lib/stress/bgp-fuzz.js';
import { byteMutationArbitrary, type StructMutation, structMutationArbitraries, structMutationArbitrary } from '../../bench/lib/stress/bgp-mutate.js';

const corpus = loadCorpus();

test('codec fuzz: 100k mutated real UPDATEs (fixed seed): no crash, every outcome allowed, every exact RFC 7606 outcome right', async (t) => {
  const r = await runBgpCodecFuzz({ cases: 100_000, seed: 0x13a0_0001 });
  t.log(JSON.stringify({ ...r, failures: r.failures.length }));
  for (const f of r.failures) t.log(f.slice(0, 800));
  t.is(r.cases, 100_000);
  t.is(r.crashes, 0);
  t.is(r.failed, 0);
  t.is(r.wrong, 0);
  t.is(r.referenceMismatches, 0, 'decodeUpdate and the reference decoder agree on every case');
  // The sample reaches every outcome and checks a good share of cases against an exact expectation.
  for (const [k, v] of Object.entries(r.outcomes)) t.true(v > 1000, `${k}: ${v}`);
  t.true(r.exactChecked > 15_000, `exact expectations checked: ${r.exactChecked}`);
  t.true(r.headerCases > 2000 && r.attributeSectionChecks > 20_000);
});

test('codec fuzz: two worker threads run the same cases with the same result as one thread', async (t) => {
  const one = await runBgpCodecFuzz({ cases: 20_000, seed: 77 });
  let progressed = 0;
  const two = await runBgpCodecFuzz({ cases: 20_000, seed: 77, workers: 2, onProgress: (d) => (progressed = d) });
  t.deepEqual({ ...two, seconds: 0 }, { ...one, seconds: 0 });
  t.is(progressed, 20_000);
});

// ---- the oracle catches broken decoders --------------------------------------------------------------------------

/** Announces one prefix after an UPDATE it treated as withdrawn (a route from a bad message). */
const announcesAfterWithdraw: UpdateDecoder = (buf, start, end, opts, sink) => {
  const r = decodeUpdate(buf, start, end, opts, sink);
  if (r.treatAsWithdraw && r.announced > 0) sink.announce(1, 0, 0x0a000000, 0, 0, 0, 8);
  return r;
};

/** Crashes (TypeError) on any attribute section holding type code 0. */
const crashesOnTypeZero: UpdateDecoder = (buf, start, end, opts, sink) => {
  const wl = buf.readUInt16BE(start);
  for (let p = start + 4 + wl; p + 1 < end; p++) if (buf[p] === 0x80 && buf[p + 1] === 0) throw new TypeError('cannot read properties of undefined');
  return decodeUpdate(buf, start, end, opts, sink);
};

/** Does not check ORIGIN values (a plausible bug): every well-formed ORIGIN attribute is read as IGP. */
const acceptsAnyOrigin: UpdateDecoder = (buf, start, end, opts, sink) => {
  const copy = Buffer.from(buf.subarray(start, end));
  const wl = copy.length >= 4 ? copy.readUInt16BE(0) : copy.length;
  if (4 + wl <= copy.length) {
    const aEnd = Math.min(copy.length, 4 + wl + copy.readUInt16BE(2 + wl));
    for (let p = 4 + wl; p + 3 < aEnd; ) {
      const ext = (copy[p]! & 0x10) !== 0;
      const len = ext ? copy.readUInt16BE(p + 2) : copy[p + 2]!;
      const v = p + (ext ? 4 : 3);
      if (copy[p + 1] === 1 && len === 1 && v < aEnd) copy[v] = 0;
      p = v + len;
    }
  }
  return decodeUpdate(copy, 0, copy.length, opts, sink);
};

/** Resets the session with a subcode that does not exist (7 is deprecated) where it should say 10. */
const wrongSubcode: UpdateDecoder = (buf, start, end, opts, sink) => {
  try {
    return decodeUpdate(buf, start, end, opts, sink);
  } catch (err) {
    if (err instanceof BgpError && err.subcode === 10) throw new BgpError(ErrorCode.UpdateMessage, 7, 'AS routing loop?');
    throw err;
  }
};

/** Drops MP_REACH_NLRI next-hop length checks: announces from an UPDATE whose NLRI it cannot have located. */
const lenientNextHop: UpdateDecoder = (buf, start, end, opts, sink) => {
  try {
    return decodeUpdate(buf, start, end, opts, sink);
  } catch (err) {
    if (err instanceof BgpError && err.subcode === 9) return { attributes: null, treatAsWithdraw: false, errors: [], endOfRib: 0, announced: 0, withdrawn: 0 };
    throw err;
  }
};

for (const [name, broken, field] of [
  ['announces from a treat-as-withdraw UPDATE', announcesAfterWithdraw, 'failed'],
  ['throws a TypeError', crashesOnTypeZero, 'crashes'],
  ['accepts ORIGIN 3..255', acceptsAnyOrigin, 'wrong'],
  ['sends subcode 7 for a bad prefix length', wrongSubcode, 'failed'],
  ['ignores a bad MP_REACH next-hop length', lenientNextHop, 'wrong'],
] as const) {
  test(`codec fuzz: the oracle catches a decoder that ${name}`, async (t) => {
    const r = await runBgpCodecFuzz({ cases: 20_000, seed: 0x13a0_0002, decode: broken });
    t.log(r.failures[0]?.slice(0, 300));
    t.true(r[field] > 0, `${field}: ${r[field]}`);
    t.true(r.failures.length > 0);
  });
}

test('codec fuzz: the reference decoder catches what no single-mutation rule sees (ORIGIN unchecked, combined mutations)', async (t) => {
  const r = await runBgpCodecFuzz({ cases: 20_000, seed: 0x13a0_0003, decode: acceptsAnyOrigin });
  t.true(r.referenceMismatches > 0, `reference mismatches: ${r.referenceMismatches}`);
  t.true(r.failures.some((f) => /reference decoder: treatAsWithdraw: codec false, reference true/.test(f) && /"kind":"byte|"kind":"[a-z-]+".*"kind"/.test(f)));
});

// ---- per-mutation exact outcomes (fast-check, fixed seeds) --------------------------------------------------------

/** A clean template and the option set matching its recording. */
async function templates(): Promise<{ list: Template[]; matching: (t: Template) => number }> {
  const list = await corpus;
  return { list, matching: (tpl) => (tpl.parsed.asSize === 4 ? 0 : 1) };
}

/**
 * Each mutation kind named by the issue, over real messages: the outcome obeys the general rules, and where the
 * RFC fixes the outcome from the mutation alone, it is exactly that. `mustSee` lists expectation kinds (with
 * subcodes) the run must have checked at least once, so a property cannot pass by never applying.
 */
const properties: { kind: StructMutation['kind']; mustSee: string[]; addPath?: boolean }[] = [
  { kind: 'origin', mustSee: ['treat-as-withdraw/6', 'same-routes'] },
  { kind: 'as-path-count', mustSee: ['treat-as-withdraw/11'] },
  { kind: 'as-path-type', mustSee: ['treat-as-withdraw/11', 'same-routes'] },
  { kind: 'mp-next-hop-length', mustSee: ['reset/9', 'same-routes'] },
  { kind: 'mp-family', mustSee: ['counts'] },
  { kind: 'flags', mustSee: ['treat-as-withdraw/4', 'reset/4', 'same-routes'] },
  { kind: 'extended-length-toggle', mustSee: ['same-routes'] },
  { kind: 'attribute-length', mustSee: ['treat-as-withdraw/1'] },
  { kind: 'withdrawn-length', mustSee: ['reset/1'] },
  { kind: 'attribute-total-length', mustSee: ['reset/1'] },
  { kind: 'value-resize', mustSee: ['treat-as-withdraw/5', 'discard/5'] },
  { kind: 'insert-unknown', mustSee: ['treat-as-withdraw/2', 'same-routes'] },
  { kind: 'duplicate', mustSee: ['discard/1', 'reset/1'] },
  { kind: 'remove', mustSee: ['treat-as-withdraw/3'] },
  { kind: 'next-hop', mustSee: ['treat-as-withdraw/8', 'same-routes'] },
  { kind: 'prefix-length', mustSee: ['reset/10'] },
  { kind: 'nlri-cut', mustSee: ['reset/10', 'counts'] },
  { kind: 'add-path', mustSee: ['same-routes-with-path-ids'], addPath: true },
  { kind: 'to-withdrawal', mustSee: ['counts'] },
];

for (const [n, p] of properties.entries()) {
  test(`codec property: ${p.kind} mutations of real UPDATEs have their RFC 7606 outcome`, async (t) => {
    const { list, matching } = await templates();
    const seen = new Set<string>();
    const arb = structMutationArbitraries[p.kind] as fc.Arbitrary<StructMutation>;
    fc.assert(
      fc.property(fc.nat(list.length - 1), arb, (i, m) => {
        const tpl = list[i]!;
        const k = matching(tpl) + (p.addPath === true ? 2 : 0);
        const v = checkCase(tpl, k, [m]);
        if (v.expected !== null) seen.add(v.expected.kind + ('subcode' in v.expected ? `/${v.expected.subcode}` : ''));
        if (v.failure !== null) throw new Error(`${v.failure}\noptions ${JSON.stringify(OPTION_SETS[k])}\nbody ${v.body.toString('hex')}`);
      }),
      { seed: 0x13a0_1000 + n, numRuns: 1500 },
    );
    for (const want of p.mustSee) t.true(seen.has(want), `${p.kind}: saw ${[...seen].join(', ')}, never ${want}`);
  });
}

test('codec property: mixed structured and byte mutations under every option set never break the general rules', async (t) => {
  const { list } = await templates();
  const mutations = fc.tuple(fc.array(structMutationArbitrary, { minLength: 1, maxLength: 4 }), fc.array(byteMutationArbitrary, { maxLength: 3 }));
  fc.assert(
    fc.property(fc.nat(list.length - 1), fc.nat(OPTION_SETS.length - 1), mutations, (i, k, [s, b]) => {
      const v = checkCase(list[i]!, k, [...s, ...b]);
      if (v.failure !== null) throw new Error(`${v.failure}\nbody ${v.body.toString('hex')}`);
    }),
    { seed: 0x13a0_2000, numRuns: 5000 },
  );
  t.pass();
});

test('codec property: the property runner itself fails on a broken decoder (shrinks to one mutation)', async (t) => {
  const { list, matching } = await templates();
  const result = fc.check(
    fc.property(fc.nat(list.length - 1), structMutationArbitraries.origin, (i, m) => {
      const tpl = list[i]!;
      return checkCase(tpl, matching(tpl), [m]).failure === null;
    }),
    { seed: 0x13a0_3000, numRuns: 200 },
  );
  // The real decoder passes this property; swap in the ORIGIN-blind one and it must fail.
  t.false(result.failed);
  const blind = fc.check(
    fc.property(fc.nat(list.length - 1), structMutationArbitraries.origin, (i, m) => {
      const tpl = list[i]!;
      return checkCase(tpl, matching(tpl), [m], acceptsAnyOrigin).failure === null;
    }),
    { seed: 0x13a0_3000, numRuns: 200 },
  );
  t.true(blind.failed);
  t.is(blind.counterexample?.[1].kind, 'origin');
  t.true((blind.counterexample?.[1].value ?? 0) > 2, 'the counterexample is an undefined ORIGIN value');
});
