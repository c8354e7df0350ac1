// Reloading the configuration while the DNS responder is under load: a client in this process keeps many UDP
// queries in flight at a spawned `supersparrow serve` (fed over iBGP by a real BIRD 2), each answer sending the
// next, over a fixed set of questions (the decided name for IPv4 and IPv6 ECS clients, A and AAAA, a name that only
// the new config has, the zone's SOA). Meanwhile the configuration is changed:
//
//   A -> B  through `supersparrow reload` (the control socket): a POP added, an answer address changed, self moved,
//           the overrides changed, the TTL changed, a new name, a new SOA serial;
//   B -> C  through SIGHUP: the rule becomes multi-view (POP views by community);
//   C: a syntax error and then an unknown POP in an override, each through `reload` and through SIGHUP: rejected
//      with FILE:LINE:COLUMN in the reply or the log, C keeps answering;
//   C -> A  through `reload`.
//
// Every answer must be right for a config that was running while the query was in flight: a query sent before a
// reload began gets the old config's answer, one sent after the reload was confirmed (the control reply, or the
// log's record for SIGHUP) the new one's, one sent in between either. "Right" is the whole answer: RCODE, every
// record with its TTL, and the ECS scope, with the POP and scope taken from `supersparrow query --json` under that
// config. No query may go unanswered (a 5 s deadline each). Phases are ended by counts of answers, not by time.
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import type { ExecutionContext } from 'ava';
import dnsPacket from 'dns-packet';
import { stringify } from 'yaml';
import {
  createPeer, freePort, loopbackAddress, missingReason, peerTest, Supersparrow, waitFor,
  type PeerDaemon, type RouteSpec,
} from '../helpers/peers/index.js';
import type { SupersparrowOptions, SupersparrowPop } from '../helpers/peers/supersparrow.js';

/** This file's loopback block (the brief of this test: 97). */
const BLOCK = 97;
const OUR_AS = 65010;
const HOLD = 6;
const SESSION_UP_MS = 40_000;
/** How long a query may go unanswered before it counts as failed. */
const QUERY_TIMEOUT_MS = 5_000;
/** Queries kept in flight. */
const IN_FLIGHT = 48;
/** Answers each phase must collect (the load runs through every phase; see the counts in the log). */
const ANSWERS_PER_PHASE = 2_000;

const X_AS = 65751;
const Y_AS = 64750;
const Z_AS = 4_200_000_097;
const ZONE = 'example.test';

/** BIRD's routes; communities 65000:1/2/3 tag x's, y's and z's views under the multi-view rule (config C). */
const ROUTES: RouteSpec[] = [
  { prefix: '10.97.0.0/16', nextHop: '192.0.2.197', asPath: [Y_AS, 64500], communities: [[65000, 2]] },
  // Classic: y (first AS). Multi-view: only z's view has it, with a shorter path than y's /16: z.
  { prefix: '10.97.64.0/18', nextHop: '192.0.2.197', asPath: [Y_AS], communities: [[65000, 3]] },
  { prefix: '10.97.128.0/17', nextHop: '192.0.2.197', asPath: [X_AS, 64501], communities: [[65000, 1]] },
  { prefix: '2001:db8:97::/48', nextHop: '2001:db8:ff::97', asPath: [Y_AS, 64502], communities: [[65000, 2]] },
  // Classic under A: z is no POP: self. Under B (z added): z.
  { prefix: '2001:db8:97:8000::/49', nextHop: '2001:db8:ff::97', asPath: [Z_AS, 64503], communities: [[65000, 3]] },
];

/** The ECS clients (full-length sources: the answer's scope is then exactly `query --json`'s). */
const CLIENTS = [
  '10.97.1.1', '10.97.64.9', '10.97.130.1', '10.97.200.1', '10.98.0.1',
  '2001:db8:97::1', '2001:db8:97:8000::1', '2001:db8:97:1::1', '2001:db8:98::1',
];

/** One config as the test writes it and reads its answers back. */
interface Setup {
  label: string;
  pops: Record<string, SupersparrowPop>;
  proximity: NonNullable<SupersparrowOptions['proximity']>;
  overrides: Record<string, string>;
  ttl: number;
  names: Record<string, { ttl?: number }>;
  serial: number;
}

const NS_TTL = 3600;
const A: Setup = {
  label: 'A',
  pops: {
    x: { as: X_AS, ipv4: '192.0.2.11', ipv6: '2001:db8::11' },
    y: { as: Y_AS, ipv4: '192.0.2.22', ipv6: '2001:db8::22' },
  },
  proximity: { rule: 'classic', self: 'x' },
  overrides: { '10.97.200.0/24': 'y' },
  ttl: 20,
  names: { www: {} },
  serial: 2026120101,
};
const B: Setup = {
  label: 'B',
  pops: {
    x: { as: X_AS, ipv4: '192.0.2.11', ipv6: '2001:db8::11' },
    y: { as: Y_AS, ipv4: '192.0.2.23', ipv6: '2001:db8::23' },
    z: { as: Z_AS, ipv4: '192.0.2.33', ipv6: '2001:db8::33' },
  },
  proximity: { rule: 'classic', self: 'y' },
  overrides: { '10.97.200.0/24': 'z', '2001:db8:97:1::/64': 'x' },
  ttl: 40,
  names: { www: {}, new: { ttl: 15 } },
  serial: 2026120102,
};
const C: Setup = {
  ...B,
  label: 'C',
  pops: {
    x: { ...B.pops['x']!, community: '65000:1' },
    y: { ...B.pops['y']!, community: '65000:2' },
    z: { ...B.pops['z']!, community: '65000:3' },
  },
  proximity: { rule: 'multi-view', self: 'y' },
  serial: 2026120103,
};
/** A again, at the end: its answers counted apart from the first phase's. */
const A2: Setup = { ...A, label: 'A2' };

/** A question the load asks: a name and type, with an ECS client or (the SOA) without. */
interface Item {
  name: string;
  type: 'A' | 'AAAA' | 'SOA';
  client: string | null;
}

const ITEMS: Item[] = [
  ...CLIENTS.map((c): Item => ({ name: `www.${ZONE}`, type: 'A', client: c })),
  ...CLIENTS.filter((c) => c.includes(':')).map((c): Item => ({ name: `www.${ZONE}`, type: 'AAAA', client: c })),
  { name: `new.${ZONE}`, type: 'A', client: '10.97.64.9' },
  { name: `new.${ZONE}`, type: 'AAAA', client: '2001:db8:97:8000::1' },
  { name: ZONE, type: 'SOA', client: null },
];

/** The query packet of an item (id 0: each send writes its own). */
function encodeItem(item: Item): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: 0,
    questions: [{ type: item.type, name: item.name }],
    additionals: item.client === null ? [] : [{
      type: 'OPT',
      name: '.',
      udpPayloadSize: 1232,
      flags: 0,
      options: [{ code: 'CLIENT_SUBNET', ip: item.client, sourcePrefixLength: item.client.includes(':') ? 128 : 32 }],
    } as unknown as dnsPacket.Answer],
  });
}

/** An answer in one line: RCODE, the answer records with TTLs, the ECS scope ('-' without ECS). */
function signature(packet: dnsPacket.Packet): string {
  const rcode = (packet as { rcode?: string }).rcode ?? '?';
  const records = (packet.answers ?? []).map((r) => {
    const rec = r as { type: string; ttl?: number; data?: unknown };
    const data = rec.type === 'SOA' ? String((rec.data as { serial: number }).serial) : String(rec.data);
    return `${rec.type} ${rec.ttl} ${data}`;
  });
  const opt = (packet.additionals ?? []).find((r) => r.type === 'OPT') as { options?: Array<{ code: number; scopePrefixLength?: number }> } | undefined;
  const ecs = opt?.options?.find((o) => o.code === 8);
  return `${rcode}|${records.join(',')}|${ecs ? String(ecs.scopePrefixLength) : '-'}`;
}

/**
 * The load: IN_FLIGHT queries outstanding at all times, the items in turn, each answer sending the next. Every
 * answer is counted under (item, the configs allowed when it was sent, its signature); checked at the end.
 */
class DnsLoad {
  private readonly socket = dgram.createSocket('udp4');
  private readonly packets = ITEMS.map(encodeItem);
  private readonly inFlight = new Map<number, { item: number; allowed: string; sentAt: number }>();
  private nextId = 1;
  private nextItem = 0;
  private running = false;
  private stopped = false;
  private startedAt = 0;
  /** Milliseconds from start() to stop(). */
  elapsedMs = 0;
  private sweeper: NodeJS.Timeout | null = null;
  /** The configs whose answers are right for a query sent now: "A", "A>B" during a reload, then "B". */
  allowed = 'A';
  /** `${item}|${allowed}|${signature}` -> answers. */
  readonly answers = new Map<string, number>();
  readonly answeredIn = new Map<string, number>();
  sent = 0;
  answered = 0;
  readonly timeouts: Array<{ item: Item; allowed: string }> = [];
  strays = 0;
  undecodable = 0;

  constructor(
    private readonly address: string,
    private readonly port: number,
  ) {
    this.socket.on('message', (message) => this.receive(message));
  }

  start(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.bind(0, () => {
        this.running = true;
        this.startedAt = Date.now();
        for (let i = 0; i < IN_FLIGHT; i++) this.send();
        this.sweeper = setInterval(() => this.sweep(), 250);
        resolve();
      });
    });
  }

  private send(): void {
    if (!this.running) return;
    let id = this.nextId;
    while (this.inFlight.has(id)) id = (id % 65535) + 1;
    this.nextId = (id % 65535) + 1;
    const item = this.nextItem;
    this.nextItem = (item + 1) % ITEMS.length;
    const packet = Buffer.from(this.packets[item]!);
    packet.writeUInt16BE(id, 0);
    this.inFlight.set(id, { item, allowed: this.allowed, sentAt: Date.now() });
    this.sent++;
    this.socket.send(packet, this.port, this.address);
  }

  private receive(message: Buffer): void {
    if (message.length < 2) return void this.undecodable++;
    const query = this.inFlight.get(message.readUInt16BE(0));
    if (!query) return void this.strays++;
    this.inFlight.delete(message.readUInt16BE(0));
    let sig: string;
    try {
      sig = signature(dnsPacket.decode(message));
    } catch {
      sig = 'undecodable';
      this.undecodable++;
    }
    const key = `${query.item}|${query.allowed}|${sig}`;
    this.answers.set(key, (this.answers.get(key) ?? 0) + 1);
    this.answeredIn.set(query.allowed, (this.answeredIn.get(query.allowed) ?? 0) + 1);
    this.answered++;
    this.send();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, q] of this.inFlight) {
      if (now - q.sentAt < QUERY_TIMEOUT_MS) continue;
      this.inFlight.delete(id);
      this.timeouts.push({ item: ITEMS[q.item]!, allowed: q.allowed });
      this.send();
    }
  }

  /** Resolves once `n` more answers came for queries sent while `allowed` was as now. */
  async collect(n: number): Promise<void> {
    const phase = this.allowed;
    const target = (this.answeredIn.get(phase) ?? 0) + n;
    await waitFor(`${n} answers in phase ${phase}`, async () => {
      if (this.timeouts.length > 0) throw new Error(`${this.timeouts.length} queries unanswered: ${JSON.stringify(this.timeouts.slice(0, 5))}`);
      return (this.answeredIn.get(phase) ?? 0) >= target || undefined;
    }, 120_000, 50);
  }

  /** Stops sending and waits for the answers still due (or their timeouts). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    await waitFor('the last answers', async () => this.inFlight.size === 0 || undefined, QUERY_TIMEOUT_MS + 5_000, 50).catch(() => undefined);
    this.elapsedMs = Date.now() - this.startedAt;
    this.sweep();
    if (this.sweeper) clearInterval(this.sweeper);
    this.socket.close();
  }
}

const missing = (await Promise.all((['bird'] as const).map((n) => missingReason(n)))).filter((m): m is string => m !== null);

peerTest(missing, 'reload under DNS load: good configs switch the answers, bad ones are refused with line:column, and no query fails', async (t: ExecutionContext) => {
  const ssAddress = loopbackAddress(BLOCK);
  const birdAddress = loopbackAddress(BLOCK);
  const ss = new Supersparrow({
    localAs: OUR_AS,
    address: ssAddress,
    listenPort: await freePort(ssAddress),
    holdTime: HOLD,
    connectRetry: 1,
    neighbors: [{ address: birdAddress, remoteAs: OUR_AS, port: 179, passive: true, gracefulRestart: false }],
    logLevel: 'info',
  });
  /** Writes `setup` into supersparrow's config file (everything else as it started). */
  const configText = (setup: Setup): string => {
    Object.assign(ss.options, {
      pops: setup.pops,
      proximity: setup.proximity,
      overrides: setup.overrides,
      dns: {
        // Port 0: a free port, once; the same text in every config keeps the socket (no restart needed).
        listen: [`${ssAddress}:0`],
        zone: ZONE,
        ttl: setup.ttl,
        'ns-ttl': NS_TTL,
        names: setup.names,
        ns: { [`ns1.${ZONE}`]: ['192.0.2.53'] },
        soa: { serial: setup.serial },
        startup: { ttl: 5, timeout: 300 },
      },
    });
    return stringify(ss.config());
  };
  configText(A);
  let bird: PeerDaemon | null = null;
  let load: DnsLoad | null = null;
  t.teardown(async () => {
    await load?.stop();
    if (!t.passed) t.log(`supersparrow log (tail):\n${(await ss.log()).split('\n').slice(-30).join('\n')}`);
    await Promise.allSettled([bird?.stop(), ss.stop()]);
  });
  await ss.start();
  const dnsPort = (await ss.dnsListening()).find((l) => l.address === ssAddress)?.port ?? 0;
  t.not(dnsPort, 0, 'the responder listens');
  for (let attempt = 1; ; attempt++) {
    bird = createPeer('bird', {
      address: birdAddress,
      as: OUR_AS,
      neighbor: { address: ssAddress, as: OUR_AS, port: ss.options.listenPort },
      mode: 'active',
      listenPort: await freePort(birdAddress),
      holdTime: HOLD,
      connectRetry: 1,
      routes: ROUTES,
      gracefulRestart: { restartTime: 30 }, // BIRD then sends End-of-RIB, which ends the startup state
    });
    await bird.start();
    const view = await waitFor('BIRD\'s protocol to start', async () => {
      const v = await bird!.view();
      return v.state === 'Idle' && v.lastError === '' ? undefined : v;
    }, 10_000, 100).catch(() => bird!.view());
    if (!/No listening socket/.test(view.lastError)) break;
    await bird.stop();
    if (attempt === 3) throw new Error('BIRD could not open a listening socket in 3 attempts');
  }
  await ss.waitEstablished(birdAddress, SESSION_UP_MS);
  const logCount = async (re: RegExp): Promise<number> => (await ss.logRecords()).filter((r) => typeof r['msg'] === 'string' && re.test(r['msg'])).length;
  await waitFor('the responder to answer from the decision', async () => (await logCount(/^DNS: answering from the decision/)) > 0 || undefined, SESSION_UP_MS, 100);

  /** The signature each item must have under `setup`, from `query --json` for the POP and scope. */
  const oracles = new Map<string, string[]>();
  const learn = async (setup: Setup): Promise<void> => {
    const decisions = new Map((await ss.query(CLIENTS)).map((d, i) => [CLIENTS[i]!, d]));
    oracles.set(setup.label, ITEMS.map((item) => {
      if (item.type === 'SOA') return `NOERROR|SOA ${NS_TTL} ${setup.serial}|-`;
      const label = item.name.slice(0, -(ZONE.length + 1));
      const d = decisions.get(item.client!)!;
      const spec = setup.names[label];
      if (!spec) return 'NXDOMAIN||0';
      const pop = setup.pops[d.pop!]!;
      return `NOERROR|${item.type} ${spec.ttl ?? setup.ttl} ${item.type === 'A' ? pop.ipv4 : pop.ipv6}|${d.scope}`;
    }));
  };
  const expect = (setup: Setup, item: Item): string => oracles.get(setup.label)![ITEMS.indexOf(item)]!;
  const itemOf = (name: string, type: Item['type'], client: string | null): Item =>
    ITEMS.find((i) => i.name === `${name}${name === ZONE ? '' : `.${ZONE}`}` && i.type === type && i.client === client)!;
  await learn(A);
  // The configs differ where the test says they do (hand-checked, so that the switch is visible).
  t.is(expect(A, itemOf('www', 'A', '10.98.0.1')), 'NOERROR|A 20 192.0.2.11|15', 'A: no route: self x');
  t.is(expect(A, itemOf('www', 'A', '10.97.200.1')), 'NOERROR|A 20 192.0.2.22|24', 'A: the override: y');
  t.is(expect(A, itemOf('new', 'A', '10.97.64.9')), 'NXDOMAIN||0', 'A: no name new');

  load = new DnsLoad(ssAddress, dnsPort);
  await load.start();
  await load.collect(ANSWERS_PER_PHASE);

  /** A good reload: allowed old-or-new while it runs, new once confirmed; then the new oracle and a phase. */
  const switchTo = async (from: Setup, to: Setup, how: 'reload' | 'SIGHUP'): Promise<void> => {
    await writeFile(ss.configFile, configText(to));
    load!.allowed = `${from.label}>${to.label}`;
    if (how === 'reload') {
      const r = await ss.cli(['reload']);
      t.is(r.code, 0, `reload to ${to.label}: ${r.stderr}`);
    } else {
      const before = await logCount(/^configuration reloaded$/);
      ss.signal('SIGHUP');
      await waitFor(`SIGHUP to reload ${to.label}`, async () => (await logCount(/^configuration reloaded$/)) > before || undefined, 30_000, 20);
    }
    load!.allowed = to.label;
    await learn(to);
    await load!.collect(ANSWERS_PER_PHASE);
  };
  /** A bad file: refused with file:line:column, through the reply or the log; the running config stays. */
  const refuse = async (text: string, how: 'reload' | 'SIGHUP', where: RegExp, what: string): Promise<void> => {
    await writeFile(ss.configFile, text);
    if (how === 'reload') {
      const r = await ss.cli(['reload']);
      t.not(r.code, 0, `${what} through reload: refused`);
      t.regex(r.stderr, where, `${what} through reload: the reply names line and column`);
      t.log(`${what} through reload: ${r.stderr.split('\n').find((l) => where.test(l)) ?? r.stderr}`);
    } else {
      const before = await logCount(/^configuration not reloaded/);
      ss.signal('SIGHUP');
      await waitFor(`SIGHUP to refuse ${what}`, async () => (await logCount(/^configuration not reloaded/)) > before || undefined, 30_000, 20);
      const record = (await ss.logRecords()).filter((r) => typeof r['msg'] === 'string' && /^configuration not reloaded/.test(r['msg'])).at(-1)!;
      t.regex(String(record['msg']), where, `${what} through SIGHUP: the log names line and column`);
      t.log(`${what} through SIGHUP, logged: ${String(record['msg']).split('\n').find((l) => where.test(l)) ?? ''}`);
    }
    await load!.collect(ANSWERS_PER_PHASE / 2);
  };

  await switchTo(A, B, 'reload');
  t.is(expect(B, itemOf('www', 'A', '10.98.0.1')), 'NOERROR|A 40 192.0.2.23|15', 'B: no route: self y, its new address, the new TTL');
  t.is(expect(B, itemOf('www', 'A', '10.97.200.1')), 'NOERROR|A 40 192.0.2.33|24', 'B: the override now says z');
  t.is(expect(B, itemOf('www', 'AAAA', '2001:db8:97:8000::1')), 'NOERROR|AAAA 40 2001:db8::33|49', 'B: the added POP z by its AS');
  t.is(expect(B, itemOf('new', 'A', '10.97.64.9')), 'NOERROR|A 15 192.0.2.23|18', 'B: the new name');
  await switchTo(B, C, 'SIGHUP');
  t.is(expect(C, itemOf('www', 'A', '10.97.64.9')), 'NOERROR|A 40 192.0.2.33|18', 'C: multi-view: z\'s view has the shorter path');

  const good = configText(C);
  const file = ss.configFile.split('/').at(-1)!;
  // A syntax error: an unclosed flow sequence where the TTL was.
  const broken = good.replace(/^(\s*)ttl: 40$/m, '$1ttl: [40');
  t.not(broken, good, 'the syntax error is written');
  const brokenAt = new RegExp(`${file}:\\d+:\\d+`);
  // A semantic error: an override to a POP that does not exist.
  const unknownPop = good.replace(/^(\s*)10\.97\.200\.0\/24: z$/m, '$1"10.97.200.0/24": w');
  t.not(unknownPop, good, 'the unknown POP is written');
  const line = unknownPop.split('\n').findIndex((l) => l.includes('"10.97.200.0/24": w')) + 1;
  const unknownAt = new RegExp(`${file}:${line}:\\d+: overrides\\["10\\.97\\.200\\.0/24"\\]`);
  await refuse(broken, 'reload', brokenAt, 'a syntax error');
  await refuse(broken, 'SIGHUP', brokenAt, 'a syntax error');
  await refuse(unknownPop, 'reload', unknownAt, 'an unknown POP');
  await refuse(unknownPop, 'SIGHUP', unknownAt, 'an unknown POP');
  await switchTo(C, A2, 'reload');
  await load.stop();

  // Every answer was right for a config allowed when its query was sent.
  const wrong: unknown[] = [];
  for (const [key, count] of load.answers) {
    const [itemText, allowed] = key.split('|', 2) as [string, string];
    const fullSig = key.slice(itemText.length + allowed.length + 2);
    const item = Number(itemText);
    const labels = allowed.split('>');
    const accepted = labels.map((l) => oracles.get(l)![item]!);
    if (!accepted.includes(fullSig)) wrong.push({ item: ITEMS[item], allowed, got: fullSig, accepted, count });
  }
  t.deepEqual(wrong, [], 'every answer is the old or the new config\'s, as the time of its query allows');
  t.deepEqual(load.timeouts, [], 'no query went unanswered');
  t.is(load.undecodable, 0, 'every answer decodes');
  t.is(load.answered, load.sent, 'every query answered');
  // The switch is visible: after each good reload, answers that only the new config gives.
  for (const [from, to] of [[A, B], [B, C], [C, A2]] as const) {
    const differing = ITEMS.map((_, i) => i).filter((i) => oracles.get(from.label)![i] !== oracles.get(to.label)![i]);
    const seen = differing.reduce((sum, i) => sum + (load!.answers.get(`${i}|${to.label}|${oracles.get(to.label)![i]}`) ?? 0), 0);
    t.true(differing.length > 0 && seen > 0, `${from.label} -> ${to.label}: ${differing.length} questions change; ${seen} answers gave the new config's`);
  }
  const phases = [...load.answeredIn].map(([p, n]) => `${p}: ${n}`).join(', ');
  t.log(`${load.sent} queries sent in ${(load.elapsedMs / 1000).toFixed(1)} s (${Math.round(load.answered / (load.elapsedMs / 1000))}/s, ${IN_FLIGHT} in flight), ${load.answered} answered, ${load.timeouts.length} unanswered, ${wrong.length} wrong; by phase ${phases}`);
});
