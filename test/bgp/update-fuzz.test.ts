import test from 'ava';
import { BgpError, DEFAULT_DECODE_OPTIONS, type DecodeOptions, type NlriSink, decodeAttributes, decodeUpdate } from '../../src/bgp/index.js';
import { seededRandom } from '../../src/util/index.js';
import { loadUpdates } from './helpers/real-updates.js';

function mutate(body: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(body);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const rounds = 1 + pick(4);
  let out = b;
  for (let i = 0; i < rounds; i++) {
    switch (pick(7)) {
      case 0: // flip one bit
        if (out.length > 0) out[pick(out.length)] ^= 1 << pick(8);
        break;
      case 1: // random byte
        if (out.length > 0) out[pick(out.length)] = pick(256);
        break;
      case 2: // truncate
        out = out.subarray(0, pick(out.length + 1));
        break;
      case 3: // random 16-bit value (hits section and attribute lengths)
        if (out.length > 1) out.writeUInt16BE(pick(65536), pick(out.length - 1));
        break;
      case 4: // insert bytes
        out = Buffer.concat([out.subarray(0, pick(out.length + 1)), Buffer.from([pick(256), pick(256)]), out.subarray(pick(out.length + 1))]);
        break;
      case 5: // small delta on a byte (lengths off by a few)
        if (out.length > 0) {
          const at = pick(out.length);
          out[at] = (out[at] + pick(7) - 3) & 0xff;
        }
        break;
      default: // flags byte of the first attribute, or a prefix length byte
        if (out.length > 5) out[4 + pick(Math.min(8, out.length - 4))] = [0x40, 0x80, 0xc0, 0x50, 0xe0, 0x10, 33, 129][pick(8)];
    }
  }
  return out;
}

class CountingSink implements NlriSink {
  calls = 0;
  announce(): void {
    this.calls++;
  }
  withdraw(): void {
    this.calls++;
  }
}

test('thousands of mutated real UPDATEs only ever decode or throw BgpError (seeded fuzz)', async (t) => {
  const messages = await loadUpdates('updates.20160811.1600.gz');
  const rnd = seededRandom(0x5eed1234);
  const optionSets: DecodeOptions[] = [
    DEFAULT_DECODE_OPTIONS,
    { ...DEFAULT_DECODE_OPTIONS, fourOctetAs: false },
    { ...DEFAULT_DECODE_OPTIONS, addPathIpv4: true, addPathIpv6: true },
  ];
  const outcomes = { decoded: 0, rejected: 0, withdrawnAsMalformed: 0 };
  for (let i = 0; i < 4000; i++) {
    const m = messages[Math.floor(rnd() * messages.length)];
    const body = mutate(m.message.subarray(19), rnd);
    const opts = optionSets[i % optionSets.length];
    const sink = new CountingSink();
    try {
      const r = decodeUpdate(body, 0, body.length, opts, sink);
      outcomes.decoded++;
      if (r.treatAsWithdraw) outcomes.withdrawnAsMalformed++;
      // Every prefix counted reached the sink exactly once.
      if (sink.calls !== r.announced + r.withdrawn) t.fail(`sink saw ${sink.calls}, result says ${r.announced + r.withdrawn}`);
      for (const e of r.errors) if (!(e instanceof BgpError) || e.action === 'session-reset') t.fail(`bad non-fatal error ${String(e)}`);
    } catch (err) {
      outcomes.rejected++;
      if (!(err instanceof BgpError)) {
        t.fail(`threw ${String(err)} for ${body.toString('hex')}`);
        return;
      }
      if (err.action !== 'session-reset' || err.code < 1 || err.code > 7) t.fail(`thrown error has action ${err.action}`);
      if (sink.calls !== 0) t.fail('a session-reset UPDATE reached the sink');
    }
    // The attribute decoder alone, in MRT mode too, obeys the same rule.
    for (const mode of ['update', 'mrt-rib'] as const) {
      try {
        decodeAttributes(body, 0, body.length, opts, mode);
      } catch (err) {
        if (!(err instanceof BgpError)) t.fail(`decodeAttributes threw ${String(err)}`);
      }
    }
  }
  t.log(JSON.stringify(outcomes));
  // The mutations exercise all three outcomes.
  t.true(outcomes.decoded > 100 && outcomes.rejected > 100 && outcomes.withdrawnAsMalformed > 10, JSON.stringify(outcomes));
});
