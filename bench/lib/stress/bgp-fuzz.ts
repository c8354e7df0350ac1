// BGP codec fuzz (issue 13): structure-aware and byte-level mutations of the real UPDATEs in ../shared/data/mrt
// (4-octet AS from 2016, 2-octet AS from 2007) through decodeUpdate, decodeAttributes (update and mrt-rib modes)
// and MessageFramer, under several DecodeOptions. Every case is reproducible from (seed, case index); each is
// checked against the generic rules (bgp-oracle.ts checkDecode) and, for a single structured mutation of a clean
// message, against the exact RFC 7606 outcome of that mutation. The stress script runs 10 M cases on 2 workers.
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  BgpError,
  type DecodeOptions,
  MessageFramer,
  type NlriSink,
  type UpdateResult,
  decodeAttributes,
  decodeUpdate,
} from '../../../src/bgp/index.js';
import { loadMrtMessages } from '../../../src/mrt/index.js';
import { sharedMrtDir } from '../../../test/bgp/helpers/real-updates.js';
import {
  applyByteMutation,
  applyStructMutation,
  type ByteMutation,
  cloneUpdate,
  describeMutations,
  encodeInto,
  encodedLength,
  isByteMutation,
  type ParsedUpdate,
  parseUpdate,
  prefixOffsets,
  randomByteMutation,
  randomStructMutation,
  type StructMutation,
} from './bgp-mutate.js';
import { type CleanFacts, checkDecode, checkExpectation, compareWithReference, DigestSink, expectedOutcome, type Outcome, validNotificationPair } from './bgp-oracle.js';
import { emptyVerdict, referenceDecode } from './bgp-reference.js';

/** The subject under test: decodeUpdate's signature (tests pass a deliberately broken one). */
export type UpdateDecoder = (buf: Buffer, start: number, end: number, opts: DecodeOptions, sink: NlriSink) => UpdateResult;

export interface BgpCodecFuzzOptions {
  cases: number;
  seed: number;
  onProgress?: (done: number) => void;
  /** Worker threads to split the cases over (default 1: this thread). Ignored with a custom `decode`. */
  workers?: number;
  /** Default decodeUpdate. */
  decode?: UpdateDecoder;
}

export interface BgpCodecFuzzResult {
  cases: number;
  /** Exceptions other than BgpError out of the codec, and workers that died or hung. */
  crashes: number;
  /** Cases breaking a rule every outcome must obey (crashes included). */
  failed: number;
  /** Cases whose exact RFC 7606 outcome (known from the mutation alone) was not the one decoded. */
  wrong: number;
  /** Cases that had such an exact expectation. */
  exactChecked: number;
  /** Cases where decodeUpdate and the reference decoder (bgp-reference.ts) disagreed (counted in `wrong`). */
  referenceMismatches: number;
  /** Cases per outcome. */
  outcomes: Record<Outcome, number>;
  /** Extra decodeAttributes calls (update / mrt-rib mode) made on the mutated attribute sections. */
  attributeSectionChecks: number;
  /** Cases that went through MessageFramer with a mutated header. */
  headerCases: number;
  failures: string[];
  seconds: number;
}

const MAX_FAILURES = 20;
const FILES: readonly { file: string; asSize: 2 | 4 }[] = [
  { file: 'updates.20160811.1600.gz', asSize: 4 },
  { file: 'updates.20070211.0141.gz', asSize: 2 },
];

/** Option sets a case decodes under: AS size as recorded or not, ADD-PATH or not, eBGP checks or not. */
const OPTION_SETS: readonly DecodeOptions[] = [
  { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, extendedMessage: false },
  { fourOctetAs: false, addPathIpv4: false, addPathIpv6: false, extendedMessage: false },
  { fourOctetAs: true, addPathIpv4: true, addPathIpv6: true, extendedMessage: false },
  { fourOctetAs: false, addPathIpv4: true, addPathIpv6: true, extendedMessage: false },
  { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, extendedMessage: false, ebgp: true },
  { fourOctetAs: false, addPathIpv4: false, addPathIpv6: false, extendedMessage: false, ebgp: true },
];

interface Template {
  parsed: ParsedUpdate;
  /** Per option set: what the clean message delivers, null when it does not decode cleanly; undefined: not yet known. */
  facts: (CleanFacts | null | undefined)[];
}

let corpus: Promise<Template[]> | null = null;

/** The real UPDATEs, parsed once per thread. */
export function loadCorpus(): Promise<Template[]> {
  corpus ??= (async () => {
    const out: Template[] = [];
    for (const { file, asSize } of FILES) {
      const { messages } = await loadMrtMessages(path.join(sharedMrtDir(), file));
      for (const m of messages) {
        if (m.addPath || m.message.length > 4096) continue;
        const parsed = parseUpdate(m.message.subarray(19), asSize);
        if (parsed !== null) out.push({ parsed, facts: new Array(OPTION_SETS.length).fill(undefined) });
      }
    }
    return out;
  })();
  return corpus;
}

// ---- a small seeded PRNG without a closure per case (mulberry32, as src/util seededRandom) --------------------------

let prngState = 0;
function reseed(seed: number, index: number): void {
  prngState = (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(index, 0x85ebca77)) >>> 0;
}
function rand(): number {
  prngState = (prngState + 0x6d2b79f5) >>> 0;
  let t = prngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function int(n: number): number {
  return Math.floor(rand() * n);
}

const isBgpError = (e: unknown): e is BgpError => e instanceof BgpError;

/** What the clean template delivers under option set k (null when it does not decode without any error). */
function factsFor(t: Template, k: number, sink: DigestSink, scratch: Buffer): CleanFacts | null {
  const known = t.facts[k];
  if (known !== undefined) return known;
  const len = encodeInto(t.parsed, scratch);
  sink.reset();
  let facts: CleanFacts | null = null;
  try {
    const r = decodeUpdate(scratch, 0, len, OPTION_SETS[k]!, sink);
    if (r.errors.length === 0) {
      facts = {
        announces: sink.announces,
        withdraws: sink.withdraws,
        announceDigest: sink.announceDigest,
        withdrawDigest: sink.withdrawDigest,
        nlriCount: prefixOffsets(t.parsed.nlri, 0, false)?.length ?? -1,
        withdrawnCount: prefixOffsets(t.parsed.withdrawn, 0, false)?.length ?? -1,
      };
    }
  } catch {
    facts = null;
  }
  t.facts[k] = facts;
  return facts;
}

/** The option set for a case: mostly the recording's own AS size, sometimes ADD-PATH, eBGP or the wrong AS size. */
function pickOptions(t: Template, wantAddPath: boolean): number {
  const four = t.parsed.asSize === 4 ? 0 : 1;
  const r = rand();
  if (wantAddPath) return r < 0.85 ? 2 + four : four;
  if (r < 0.6) return four;
  if (r < 0.72) return 2 + four;
  if (r < 0.84) return 4 + four;
  return int(OPTION_SETS.length);
}

// ---- the reference framer (RFC 4271 4.1 / 6.1, RFC 7313 5), for the header cases -------------------------------------

const MIN_LENGTH = [19, 29, 23, 21, 19, 23];

export interface FramingVerdict {
  /** Whole messages framed before any error: [type, offset, length]. */
  messages: number[];
  code: number;
  subcode: number;
}

export function referenceFrame(buf: Buffer, total: number, out: FramingVerdict): void {
  out.messages.length = 0;
  out.code = 0;
  out.subcode = 0;
  let off = 0;
  while (total - off >= 19) {
    for (let i = 0; i < 16; i++) {
      if (buf[off + i] !== 0xff) {
        out.code = 1;
        out.subcode = 1;
        return;
      }
    }
    const length = (buf[off + 16]! << 8) | buf[off + 17]!;
    const type = buf[off + 18]!;
    if (type < 1 || type > 5) {
      out.code = 1;
      out.subcode = 3;
      return;
    }
    if (length < MIN_LENGTH[type]! || length > 4096 || (type === 4 && length !== 19)) {
      out.code = 1;
      out.subcode = 2;
      return;
    }
    if (total - off < length) return; // waits for the rest
    if (type === 5 && length !== 23) {
      out.code = 7;
      out.subcode = 1;
      return;
    }
    out.messages.push(type, off, length);
    off += length;
  }
}

// ---- one range of cases -------------------------------------------------------------------------------------------

/** A range's tallies: the run's result without its time. */
type RangeResult = Omit<BgpCodecFuzzResult, 'seconds'>;

function emptyRange(): RangeResult {
  return {
    cases: 0,
    crashes: 0,
    failed: 0,
    wrong: 0,
    exactChecked: 0,
    referenceMismatches: 0,
    outcomes: { decoded: 0, treatAsWithdraw: 0, attributeDiscard: 0, notification: 0 },
    attributeSectionChecks: 0,
    headerCases: 0,
    failures: [],
  };
}

async function runRange(
  seed: number,
  from: number,
  to: number,
  decode: UpdateDecoder,
  progress: (done: number) => void,
): Promise<RangeResult> {
  const templates = await loadCorpus();
  const res = emptyRange();
  const scratch = Buffer.alloc(70_000);
  const frame = Buffer.alloc(70_000);
  const sink = new DigestSink();
  const factsSink = new DigestSink();
  const reference = emptyVerdict();
  const structs: StructMutation[] = [];
  const bytes: ByteMutation[] = [];
  const verdict: FramingVerdict = { messages: [], code: 0, subcode: 0 };
  /** Records a failed case ('wrong': an exact-outcome miss; crash: a non-BgpError escaped). */
  const fail = (i: number, k: number, what: string, len: number, buf: Buffer, crash: boolean, wrong = false): void => {
    if (wrong) res.wrong++;
    else res.failed++;
    if (crash) res.crashes++;
    if (res.failures.length < MAX_FAILURES) {
      res.failures.push(`seed=${seed} case=${i} options=${JSON.stringify(OPTION_SETS[k])}: ${what}; mutations ${describeMutations([...structs, ...bytes])}; body ${buf.subarray(0, len).toString('hex')}`);
    }
  };

  // Most mutated messages are rejected: a stack trace per BgpError would be half the run's time, and none is read.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (let i = from; i < to; i++) runCase(i);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  progress(to - from);
  return res;

  function runCase(i: number): void {
    reseed(seed, i);
    const t = templates[int(templates.length)]!;
    structs.length = 0;
    bytes.length = 0;
    const shape = rand();
    const headerCase = shape >= 0.95;
    if (shape < 0.5) {
      structs.push(randomStructMutation(rand));
    } else if (shape < 0.8) {
      for (let k = 1 + int(3); k > 0; k--) structs.push(randomStructMutation(rand));
      for (let k = int(3); k > 0; k--) bytes.push(randomByteMutation(rand));
    } else if (!headerCase) {
      for (let k = 1 + int(4); k > 0; k--) bytes.push(randomByteMutation(rand));
    } else if (rand() < 0.5) {
      structs.push(randomStructMutation(rand));
    }
    const k = pickOptions(t, structs.length === 1 && structs[0]!.kind === 'add-path');
    const u = cloneUpdate(t.parsed);
    let applied = true;
    for (const m of structs) applied = applyStructMutation(u, m) && applied;
    if (encodedLength(u) + 16 > scratch.length) return;
    let len = encodeInto(u, scratch);
    for (const m of bytes) len = applyByteMutation(scratch, len, m);
    res.cases++;

    if (headerCase) {
      res.headerCases++;
      frameAndCheck(i, k, len);
    } else {
      decodeAndCheck(i, k, scratch, len, t, applied);
    }
    if ((i & 3) === 0) attributeSection(i, k, len, (i & 4) === 0 ? 'update' : 'mrt-rib');
    if ((i - from + 1) % 10_000 === 0) progress(i - from + 1);
  }

  function decodeAndCheck(i: number, k: number, buf: Buffer, len: number, t: Template, applied: boolean): void {
    const opts = OPTION_SETS[k]!;
    sink.reset();
    let thrown: unknown = undefined;
    let result: UpdateResult | null = null;
    try {
      result = decode(buf, 0, len, opts, sink);
    } catch (err) {
      thrown = err;
    }
    const [outcome, problem] = checkDecode(thrown, result, sink, isBgpError);
    res.outcomes[outcome]++;
    if (problem !== null) {
      fail(i, k, problem, len, buf, thrown !== undefined && !isBgpError(thrown));
      return;
    }
    referenceDecode(buf, len, opts, reference);
    const disagreement = compareWithReference(thrown, result, sink, reference);
    if (disagreement !== null) {
      res.referenceMismatches++;
      fail(i, k, `reference decoder: ${disagreement}`, len, buf, false, true);
      return;
    }
    if (structs.length !== 1 || bytes.length !== 0 || !applied) return;
    // ADD-PATH re-encoding is checked against the plain message decoded without ADD-PATH.
    const plain = structs[0]!.kind === 'add-path' && k >= 2 && k <= 3 ? k - 2 : k;
    const facts = factsFor(t, plain, factsSink, frame);
    if (facts === null) return;
    const expected = expectedOutcome(t.parsed, facts, structs[0]!, opts);
    if (expected === null) return;
    res.exactChecked++;
    const wrong = checkExpectation(expected, thrown, result, sink, facts);
    if (wrong !== null) fail(i, k, `exact outcome: ${wrong}`, len, buf, false, true);
  }

  /** Wraps the body in a header, mutates the header, and checks MessageFramer against the reference framer. */
  function frameAndCheck(i: number, k: number, len: number): void {
    frame.fill(0xff, 0, 16);
    let declared = 19 + len;
    let type = 2;
    const which = int(4);
    if (which === 0) frame[int(16)] ^= 1 << int(8);
    else if (which === 1) declared = rand() < 0.5 ? declared + int(9) - 4 : int(65536);
    else if (which === 2) type = int(8);
    declared &= 0xffff;
    frame.writeUInt16BE(declared, 16);
    frame[18] = type;
    scratch.copy(frame, 19, 0, len);
    // A longer declared length gets zero padding (the peer sent more), so the message is complete whenever it fits.
    let total = 19 + len;
    if (declared > total && declared <= 4200) {
      frame.fill(0, total, declared);
      total = declared;
    }
    referenceFrame(frame, total, verdict);
    let framed: { type: number; message: Buffer }[] = [];
    let thrown: unknown = undefined;
    try {
      framed = new MessageFramer().push(frame.subarray(0, total));
    } catch (err) {
      thrown = err;
    }
    if (verdict.code !== 0) {
      res.outcomes.notification++;
      if (!isBgpError(thrown)) {
        fail(i, k, `framer: expected ${verdict.code}/${verdict.subcode}, got ${thrown === undefined ? `${framed.length} message(s)` : String(thrown)}`, total, frame, thrown !== undefined);
      } else if (thrown.code !== verdict.code || thrown.subcode !== verdict.subcode || !validNotificationPair(thrown.code, thrown.subcode)) {
        fail(i, k, `framer: expected ${verdict.code}/${verdict.subcode}, got ${thrown.code}/${thrown.subcode}`, total, frame, false);
      }
      return;
    }
    if (thrown !== undefined) {
      res.outcomes.notification++;
      fail(i, k, `framer threw ${String(thrown)} on a well-framed stream`, total, frame, !isBgpError(thrown));
      return;
    }
    if (framed.length * 3 !== verdict.messages.length) {
      fail(i, k, `framer cut ${framed.length} message(s), reference ${verdict.messages.length / 3}`, total, frame, false);
      return;
    }
    if (framed.length === 0) {
      res.outcomes.decoded++; // waiting for more bytes: nothing decided yet
      return;
    }
    for (let m = 0; m < framed.length; m++) {
      const f = framed[m]!;
      if (f.type !== verdict.messages[3 * m] || f.message.length !== verdict.messages[3 * m + 2]) {
        fail(i, k, `framer cut type ${f.type} length ${f.message.length}, reference ${verdict.messages[3 * m]}/${verdict.messages[3 * m + 2]}`, total, frame, false);
        return;
      }
    }
    const first = framed[0]!;
    if (first.type === 2) {
      const body = first.message.subarray(19);
      sink.reset();
      let err: unknown = undefined;
      let result: UpdateResult | null = null;
      try {
        result = decode(body, 0, body.length, OPTION_SETS[k]!, sink);
      } catch (e) {
        err = e;
      }
      const [outcome, problem] = checkDecode(err, result, sink, isBgpError);
      res.outcomes[outcome]++;
      if (problem !== null) {
        fail(i, k, `framed UPDATE: ${problem}`, total, frame, err !== undefined && !isBgpError(err));
        return;
      }
      referenceDecode(body, body.length, OPTION_SETS[k]!, reference);
      const disagreement = compareWithReference(err, result, sink, reference);
      if (disagreement !== null) {
        res.referenceMismatches++;
        fail(i, k, `framed UPDATE, reference decoder: ${disagreement}`, total, frame, false, true);
      }
    } else {
      res.outcomes.decoded++;
    }
  }

  /** decodeAttributes alone on the mutated attribute section: a result or a session-reset BgpError, nothing else. */
  function attributeSection(i: number, k: number, len: number, mode: 'update' | 'mrt-rib'): void {
    if (len < 4) return;
    const wl = scratch.readUInt16BE(0);
    if (4 + wl > len) return;
    const start = 4 + wl;
    const end = Math.min(len, start + scratch.readUInt16BE(2 + wl));
    res.attributeSectionChecks++;
    try {
      const r = decodeAttributes(scratch, start, end, OPTION_SETS[k]!, mode);
      for (const e of r.errors ?? []) {
        if (!isBgpError(e) || e.action === 'session-reset' || e.code !== 3) {
          fail(i, k, `decodeAttributes(${mode}) returned a bad error ${String(e)}`, len, scratch, false);
          return;
        }
      }
    } catch (err) {
      if (!isBgpError(err)) fail(i, k, `decodeAttributes(${mode}) threw ${String(err)}`, len, scratch, true);
      else if (err.action !== 'session-reset' || !validNotificationPair(err.code, err.subcode) || err.code !== 3) {
        fail(i, k, `decodeAttributes(${mode}) threw ${err.code}/${err.subcode} ${err.action}`, len, scratch, false);
      }
    }
  }
}

function addRange(into: RangeResult, r: RangeResult): void {
  into.cases += r.cases;
  into.crashes += r.crashes;
  into.failed += r.failed;
  into.wrong += r.wrong;
  into.exactChecked += r.exactChecked;
  into.referenceMismatches += r.referenceMismatches;
  into.attributeSectionChecks += r.attributeSectionChecks;
  into.headerCases += r.headerCases;
  for (const key of Object.keys(into.outcomes) as Outcome[]) into.outcomes[key] += r.outcomes[key];
  for (const f of r.failures) if (into.failures.length < MAX_FAILURES) into.failures.push(f);
}

/** A worker that sends nothing for this long is taken as hung. */
const WORKER_SILENCE_MS = 120_000;

/**
 * Runs `cases` fuzz cases of the BGP codec. With `workers` > 1 the case indices are split into contiguous ranges,
 * one per worker thread (same cases, same results as one thread).
 */
export async function runBgpCodecFuzz(options: BgpCodecFuzzOptions): Promise<BgpCodecFuzzResult> {
  const started = process.hrtime.bigint();
  const workers = options.decode === undefined ? Math.max(1, Math.floor(options.workers ?? 1)) : 1;
  const total = emptyRange();
  if (workers === 1) {
    addRange(total, await runRange(options.seed, 0, options.cases, options.decode ?? decodeUpdate, (d) => options.onProgress?.(d)));
  } else {
    const done = new Array<number>(workers).fill(0);
    const report = (): void => options.onProgress?.(done.reduce((a, b) => a + b, 0));
    const results = await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const from = Math.floor((options.cases * w) / workers);
        const to = Math.floor((options.cases * (w + 1)) / workers);
        return runWorker(options.seed, from, to, (d) => {
          done[w] = d;
          report();
        });
      }),
    );
    for (const r of results) addRange(total, r);
  }
  return { ...total, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function runWorker(seed: number, from: number, to: number, progress: (done: number) => void): Promise<RangeResult> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { kind: 'bgp-codec-fuzz', seed, from, to } });
    let settled = false;
    let watchdog: NodeJS.Timeout;
    const finish = (r: RangeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      void worker.terminate();
      resolve(r);
    };
    const died = (why: string): void => {
      const r = emptyRange();
      r.crashes = 1;
      r.failed = 1;
      r.failures.push(`seed=${seed} cases ${from}..${to}: worker ${why}`);
      finish(r);
    };
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => died(`silent for ${WORKER_SILENCE_MS / 1000} s (hung)`), WORKER_SILENCE_MS);
    };
    arm();
    worker.on('message', (msg: { progress?: number; result?: RangeResult }) => {
      arm();
      if (msg.progress !== undefined) progress(msg.progress);
      if (msg.result !== undefined) finish(msg.result);
    });
    worker.on('error', (err) => died(`threw ${String(err)}`));
    worker.on('exit', (code) => died(`exited with code ${code} before its result`));
  });
}

if (!isMainThread && (workerData as { kind?: string } | null)?.kind === 'bgp-codec-fuzz') {
  const { seed, from, to } = workerData as { seed: number; from: number; to: number };
  void runRange(seed, from, to, decodeUpdate, (done) => parentPort!.postMessage({ progress: done })).then((result) => parentPort!.postMessage({ result }));
}

// ---- one case at a time (tests: fast-check properties over single mutations) ----------------------------------------

export { OPTION_SETS };
export type { Template };

export interface SingleCaseVerdict {
  outcome: Outcome;
  /** A broken general rule, or a miss of the exact expectation; null when the case passed. */
  failure: string | null;
  /** The exact outcome the mutation had to produce, when one is known. */
  expected: ReturnType<typeof expectedOutcome>;
  /** False when the mutation found nothing to act on in this message. */
  applied: boolean;
  body: Buffer;
}

/**
 * Applies `mutations` to template t, decodes under option set k, and checks the result (allocates: for tests).
 * The exact expectation is only looked for when there is exactly one structured mutation.
 */
export function checkCase(t: Template, k: number, mutations: readonly (StructMutation | ByteMutation)[], decode: UpdateDecoder = decodeUpdate): SingleCaseVerdict {
  const scratch = Buffer.alloc(encodedLength(t.parsed) + 4096);
  const u = cloneUpdate(t.parsed);
  let applied = true;
  const structs = mutations.filter((m): m is StructMutation => !isByteMutation(m));
  const byteEdits = mutations.filter(isByteMutation);
  for (const m of structs) applied = applyStructMutation(u, m) && applied;
  const big = Buffer.alloc(encodedLength(u) + 16);
  let len = encodeInto(u, big);
  for (const m of byteEdits) len = applyByteMutation(big, len, m);
  const body = Buffer.from(big.subarray(0, len));
  const sink = new DigestSink();
  let thrown: unknown = undefined;
  let result: UpdateResult | null = null;
  try {
    result = decode(body, 0, body.length, OPTION_SETS[k]!, sink);
  } catch (err) {
    thrown = err;
  }
  const [outcome, problem] = checkDecode(thrown, result, sink, isBgpError);
  if (problem !== null) return { outcome, failure: problem, expected: null, applied, body };
  const reference = emptyVerdict();
  referenceDecode(body, body.length, OPTION_SETS[k]!, reference);
  const disagreement = compareWithReference(thrown, result, sink, reference);
  if (disagreement !== null) return { outcome, failure: `reference decoder: ${disagreement}`, expected: null, applied, body };
  if (structs.length !== 1 || byteEdits.length > 0 || !applied) return { outcome, failure: null, expected: null, applied, body };
  const plain = structs[0]!.kind === 'add-path' && k >= 2 && k <= 3 ? k - 2 : k;
  const facts = factsFor(t, plain, new DigestSink(), scratch);
  if (facts === null) return { outcome, failure: null, expected: null, applied, body };
  const expected = expectedOutcome(t.parsed, facts, structs[0]!, OPTION_SETS[k]!);
  const failure = expected === null ? null : checkExpectation(expected, thrown, result, sink, facts);
  return { outcome, failure, expected, applied, body };
}
