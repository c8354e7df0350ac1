// Chaos (issue 13): a spawned `supersparrow serve` (multi-view, DNS with ECS) fed by two real BIRD 2 routers, the
// routers of POPs a and b, announcing the same prefixes (IPv4 and IPv6) with AS paths such that about half are
// closer to each POP. A client loop in this process keeps UDP queries in flight, each with an ECS client address
// inside one of the prefixes, and judges every answer against the table the run configured (never by asking the
// daemon): the baseline POP, or, only while the victim's routes are legitimately gone, b (the table without a).
// Meanwhile BIRD-A, the victim, suffers faults in a seeded order:
//
//   restart  SIGKILL (no NOTIFICATION) and a start with the same config after a seeded 0-300 ms; with graceful
//            restart BIRD starts in recovery (-R) and the daemon must keep answering from the stale routes;
//   flap     `birdc disable` + `enable` (a Cease NOTIFICATION) or a TCP reset of the session (`ss -K`);
//   stall    SIGSTOP for longer than the hold time, so that the daemon's hold timer drops the session, then SIGCONT.
//
// "Legitimately gone" (the window in which b is also right for a's prefixes): without graceful restart, from each
// fault to the victim's recovery; with it, only where RFC 4724 ends the routes anyway: a NOTIFICATION (the
// disable flap; the hold timer expiry of a stall, since BIRD 2.0 does not set the RFC 8538 N bit). A restart and a
// TCP reset under graceful restart open no window. A query may get b if the window was open at any moment between
// its sending and its answer. Recovery (closing the window) is the victim Established with every route back, no
// stale family left (its End-of-RIB came) and every client address answered with its baseline POP.
import dgram from 'node:dgram';
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Afi } from '../../../src/bgp/index.js';
import { controlRequest } from '../../../src/cli/control-client.js';
import type { NeighborJson } from '../../../src/control/index.js';
import { seededRandom } from '../../../src/util/index.js';
import { BirdRouter } from '../../../test/helpers/peers/bird.js';
import { freePort, loopbackAddress, makeTempDir, removeDir, sleep, waitFor } from '../../../test/helpers/peers/process.js';
import { Supersparrow } from '../../../test/helpers/peers/supersparrow.js';
import { trackChild, trackDir, untrackDir } from '../cleanup.js';
import { dnsQuery } from '../dns-clients.js';
import { parseDnsperf } from '../dnsperf.js';
import { median } from '../stats.js';

export type ChaosFault = 'restart' | 'flap' | 'stall';

export interface ChaosOptions {
  /** SIGKILL + start of BIRD-A. */
  restarts: number;
  /** RFC 4724 between BIRD-A and the daemon (both sides), BIRD restarting in recovery mode. */
  gracefulRestart: boolean;
  seed: number;
  /** Session flaps, disable/enable and TCP reset in turn (the first drawn by the seed); default 1. */
  flaps?: number;
  /** Stalls longer than the hold time; default 1. */
  stalls?: number;
  /** Loopback block for the addresses (default 105). */
  block?: number;
  /** Prefixes each router announces per family (default 16 IPv4, 8 IPv6; at most 64 in all); two clients in each. */
  prefixes?: { ipv4: number; ipv6: number };
  /** Queries the client loop keeps in flight (default 4, at most 32). */
  inFlight?: number;
  /** A query unanswered this long is failed (default 2000 ms). */
  queryTimeoutMs?: number;
  /** Hold time of the victim's session, seconds (default 3: a stall then lasts about 5 s). */
  holdTime?: number;
  /**
   * dnsperf alongside at this many queries per second, over the same questions, for load: its answers are not
   * judged (the client loop is the judge), its counts are reported. 0 or absent: no dnsperf.
   */
  dnsperfQps?: number;
  /** Called after each fault with the number of faults done. */
  onProgress?: (done: number) => void;
  /** Log lines (setup, each fault); default none. */
  log?: (line: string) => void;
  /**
   * A deliberately broken subject, to show the oracle catches it: 'swapped-expectation' judges against the table
   * with POPs a and b swapped; 'daemon-without-graceful-restart' runs the daemon with graceful restart off towards
   * the victim while the run (BIRD and the oracle) says it is on.
   */
  broken?: 'swapped-expectation' | 'daemon-without-graceful-restart';
}

export interface ChaosResult {
  gracefulRestart: boolean;
  seed: number;
  restarts: number;
  flaps: number;
  stalls: number;
  /** Queries judged (answered or timed out). */
  queries: number;
  answered: number;
  /** No answer within the timeout, SERVFAIL, or NOERROR without an address. */
  failed: number;
  /** Any other answer than the allowed POP(s). */
  wrong: number;
  /** Answers of a's prefixes given as b inside a window (allowed; shows the windows were needed). */
  victimlessAnswers: number;
  /** Per restart: BIRD's start to the victim's session Established. */
  establishedSeconds: number[];
  /** Per restart: BIRD's start to End-of-RIB swept / all routes back and every client answered with its baseline. */
  recoverySeconds: number[];
  maxRecoveryS: number;
  medianRecoveryS: number;
  /** How each flap was made: 'disable' (birdc disable/enable, a Cease) or 'reset' (a TCP reset, ss -K). */
  flapKinds: string[];
  /** Per stall: SIGSTOP to the daemon leaving Established (its hold timer). */
  stallDetectionSeconds: number[];
  /** Per stall: the victim's prefixes the daemon still held once the hold timer had dropped the session. */
  stallRoutesHeld: number[];
  /** dnsperf's counts when it ran alongside (null otherwise, or when it printed no statistics). */
  dnsperf: { sent: number; completed: number; lost: number; qps: number } | null;
  /** The daemon died (0 or 1: the run stops there). */
  crashes: number;
  failures: string[];
  elapsedS: number;
}

const OUR_AS = 65010;
const A_AS = 65101;
const B_AS = 65102;
const ZONE = 'chaos.test';
/** Each POP's answer addresses. */
const POP_ADDRESSES = {
  a: { v4: [192, 0, 2, 1], v6: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a] },
  b: { v4: [192, 0, 2, 2], v6: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b] },
} as const;
const POP_A = 0;
const POP_B = 1;
/** What an answer was, as the parser sees it. */
const OTHER = 2;
const FAILED = 3;
/** Generous deadlines for a busy 2-core machine. */
const SESSION_UP_MS = 40_000;
const RECOVERY_MS = 40_000;
const MAX_FAILURES = 20;
const MAX_IN_FLIGHT = 32;

/** One question of the load: an ECS client inside a prefix, A or AAAA, and the POP closest to it. */
interface Item {
  packet: Buffer;
  /** POP_A or POP_B: what the judge expects (swapped for the 'swapped-expectation' subject). */
  baseline: number;
  /** The POP the configured routes make closest: what recovery waits for, whatever the judge expects. */
  closest: number;
  v6Answer: boolean;
  text: string;
}

/**
 * The POP an answer names: POP_A, POP_B, OTHER (another address, another RCODE, malformed) or FAILED (SERVFAIL,
 * or NOERROR with no address). Reads the wire format in place.
 */
export function answerPop(msg: Buffer, v6: boolean): number {
  if (msg.length < 12 || (msg[2]! & 0x80) === 0) return OTHER;
  const rcode = msg[3]! & 0x0f;
  if (rcode === 2) return FAILED;
  if (rcode !== 0) return OTHER;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let o = 12;
  const skipName = (): boolean => {
    while (o < msg.length) {
      const len = msg[o]!;
      if (len === 0) {
        o += 1;
        return true;
      }
      if ((len & 0xc0) === 0xc0) {
        o += 2;
        return true;
      }
      o += 1 + len;
    }
    return false;
  };
  for (let i = 0; i < qd; i++) {
    if (!skipName()) return OTHER;
    o += 4;
  }
  const want = v6 ? 28 : 1;
  const size = v6 ? 16 : 4;
  for (let i = 0; i < an; i++) {
    if (!skipName() || o + 10 > msg.length) return OTHER;
    const type = msg.readUInt16BE(o);
    const rdlength = msg.readUInt16BE(o + 8);
    o += 10;
    if (o + rdlength > msg.length) return OTHER;
    if (type === want) {
      if (rdlength !== size) return OTHER;
      const a = v6 ? POP_ADDRESSES.a.v6 : POP_ADDRESSES.a.v4;
      const b = v6 ? POP_ADDRESSES.b.v6 : POP_ADDRESSES.b.v4;
      let isA = true;
      let isB = true;
      for (let k = 0; k < size; k++) {
        const x = msg[o + k]!;
        if (x !== a[k]) isA = false;
        if (x !== b[k]) isB = false;
      }
      return isA ? POP_A : isB ? POP_B : OTHER;
    }
    o += rdlength;
  }
  return FAILED;
}

/** The routes: prefix k is closer to a when k is even (a's path 1 AS after a's own, b's 3), else to b. */
function makeRoutes(n4: number, n6: number): Array<{ prefix: string; v6: boolean; closer: number; a: number[]; b: number[] }> {
  const out: Array<{ prefix: string; v6: boolean; closer: number; a: number[]; b: number[] }> = [];
  const add = (prefix: string, v6: boolean, k: number): void => {
    const short = [64500 + (k % 50)];
    const long = [64600, 64601, 64500 + (k % 50)];
    const closer = k % 2 === 0 ? POP_A : POP_B;
    out.push({ prefix, v6, closer, a: closer === POP_A ? short : long, b: closer === POP_A ? long : short });
  };
  for (let k = 0; k < n4; k++) add(`10.${100 + Math.floor(k / 256)}.${k % 256}.0/24`, false, k);
  for (let k = 0; k < n6; k++) add(`2001:db8:${(0x100 + k).toString(16)}::/48`, true, k);
  return out;
}

/** The BIRD config of one POP router: static blackholes exported to the daemon with the POP's AS paths. */
function routerConfig(o: {
  log: string;
  address: string;
  port: number;
  as: number;
  pop: 'a' | 'b';
  ss: { address: string; port: number };
  hold: number;
  gracefulRestart: boolean;
  routes: ReturnType<typeof makeRoutes>;
}): string {
  const v4 = o.routes.filter((r) => !r.v6);
  const v6 = o.routes.filter((r) => r.v6);
  const clause = (r: ReturnType<typeof makeRoutes>[number]): string => {
    const prepends = [...r[o.pop]].reverse().map((as) => `bgp_path.prepend(${as});`).join(' ');
    const nextHop = r.v6 ? `2001:db8:ff::${o.pop}` : `192.0.2.${o.pop === 'a' ? 101 : 102}`;
    return `  if net = ${r.prefix} then { ${prepends} bgp_next_hop = ${nextHop}; accept; }`;
  };
  return `# generated by bench/lib/stress/chaos.ts (POP ${o.pop}'s router)
log "${o.log}" all;
router id ${o.address};
protocol device { scan time 60; }
protocol static static4 {
  ipv4;
${v4.map((r) => `  route ${r.prefix} blackhole;`).join('\n')}
}
protocol static static6 {
  ipv6;
${v6.map((r) => `  route ${r.prefix} blackhole;`).join('\n')}
}
filter to_ss {
${o.routes.map(clause).join('\n')}
  reject;
}
protocol bgp pop${o.pop} {
  local ${o.address} port ${o.port} as ${o.as};
  neighbor ${o.ss.address} port ${o.ss.port} as ${OUR_AS};
  multihop 2;
  hold time ${o.hold}; startup hold time ${o.hold}; keepalive time ${Math.max(1, Math.floor(o.hold / 3))};
  connect delay time 1; connect retry time 1; error wait time 1, 2;
  graceful restart ${o.gracefulRestart ? 'on' : 'off'}; graceful restart time 120;
  ipv4 { import none; export filter to_ss; };
  ipv6 { import none; export filter to_ss; };
}
`;
}

/**
 * The judge: keeps `inFlight` queries outstanding (each answer sends the next) and classifies every answer. Each
 * slot owns its packet buffer, so nothing is allocated per query.
 */
class ClientLoop {
  private readonly socket = dgram.createSocket('udp4');
  private readonly buffers: Buffer[] = [];
  private readonly slotItem: Int32Array;
  private readonly slotId: Int32Array;
  private readonly slotSentAt: Float64Array;
  private readonly slotSerial: Int32Array;
  private readonly slotOpen: Uint8Array;
  private readonly slotBusy: Uint8Array;
  private sequence = 0;
  private nextItem = 0;
  private running = false;
  private sweeper: NodeJS.Timeout | null = null;
  /** Whether b is an allowed answer for a's prefixes now, and how many windows have opened so far. */
  windowOpen = false;
  windowSerial = 0;
  /** What the current fault is (for failure descriptions). */
  context = 'baseline';
  queries = 0;
  answered = 0;
  failed = 0;
  wrong = 0;
  victimless = 0;
  strays = 0;

  constructor(
    private readonly items: Item[],
    private readonly server: { address: string; port: number },
    private readonly inFlight: number,
    private readonly timeoutMs: number,
    private readonly startedAt: number,
    private readonly failures: string[],
    private readonly describe: string,
  ) {
    this.slotItem = new Int32Array(inFlight);
    this.slotId = new Int32Array(inFlight);
    this.slotSentAt = new Float64Array(inFlight);
    this.slotSerial = new Int32Array(inFlight);
    this.slotOpen = new Uint8Array(inFlight);
    this.slotBusy = new Uint8Array(inFlight);
    for (let i = 0; i < inFlight; i++) this.buffers.push(Buffer.alloc(512));
    this.socket.on('message', (m) => this.receive(m));
  }

  openWindow(): void {
    this.windowOpen = true;
    this.windowSerial++;
  }

  closeWindow(): void {
    this.windowOpen = false;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(0, '127.0.0.1', () => {
        this.socket.off('error', reject);
        this.socket.on('error', () => undefined); // ICMP errors on loopback: the query times out and counts
        this.running = true;
        for (let s = 0; s < this.inFlight; s++) this.send(s);
        this.sweeper = setInterval(() => this.sweep(), 100);
        resolve();
      });
    });
  }

  private send(slot: number): void {
    if (!this.running) {
      this.slotBusy[slot] = 0;
      return;
    }
    const item = this.nextItem;
    this.nextItem = (item + 1) % this.items.length;
    const template = this.items[item]!.packet;
    const buf = this.buffers[slot]!;
    template.copy(buf, 0);
    this.sequence = (this.sequence + 1) & 0x7ff;
    const id = (this.sequence << 5) | slot;
    buf.writeUInt16BE(id, 0);
    this.slotItem[slot] = item;
    this.slotId[slot] = id;
    this.slotSentAt[slot] = performance.now();
    this.slotSerial[slot] = this.windowSerial;
    this.slotOpen[slot] = this.windowOpen ? 1 : 0;
    this.slotBusy[slot] = 1;
    this.socket.send(buf, 0, template.length, this.server.port, this.server.address);
  }

  private receive(m: Buffer): void {
    if (m.length < 12) return void this.strays++;
    const id = m.readUInt16BE(0);
    const slot = id & 31;
    if (slot >= this.inFlight || this.slotBusy[slot] === 0 || this.slotId[slot] !== id) return void this.strays++;
    const item = this.items[this.slotItem[slot]!]!;
    const pop = answerPop(m, item.v6Answer);
    this.queries++;
    this.answered++;
    if (pop === FAILED) this.count('failed', slot, item, m[3]! & 0x0f ? 'SERVFAIL' : 'no address');
    else if (pop !== item.baseline) {
      // b for a's prefix is right if a window was open at any moment since the query left.
      const windowed = this.slotOpen[slot] === 1 || this.windowOpen || this.slotSerial[slot] !== this.windowSerial;
      if (pop === POP_B && windowed) this.victimless++;
      else this.count('wrong', slot, item, pop === POP_A ? 'a' : pop === POP_B ? 'b' : 'another answer');
    }
    this.send(slot);
  }

  private count(kind: 'failed' | 'wrong', slot: number, item: Item, got: string): void {
    if (kind === 'failed') this.failed++;
    else this.wrong++;
    if (this.failures.length < MAX_FAILURES) {
      const at = ((performance.now() - this.startedAt) / 1000).toFixed(2);
      this.failures.push(`${this.describe} ${kind} at +${at} s during ${this.context}: ${item.text} answered ${got} (baseline ${item.baseline === POP_A ? 'a' : 'b'}, window ${this.slotOpen[slot] ? 'open' : 'closed'} at sending)`);
    }
  }

  private sweep(): void {
    const now = performance.now();
    for (let s = 0; s < this.inFlight; s++) {
      if (this.slotBusy[s] === 0 || now - this.slotSentAt[s]! < this.timeoutMs) continue;
      this.queries++;
      this.count('failed', s, this.items[this.slotItem[s]!]!, `nothing in ${this.timeoutMs} ms`);
      this.send(s);
    }
  }

  /** Stops sending, waits for the answers due (or their timeouts), closes the socket. */
  async stop(): Promise<void> {
    if (!this.running && this.sweeper === null) return;
    this.running = false;
    await waitFor('the last answers', () => this.slotBusy.every((b) => b === 0) || undefined, this.timeoutMs + 2000, 20).catch(() => undefined);
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.socket.close();
  }
}

/** Sends every item once on its own socket and counts those answered with their closest POP (1 s at most). */
class Prober {
  private readonly socket = dgram.createSocket('udp4');
  private generation = 0;
  private pending: Uint8Array;
  private readonly packets: Buffer[];
  private good = 0;
  private done: (() => void) | null = null;
  private outstanding = 0;

  constructor(
    private readonly items: Item[],
    private readonly server: { address: string; port: number },
  ) {
    if (items.length > 256) throw new RangeError('at most 256 probe items');
    this.pending = new Uint8Array(items.length);
    this.packets = items.map((item) => Buffer.from(item.packet));
    this.socket.on('message', (m) => {
      if (m.length < 12) return;
      const id = m.readUInt16BE(0);
      if (id >> 8 !== this.generation) return;
      const i = id & 0xff;
      if (i >= this.items.length || this.pending[i] === 0) return;
      this.pending[i] = 0;
      if (answerPop(m, this.items[i]!.v6Answer) === this.items[i]!.closest) this.good++;
      if (--this.outstanding === 0) this.done?.();
    });
    this.socket.on('error', () => undefined);
  }

  bind(): Promise<void> {
    return new Promise((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
  }

  /** True when every item came back with its baseline POP. */
  async allBaseline(): Promise<boolean> {
    this.generation = (this.generation + 1) & 0xff;
    this.good = 0;
    this.outstanding = this.items.length;
    this.pending.fill(1);
    let timer: NodeJS.Timeout | undefined;
    const finished = new Promise<void>((resolve) => {
      this.done = resolve;
      timer = setTimeout(resolve, 1000);
    });
    // A probe's answers are awaited (or given up, a second later) before the next reuses the packets.
    this.packets.forEach((p, i) => {
      p.writeUInt16BE((this.generation << 8) | i, 0);
      this.socket.send(p, this.server.port, this.server.address);
    });
    await finished;
    clearTimeout(timer);
    this.done = null;
    return this.good === this.items.length;
  }

  close(): void {
    this.socket.close();
  }
}

interface DnsperfLoad {
  /** Interrupts dnsperf (it prints its statistics on SIGINT) and removes its query file. */
  stop(): Promise<ChaosResult['dnsperf']>;
}

/** dnsperf replaying the questions (binary input, `-B`) at `qps`, until stopped. */
async function startDnsperf(items: Item[], server: { address: string; port: number }, qps: number): Promise<DnsperfLoad> {
  const dir = await makeTempDir('chaos-dnsperf');
  trackDir(dir);
  const file = path.join(dir, 'queries.bin');
  const parts: Buffer[] = [];
  for (const item of items) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(item.packet.length);
    parts.push(length, item.packet);
  }
  await writeFile(file, Buffer.concat(parts));
  const child = spawn('dnsperf', ['-s', server.address, '-p', String(server.port), '-d', file, '-B', '-l', '86400', '-c', '2', '-q', '32', '-Q', String(qps), '-t', '2'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  trackChild(child);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (output += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (output += t));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let stopped: Promise<ChaosResult['dnsperf']> | null = null;
  return {
    stop: () => {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        await removeDir(dir);
        untrackDir(dir);
        try {
          const p = parseDnsperf(output);
          return { sent: p.sent, completed: p.completed, lost: p.lost, qps: p.qps };
        } catch {
          return null;
        }
      })();
      return stopped;
    },
  };
}

function runCommand(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

/** Runs the chaos described at the top of this file; never leaves a process, socket or timer behind. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const started = performance.now();
  const log = options.log ?? ((): void => undefined);
  const block = options.block ?? 105;
  const flaps = options.flaps ?? 1;
  const stalls = options.stalls ?? 1;
  const hold = options.holdTime ?? 3;
  const inFlight = Math.min(MAX_IN_FLIGHT, Math.max(1, options.inFlight ?? 4));
  const timeoutMs = options.queryTimeoutMs ?? 2000;
  const gr = options.gracefulRestart;
  const rand = seededRandom(options.seed);
  const describe = `seed=${options.seed} gr=${gr}${options.broken ? ` broken=${options.broken}` : ''}`;
  const failures: string[] = [];
  const result: ChaosResult = {
    gracefulRestart: gr, seed: options.seed, restarts: 0, flaps: 0, stalls: 0, queries: 0, answered: 0, failed: 0, wrong: 0,
    victimlessAnswers: 0, establishedSeconds: [], recoverySeconds: [], maxRecoveryS: 0, medianRecoveryS: 0,
    flapKinds: [], stallDetectionSeconds: [], stallRoutesHeld: [], dnsperf: null, crashes: 0, failures, elapsedS: 0,
  };

  const routes = makeRoutes(options.prefixes?.ipv4 ?? 16, options.prefixes?.ipv6 ?? 8);
  const n4 = routes.filter((r) => !r.v6).length;
  const n6 = routes.length - n4;
  // Two clients inside each prefix, each asking A and AAAA; ECS /24 (IPv4) and /56 (IPv6) as resolvers send.
  const items: Item[] = [];
  for (const r of routes) {
    const base = r.prefix.split('/')[0]!;
    for (let c = 0; c < 2; c++) {
      const address = r.v6 ? Buffer.alloc(16) : Buffer.from(base.split('.').map(Number));
      if (r.v6) {
        const words = base.replace('::', '').split(':').map((w) => parseInt(w, 16));
        words.forEach((w, i) => address.writeUInt16BE(w, 2 * i));
        address[6] = Math.floor(rand() * 256); // inside the /48, a /56 of its own
      } else {
        address[3] = 1 + Math.floor(rand() * 254);
      }
      const subnet = { afi: r.v6 ? Afi.IPv6 : Afi.IPv4, source: r.v6 ? 56 : 24, address };
      const baseline = options.broken === 'swapped-expectation' ? POP_A + POP_B - r.closer : r.closer;
      for (const type of ['A', 'AAAA'] as const) {
        items.push({ packet: dnsQuery(`www.${ZONE}`, type, subnet), baseline, closest: r.closer, v6Answer: type === 'AAAA', text: `www.${ZONE} ${type} ECS ${r.prefix}#${c}` });
      }
    }
  }

  if (items.length > 256) throw new RangeError(`at most 64 prefixes in all (the probe numbers its questions in a byte), not ${routes.length}`);

  const ssAddress = loopbackAddress(block);
  const aAddress = loopbackAddress(block);
  const bAddress = loopbackAddress(block);
  const ssPort = await freePort(ssAddress);
  const ports = { a: await freePort(aAddress), b: await freePort(bAddress) };
  const ss = new Supersparrow({
    localAs: OUR_AS,
    address: ssAddress,
    listenPort: ssPort,
    holdTime: hold,
    connectRetry: 1,
    logLevel: 'info',
    neighbors: [
      // Both sides connect: whichever comes first (BIRD waits a second after its start, the daemon up to its retry).
      { address: aAddress, remoteAs: A_AS, port: ports.a, passive: false, holdTime: hold, connectRetry: 1, gracefulRestart: gr && options.broken !== 'daemon-without-graceful-restart', pop: 'a' },
      { address: bAddress, remoteAs: B_AS, port: ports.b, passive: false, holdTime: 30, connectRetry: 1, gracefulRestart: true, pop: 'b' },
    ],
    pops: {
      a: { as: A_AS, ipv4: POP_ADDRESSES.a.v4.join('.'), ipv6: '2001:db8::a' },
      b: { as: B_AS, ipv4: POP_ADDRESSES.b.v4.join('.'), ipv6: '2001:db8::b' },
    },
    proximity: { rule: 'multi-view', self: 'b' },
    dns: {
      listen: [`${ssAddress}:0`],
      zone: ZONE,
      ttl: 30,
      'ns-ttl': 3600,
      names: { www: {} },
      ns: { [`ns1.${ZONE}`]: ['192.0.2.53'] },
      soa: { serial: 1 },
      // Without graceful restart BIRD sends no End-of-RIB: the startup state then ends by its timeout.
      startup: { ttl: 5, timeout: gr ? 300 : 1 },
    },
  });
  const router = (pop: 'a' | 'b'): BirdRouter => new BirdRouter(`chaos-bird-${pop}`, ({ log: file }) => routerConfig({
    log: file,
    address: pop === 'a' ? aAddress : bAddress,
    port: ports[pop],
    as: pop === 'a' ? A_AS : B_AS,
    pop,
    ss: { address: ssAddress, port: ssPort },
    hold: pop === 'a' ? hold : 30,
    gracefulRestart: pop === 'a' ? gr : true,
    routes,
  }));
  const birdA = router('a');
  const birdB = router('b');
  let loop: ClientLoop | null = null;
  let prober: Prober | null = null;
  let dnsperf: DnsperfLoad | null = null;
  const neighbor = async (address: string): Promise<NeighborJson | undefined> =>
    (await controlRequest<NeighborJson[]>(ss.socket, { command: 'neighbors' }, 5_000)).find((n) => n.address === address);
  const alive = (): boolean => ss.pid !== undefined;

  try {
    await ss.start();
    const dns = (await ss.dnsListening()).find((l) => l.address === ssAddress);
    if (!dns) throw new Error('the DNS responder does not listen on the daemon\'s address');
    const server = { address: ssAddress, port: dns.port };
    for (const [pop, bird] of [['a', birdA], ['b', birdB]] as const) {
      for (let attempt = 1; ; attempt++) {
        await bird.start();
        if ((await bird.listenFailures()).length === 0) break;
        // Another process took the port between freePort() and BIRD's bind: another port (the daemon's dial to the
        // old one fails; BIRD's own connection brings the session up).
        await bird.stop();
        if (attempt === 3) throw new Error(`BIRD ${pop} could not open a listening socket in 3 attempts`);
        ports[pop] = await freePort(pop === 'a' ? aAddress : bAddress);
      }
    }
    prober = new Prober(items, server);
    await prober.bind();
    const recovered = async (what: string): Promise<void> => {
      await waitFor(what, async () => {
        const n = await neighbor(aAddress);
        if (!n || n.state !== 'Established' || n.staleFamilies.length > 0 || n.prefixes.ipv4 !== n4 || n.prefixes.ipv6 !== n6) return undefined;
        return (await prober!.allBaseline()) || undefined;
      }, RECOVERY_MS, 25);
    };
    await waitFor('both sessions Established', async () => (await neighbor(aAddress))?.state === 'Established' && (await neighbor(bAddress))?.state === 'Established', SESSION_UP_MS, 100);
    await waitFor('b\'s routes', async () => {
      const n = await neighbor(bAddress);
      return n !== undefined && n.prefixes.ipv4 === n4 && n.prefixes.ipv6 === n6;
    }, SESSION_UP_MS, 50);
    await recovered('every client answered with its baseline POP at the start');
    log(`${describe}: ${routes.length} prefixes (${n4} IPv4, ${n6} IPv6), ${items.length} questions; DNS on ${server.address}:${server.port}`);

    loop = new ClientLoop(items, server, inFlight, timeoutMs, started, failures, describe);
    await loop.start();
    if (options.dnsperfQps) dnsperf = await startDnsperf(items, server, options.dnsperfQps);

    // The faults in a seeded order.
    const faults: ChaosFault[] = [
      ...Array<ChaosFault>(options.restarts).fill('restart'),
      ...Array<ChaosFault>(flaps).fill('flap'),
      ...Array<ChaosFault>(stalls).fill('stall'),
    ];
    for (let i = faults.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [faults[i], faults[j]] = [faults[j]!, faults[i]!];
    }
    const firstFlapKind = rand() < 0.5 ? 0 : 1;
    let flapIndex = 0;
    for (let index = 0; index < faults.length; index++) {
      const fault = faults[index]!;
      if (!alive()) break;
      try {
        if (fault === 'restart') {
          loop.context = `restart #${result.restarts + 1} (fault ${index})`;
          if (!gr) loop.openWindow();
          const downMs = Math.floor(rand() * 300);
          await birdA.crash();
          await sleep(downMs);
          const t0 = performance.now();
          await birdA.start(gr);
          await waitFor('the victim Established after its restart', async () => (await neighbor(aAddress))?.state === 'Established', SESSION_UP_MS, 10);
          const establishedS = (performance.now() - t0) / 1000;
          await recovered('the victim\'s routes back after its restart');
          result.establishedSeconds.push(establishedS);
          result.recoverySeconds.push((performance.now() - t0) / 1000);
          result.restarts++;
        } else if (fault === 'flap') {
          // The kinds alternate, the first drawn by the seed: two flaps or more make one of each.
          const reset = (flapIndex++ + firstFlapKind) % 2 === 0;
          loop.context = `flap #${result.flaps + 1} by ${reset ? 'TCP reset' : 'disable/enable'} (fault ${index})`;
          // A NOTIFICATION (disable) ends the routes even with graceful restart (RFC 4724; BIRD sets no N bit).
          if (!gr || !reset) loop.openWindow();
          const before = (await neighbor(aAddress))?.notifications.received ?? 0;
          if (reset) {
            await runCommand('ss', ['-K', 'dst', aAddress, 'dport', '=', String(ports.a)]).catch(() => '');
            await runCommand('ss', ['-K', 'dst', aAddress, 'sport', '=', String(ssPort)]).catch(() => '');
          } else {
            await birdA.birdc(['disable', 'popa']);
          }
          await waitFor('the victim\'s session to drop', async () => {
            const n = await neighbor(aAddress);
            return n !== undefined && (n.state !== 'Established' || n.notifications.received > before);
          }, 10_000, 10);
          if (!reset) await birdA.birdc(['enable', 'popa']);
          await recovered('the victim\'s routes back after a flap');
          result.flapKinds.push(reset ? 'reset' : 'disable');
          result.flaps++;
        } else {
          loop.context = `stall #${result.stalls + 1} (fault ${index})`;
          // The daemon's hold timer sends a NOTIFICATION: without the N bit the routes go (RFC 4724, RFC 8538).
          loop.openWindow();
          const t0 = performance.now();
          birdA.pause();
          try {
            const n = await waitFor('the hold timer to drop the stalled victim', async () => {
              const x = await neighbor(aAddress);
              return x !== undefined && x.state !== 'Established' ? x : undefined;
            }, (hold + 10) * 1000, 20);
            result.stallDetectionSeconds.push((performance.now() - t0) / 1000);
            result.stallRoutesHeld.push(n.prefixes.ipv4 + n.prefixes.ipv6);
            if (!/hold/i.test(String(n.lastError))) failures.push(`${describe} stall #${result.stalls + 1}: the session dropped for "${n.lastError}", not the hold timer`);
          } finally {
            birdA.resume();
          }
          await recovered('the victim\'s routes back after a stall');
          result.stalls++;
        }
      } catch (err) {
        if (failures.length < MAX_FAILURES) failures.push(`${describe} fault ${index} (${loop.context}): ${(err as Error).message}`);
        // A fault that did not recover (or a dead daemon) leaves the run in an unknown state: stop here, the result
        // says how far.
        break;
      } finally {
        loop.closeWindow();
      }
      log(`${describe}: fault ${index + 1}/${faults.length} ${fault} done`);
      options.onProgress?.(index + 1);
    }
    await loop.stop();
    if (dnsperf) result.dnsperf = await dnsperf.stop();
    if (!alive()) {
      result.crashes++;
      failures.push(`${describe}: the daemon died: ${(await ss.log()).split('\n').slice(-20).join('\n')}`);
    }
  } finally {
    await loop?.stop().catch(() => undefined);
    await dnsperf?.stop().catch(() => undefined);
    prober?.close();
    await Promise.allSettled([birdA.stop(), birdB.stop(), ss.stop()]);
  }
  if (loop) {
    result.queries = loop.queries;
    result.answered = loop.answered;
    result.failed = loop.failed;
    result.wrong = loop.wrong;
    result.victimlessAnswers = loop.victimless;
  }
  result.maxRecoveryS = result.recoverySeconds.length ? Math.max(...result.recoverySeconds) : 0;
  result.medianRecoveryS = result.recoverySeconds.length ? median(result.recoverySeconds) : 0;
  result.elapsedS = (performance.now() - started) / 1000;
  return result;
}
