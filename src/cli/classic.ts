// The original program's invocation (2000), kept working:
//
//   supersparrow --peer 65751=192.168.192.13,64750=192.168.193.11 --self 192.168.192.13 --source 192.168.193.15
//
// The --peer list is the POP table (AS = the answer given when the best route's first AS is that AS), --self
// the answer otherwise. The best route comes from a running daemon (--socket, the default), an MRT dump (--mrt,
// offline) or a route server's console (--route_server). The decision is the classic rule of src/proximity,
// made here with the --peer list, whatever the daemon's own POPs are.
import { Afi } from '../bgp/index.js';
import type { FirstAsJson, RouteJson } from '../control/index.js';
import { Proximity, Rule, unmapIpv4, type PopConfig } from '../proximity/index.js';
import { asPathJson, createRib, formatAddress, parseAddress, readAddress, type ParsedAddress, type RibReader } from '../rib/index.js';
import { runBatch } from './batch.js';
import { CLASSIC_HELP, ClassicUsageError, parseClassicArgs, type ClassicOptions } from './classic-options.js';
import { clientSocketPath, controlRequest } from './control-client.js';
import { ReconnectingConnection } from './decide.js';
import { formatAsPathJson } from './routes.js';
import { RouteServer, defaultRouteServerPort, type RouteServerKind } from '../routeserver/index.js';

/** How long the route server has to answer one command (and to let us log in). */
const ROUTE_SERVER_TIMEOUT_MS = 10_000;

const ANSWERED = 0;
const NO_ANSWER = 1;
const USAGE = 2;

/** The POP table the --peer list and --self make: one POP per answer, self with AS 0 when no peer has its answer. */
export function classicPops(options: Pick<ClassicOptions, 'peers' | 'self'>): { pops: PopConfig[]; self: string | null } {
  const pops: PopConfig[] = [];
  const byAnswer = new Map<string, PopConfig>();
  const add = (answer: string, as: number): void => {
    const existing = byAnswer.get(answer);
    if (existing) {
      // One answer under several ASes: one POP a (AS, answer) pair, named apart.
      if (existing.as === as) return;
    }
    const family = answer.includes(':') ? 'ipv6' : /^\d+\.\d+\.\d+\.\d+$/.test(answer) ? 'ipv4' : 'host';
    const name = existing ? `${answer}#${as}` : answer;
    const pop: PopConfig = {
      name,
      as,
      ipv4: family === 'ipv4' ? answer : null,
      ipv6: family === 'ipv6' ? answer : null,
      host: family === 'host' ? answer : null,
      preference: 100,
      community: null,
      largeCommunity: null,
      down: false,
      check: null,
    };
    if (!existing) byAnswer.set(answer, pop);
    pops.push(pop);
  };
  for (const p of options.peers) add(p.answer, p.as);
  // AS 0 is never a path's first AS: self answers only when no peer's AS is first.
  if (options.self !== null && !byAnswer.has(options.self)) add(options.self, 0);
  return { pops, self: options.self === null ? null : byAnswer.get(options.self)!.name };
}

/** The answer text of each POP of a classic table: exactly as the --peer list or --self gave it. */
function answerOf(pop: PopConfig): string {
  return pop.ipv4 ?? pop.ipv6 ?? pop.host ?? pop.name;
}

/** Runs the classic invocation; returns the exit status (0 answered, 1 no answer possible, 2 usage). */
export async function runClassic(argv: string[]): Promise<number> {
  let options: ClassicOptions;
  try {
    options = parseClassicArgs(argv);
  } catch (err) {
    if (err instanceof ClassicUsageError) {
      process.stderr.write(`supersparrow: ${err.message}\n`);
      return USAGE;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(CLASSIC_HELP);
    return ANSWERED;
  }
  if (!options.batch && options.source === null) {
    process.stderr.write('supersparrow: --source ADDRESS is required (or --batch to read addresses from stdin)\n');
    return USAGE;
  }
  const debug = (text: string): void => {
    if (options.debug) process.stderr.write(`supersparrow: ${text}\n`);
  };
  if (options.self === null) process.stderr.write('supersparrow: Warning: Self not set. See -s|--self option\n');
  if (options.configFile) debug(`options read from ${options.configFile}`);
  const table = classicPops(options);
  // The decision runs here over the --peer list; with --mrt over a RIB loaded from the dump, with --route_server over
  // the route server's answers, otherwise over an empty one (the first AS then comes from the daemon).
  let rib: RibReader;
  let routeServer: RouteServer | null = null;
  if (options.routeServer !== null) {
    const kind = options.routeServer as RouteServerKind;
    routeServer = new RouteServer({
      kind,
      host: options.host,
      port: options.port ?? defaultRouteServerPort(kind),
      password: options.password,
      timeoutMs: ROUTE_SERVER_TIMEOUT_MS,
      // One query has nothing to cache; batch mode keeps answers for a minute, as the original's DNS module did.
      cacheTimeoutMs: options.batch ? 60_000 : 0,
      cacheSize: 10_000,
      // Batch mode keeps going when the console is away: self at once, a new attempt a few seconds later.
      reconnectMinMs: 2_000,
      reconnectMaxMs: 10_000,
      // --verbose shows the exchange with the console, as the original did (the password is never shown).
      // What the console printed is the transcript: it echoes our commands itself, and never the password.
      onTranscript: options.verbose ? (direction, text) => void (direction === 'in' && process.stdout.write(text)) : null,
    });
    debug(`asking the route server at ${options.host} port ${routeServer.options.port} (${kind})`);
    rib = routeServer.reader;
  } else if (options.mrt !== null) {
    const started = Date.now();
    const { writer, reader } = createRib();
    const { loadMrtIntoRib } = await import('../replay/index.js');
    try {
      const loaded = await loadMrtIntoRib(options.mrt, writer);
      debug(`${options.mrt}: ${loaded.entries} RIB entries, ${loaded.updates} UPDATEs from ${loaded.neighbors.size} peers in ${Date.now() - started} ms`);
    } catch (err) {
      process.stderr.write(`supersparrow: cannot read ${options.mrt}: ${(err as Error).message}\n`);
      return USAGE;
    }
    rib = reader;
  } else rib = createRib({ sizing: 'small' }).reader;
  const proximity = new Proximity(rib, {
    pops: table.pops,
    proximity: { rule: 'classic', self: table.self },
    overrides: [],
    neighborPops: [],
  });
  const out = proximity.newDecision();
  // No self and no peer AS first: no answer.
  const answerText = (pop: number): string | null => (pop < 0 || (table.self === null && out.rule !== Rule.FirstAs) ? null : answerOf(proximity.pops[pop]!.config));
  const parsed: ParsedAddress = { afi: Afi.IPv4, a: 0, b: 0, c: 0, d: 0 };
  const selfText = table.self ?? 'NULL';
  const peersLine = `PEERS: ${options.peers.map((p) => `${p.as}=${p.answer}`).join(' ')}`;

  if (routeServer !== null) {
    const rs = routeServer;
    // One answer from the route server; its failure answers self, as the original did when its route server did not.
    const decideFromConsole = async (line: string): Promise<{ answer: string | null; path: string | null }> => {
      const p: ParsedAddress = { afi: Afi.IPv4, a: 0, b: 0, c: 0, d: 0 };
      if (!readAddress(line.trim(), p)) return { answer: null, path: null };
      unmapIpv4(p);
      try {
        await rs.resolve(p);
      } catch (err) {
        process.stderr.write(`supersparrow: route server ${options.host} port ${rs.options.port}: ${(err as Error).message}; answering self\n`);
        return { answer: selfText, path: null };
      }
      const pop = proximity.decide(p.afi, p.a, p.b, p.c, p.d, out);
      const path = out.route.found ? formatAsPathJson(asPathJson(rib.attributesOf(out.route.attributes))) : null;
      return { answer: answerText(pop), path };
    };
    try {
      if (options.batch) {
        await runBatch({
          input: process.stdin,
          output: process.stdout,
          // In order, one at a time: the console answers one command at a time anyway, and a burst for one
          // network then costs one round trip (the rest come from the cache).
          answer: async (lines) => {
            const answers: string[] = [];
            for (const line of lines) answers.push((await decideFromConsole(line)).answer ?? selfText);
            return answers;
          },
          fallback: (lines) => lines.map(() => selfText),
        });
        return ANSWERED;
      }
      const source = options.source!;
      if (!readAddress(source.trim(), parsed)) return badSource(source);
      const r = await decideFromConsole(source);
      if (options.verbose) process.stdout.write(`\n${peersLine}\nASPATH: ${r.path ?? ''}\n`);
      return printAnswer(r.answer);
    } finally {
      rs.close();
    }
  }

  if (options.mrt !== null) {
    // Offline: every decision is local.
    const decideLocal = (line: string): { answer: string | null; path: string | null } => {
      if (!readAddress(line.trim(), parsed)) return { answer: null, path: null };
      const pop = proximity.decide(parsed.afi, parsed.a, parsed.b, parsed.c, parsed.d, out);
      const path = out.route.found ? formatAsPathJson(asPathJson(rib.attributesOf(out.route.attributes))) : null;
      return { answer: answerText(pop), path };
    };
    if (options.batch) {
      await runBatch({
        input: process.stdin,
        output: process.stdout,
        answer: async (lines) => lines.map((l) => decideLocal(l).answer ?? selfText),
        fallback: (lines) => lines.map(() => selfText),
      });
      return ANSWERED;
    }
    const source = options.source!;
    if (!readAddress(source.trim(), parsed)) return badSource(source);
    const r = decideLocal(source);
    if (options.verbose) process.stdout.write(`${peersLine}\nASPATH: ${r.path ?? ''}\n`);
    return printAnswer(r.answer);
  }

  // A running daemon gives the first AS (and a hash of the matched prefix, for POPs sharing an AS).
  const socket = clientSocketPath(options.socket ?? undefined);
  debug(`asking the daemon at ${socket}`);
  if (options.batch) {
    const connections = new ReconnectingConnection(socket);
    await runBatch({
      input: process.stdin,
      output: process.stdout,
      answer: async (lines) => {
        const r = await (await connections.get()).request<FirstAsJson>({ command: 'first-as', addresses: lines });
        return lines.map((_, i) => {
          const firstAs = r.firstAs[i]!;
          if (firstAs < 0) return selfText;
          return answerText(proximity.decideByFirstAs(firstAs, r.hash[i]!, out)) ?? selfText;
        });
      },
      fallback: (lines, err) => {
        // The daemon is away: self, as the original answered when its route server did not.
        connections.report(err, 'supersparrow');
        return lines.map(() => selfText);
      },
    });
    connections.close();
    return ANSWERED;
  }
  let source: string;
  try {
    // A mapped IPv4 address (::ffff:a.b.c.d) is the IPv4 client it stands for.
    const p = unmapIpv4(parseAddress(options.source!.trim()));
    source = formatAddress(p.afi, p.a, p.b, p.c, p.d);
  } catch {
    return badSource(options.source!);
  }
  let firstAs: FirstAsJson;
  let route: RouteJson | null = null;
  try {
    firstAs = await controlRequest<FirstAsJson>(socket, { command: 'first-as', addresses: [source] });
    if (options.verbose) route = await controlRequest<RouteJson | null>(socket, { command: 'routes', target: source });
  } catch (err) {
    process.stderr.write(`supersparrow: ${(err as Error).message}\n`);
    return NO_ANSWER;
  }
  const pop = proximity.decideByFirstAs(Math.max(0, firstAs.firstAs[0]!), firstAs.hash[0]!, out);
  if (options.verbose) {
    if (route) debug(`best route ${route.prefix} from ${route.neighbor}`);
    process.stdout.write(`${peersLine}\nASPATH: ${route ? formatAsPathJson(route.asPath) : ''}\n`);
  }
  return printAnswer(answerText(pop));
}

function printAnswer(answer: string | null): number {
  if (answer === null) {
    process.stderr.write('supersparrow: no answer: no peer\'s AS is first on the best route, and self is not set\n');
    return NO_ANSWER;
  }
  process.stdout.write(answer + '\n');
  return ANSWERED;
}

function badSource(source: string): number {
  process.stderr.write(`supersparrow: --source ${source}: not an IP address\n`);
  return USAGE;
}
