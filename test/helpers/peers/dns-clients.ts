// The real DNS clients the DNS tests query with: `dig` (Debian bind9-dnsutils) and `kdig` (knot-dnsutils). Each is
// run with the arguments a test gives and its text output read back into one shape (DnsReply), so that a test
// states what a reply must be once for both clients. Neither client's JSON output is used: Debian 12's kdig has
// none, and dig's text is what an operator reads.
import { isExecutable, run } from './process.js';

export type DnsClientName = 'dig' | 'kdig';

export const DNS_CLIENT_BINARIES: Record<DnsClientName, string> = {
  dig: '/usr/bin/dig',
  kdig: '/usr/bin/kdig',
};

export function isDnsClient(name: string): name is DnsClientName {
  return name === 'dig' || name === 'kdig';
}

export async function dnsClientInstalled(name: DnsClientName): Promise<boolean> {
  return isExecutable(DNS_CLIENT_BINARIES[name]);
}

/** One resource record as the client printed it. */
export interface DnsRecord {
  name: string;
  ttl: number;
  class: string;
  type: string;
  /** The RDATA fields, space-separated. */
  data: string;
}

/** A reply as a client printed it; the last one when it printed several (dig after a TCP retry prints one). */
export interface DnsReply {
  /** OPCODE name ("QUERY", "STATUS", ...). */
  opcode: string;
  /** RCODE name, extended RCODEs included ("BADVERS"). */
  status: string;
  /** Header flags, lower case ("qr", "aa", "tc", "rd", "ra"). */
  flags: string[];
  counts: { query: number; answer: number; authority: number; additional: number };
  /** The OPT record (EDNS pseudosection); null when the reply had none. */
  opt: { version: number; flags: string[]; udp: number } | null;
  /** The ECS option in the reply; null when none. */
  ecs: { address: string; source: number; scope: number } | null;
  answer: DnsRecord[];
  authority: DnsRecord[];
  additional: DnsRecord[];
  /** Over which transport the printed reply came, when the client says. */
  transport: 'UDP' | 'TCP' | null;
  /** The client said the UDP reply was truncated and it asked again over TCP. */
  retriedOverTcp: boolean;
  /** The client's exit status and its whole output, for failure messages. */
  code: number;
  raw: string;
}

/**
 * Runs `client ARGS...` and reads its default text output. Never rejects on a non-zero exit (dig exits 9 when no
 * server answered): the reply then has status '' and the raw text says why.
 */
export async function queryWith(client: DnsClientName, args: string[], timeoutMs = 20_000): Promise<DnsReply> {
  const r = await run(DNS_CLIENT_BINARIES[client], args, { allowFailure: true, timeoutMs });
  const raw = `$ ${client} ${args.join(' ')}\n${r.stdout}${r.stderr}`;
  return { ...parseDnsClientOutput(r.stdout + '\n' + r.stderr), code: r.code, raw };
}

/** Reads dig's or kdig's default output (the two differ in separators and in how they print the OPT record). */
export function parseDnsClientOutput(text: string): Omit<DnsReply, 'code' | 'raw'> {
  const empty = (): Omit<DnsReply, 'code' | 'raw' | 'retriedOverTcp' | 'transport'> => ({
    opcode: '',
    status: '',
    flags: [],
    counts: { query: 0, answer: 0, authority: 0, additional: 0 },
    opt: null,
    ecs: null,
    answer: [],
    authority: [],
    additional: [],
  });
  let reply = empty();
  let transport: DnsReply['transport'] = null;
  let retriedOverTcp = false;
  let section: DnsRecord[] | null = null;
  for (const line of text.split('\n')) {
    // dig: ";; Truncated, retrying in TCP mode."; kdig: ";; WARNING: truncated reply from ..., retrying over TCP".
    if (/Truncated, retrying in TCP mode|truncated reply .*retrying over TCP/.test(line)) retriedOverTcp = true;
    const header = /->>HEADER<<- opcode: (\w+)[,;] status: (\w+)[,;]/.exec(line);
    if (header) {
      reply = empty();
      reply.opcode = header[1]!;
      reply.status = header[2]!;
      section = null;
      continue;
    }
    // dig: ";; flags: qr aa rd; QUERY: 1, ANSWER: 1, ..."; kdig: ";; Flags: qr aa rd; QUERY: 1; ANSWER: 1; ...".
    const flags = /^;; [Ff]lags:([^;]*); QUERY: (\d+)[,;] ANSWER: (\d+)[,;] AUTHORITY: (\d+)[,;] ADDITIONAL: (\d+)/.exec(line);
    if (flags) {
      reply.flags = flags[1]!.trim().split(/\s+/).filter((f) => f !== '');
      reply.counts = { query: Number(flags[2]), answer: Number(flags[3]), authority: Number(flags[4]), additional: Number(flags[5]) };
      continue;
    }
    // dig: "; EDNS: version: 0, flags: do; udp: 1232"; kdig: ";; Version: 0; flags: do; UDP size: 1232 B; ext-rcode: ...".
    const edns = /^; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(line) ?? /^;; Version: (\d+); flags:([^;]*); UDP size: (\d+) B/.exec(line);
    if (edns) {
      reply.opt = { version: Number(edns[1]), flags: edns[2]!.trim().split(/\s+/).filter((f) => f !== ''), udp: Number(edns[3]) };
      continue;
    }
    const ecs = /^;{1,2} CLIENT-SUBNET: (\S+)\/(\d+)\/(\d+)\s*$/.exec(line);
    if (ecs) {
      reply.ecs = { address: ecs[1]!, source: Number(ecs[2]), scope: Number(ecs[3]) };
      continue;
    }
    // dig: ";; SERVER: 127.0.0.1#53(127.0.0.1) (TCP)"; kdig: ";; From 127.0.0.1@53(TCP) in 0.8 ms".
    const via = /^;; SERVER: .*\((UDP|TCP)\)\s*$/.exec(line) ?? /^;; From \S+\((UDP|TCP)\)/.exec(line);
    if (via) {
      transport = via[1] as 'UDP' | 'TCP';
      continue;
    }
    const start = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (start) {
      section = start[1] === 'ANSWER' ? reply.answer : start[1] === 'AUTHORITY' ? reply.authority : reply.additional;
      continue;
    }
    if (line.trim() === '' || line.startsWith(';')) {
      section = null;
      continue;
    }
    if (section) {
      const [name, ttl, cls, type, ...data] = line.trim().split(/\s+/);
      section.push({ name: name!, ttl: Number(ttl), class: cls!, type: type!, data: data.join(' ') });
    }
  }
  return { ...reply, transport, retriedOverTcp };
}
