import type { Command } from 'commander';
import type { AnswerFormat, PopJson, QueryJson } from '../control/index.js';
import type { ExplanationJson } from '../proximity/index.js';
import { runBatch } from './batch.js';
import { clientSocketPath, ControlConnection, controlRequest } from './control-client.js';
import type { SetStatus } from './index.js';
import { formatAsPathJson, formatRoute } from './routes.js';

// Exit statuses of the decision commands: 0 answered, 1 no answer possible (no POP, no daemon), 2 usage.
const NO_ANSWER = 1;
const USAGE = 2;

/**
 * `query`, `explain`, `batch`, `pops` and `pop drain|undrain`: the POP decision of the running daemon, over its
 * control socket.
 */
export function registerDecisionCommands(program: Command, setStatus: SetStatus): void {
  program
    .command('query <addr...>')
    .description('which POP is closest to each address: one line each (ADDR POP ANSWER), from the running daemon')
    .option('--json', 'one JSON object per address (addr, pop, answer, rule, prefix, asPath, scope, ranking)')
    .option('--socket <path>', 'control socket of the daemon')
    .addHelpText('after', '\nExit status: 0 answered, 1 no answer possible (no POP configured, daemon unreachable), 2 not an address.')
    .action(async (addresses: string[], opts: { json?: boolean; socket?: string }) => {
      let results: QueryJson[];
      try {
        results = await controlRequest<QueryJson[]>(clientSocketPath(opts.socket), { command: 'query', addresses });
      } catch (err) {
        process.stderr.write(`supersparrow query: ${(err as Error).message}\n`);
        setStatus(NO_ANSWER);
        return;
      }
      const lines: string[] = [];
      for (const r of results) {
        if (r.error) {
          process.stderr.write(`supersparrow query: ${r.error}\n`);
          setStatus(USAGE);
        } else if (r.pop === null) setStatus(NO_ANSWER);
        if (opts.json) lines.push(JSON.stringify(r));
        else if (!r.error) lines.push(r.pop === null ? `${r.addr} - (no POP configured)` : `${r.addr} ${r.pop} ${r.answer ?? '-'}`);
      }
      if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
    });

  program
    .command('explain <addr>')
    .description('why the daemon answers an address as it does: matched prefix, paths, candidates, rule, scope, age')
    .option('--json', 'print the explanation as JSON')
    .option('--socket <path>', 'control socket of the daemon')
    .action(async (address: string, opts: { json?: boolean; socket?: string }) => {
      let e: ExplanationJson;
      try {
        e = await controlRequest<ExplanationJson>(clientSocketPath(opts.socket), { command: 'explain', address });
      } catch (err) {
        const message = (err as Error).message;
        process.stderr.write(`supersparrow explain: ${message}\n`);
        setStatus(/not an IP address/.test(message) ? USAGE : NO_ANSWER);
        return;
      }
      process.stdout.write(opts.json ? JSON.stringify(e, null, 2) + '\n' : formatExplanation(e));
      if (e.pop === null) setStatus(NO_ANSWER);
    });

  program
    .command('batch')
    .description('answer addresses read from stdin, one a line, one answer a line, flushed each (Apache RewriteMap prg:)')
    .option('--format <what>', 'what to print: address (the POP\'s address for the client\'s family), name or host', 'address')
    .option('--socket <path>', 'control socket of the daemon')
    .addHelpText(
      'after',
      '\nA line that is not an address gets the self POP\'s answer; while the daemon cannot be reached every line gets NULL\n' +
        '(mod_rewrite\'s "no value") and the reason goes to stderr. Never exits before the end of its input.',
    )
    .action(async (opts: { format: string; socket?: string }) => {
      if (opts.format !== 'address' && opts.format !== 'name' && opts.format !== 'host') {
        process.stderr.write('supersparrow batch: --format must be address, name or host\n');
        setStatus(USAGE);
        return;
      }
      const format = opts.format as AnswerFormat;
      const connections = new ReconnectingConnection(clientSocketPath(opts.socket));
      await runBatch({
        input: process.stdin,
        output: process.stdout,
        answer: async (lines) => (await connections.get()).request<string[]>({ command: 'answers', addresses: lines, format }),
        fallback: (lines, err) => {
          connections.report(err, 'supersparrow batch');
          return lines.map(() => 'NULL');
        },
      });
      connections.close();
    });

  program
    .command('pops')
    .description('each POP\'s state (up, or down and why), answers, neighbors and health check')
    .option('--json', 'print a JSON array')
    .option('--socket <path>', 'control socket of the daemon')
    .action(async (opts: { json?: boolean; socket?: string }) => {
      let pops: PopJson[];
      try {
        pops = await controlRequest<PopJson[]>(clientSocketPath(opts.socket), { command: 'pops' });
      } catch (err) {
        process.stderr.write(`supersparrow pops: ${(err as Error).message}\n`);
        setStatus(NO_ANSWER);
        return;
      }
      process.stdout.write(opts.json ? JSON.stringify(pops, null, 2) + '\n' : formatPops(pops));
    });

  const pop = program.command('pop').description('drain or undrain a POP (never answered while another is up)');
  for (const [verb, command] of [
    ['drain', 'pop-drain'],
    ['undrain', 'pop-undrain'],
  ] as const) {
    pop
      .command(`${verb} <name>`)
      .description(verb === 'drain' ? 'take a POP out of the answers (until undrained or the daemon restarts)' : 'put a drained POP back')
      .option('--socket <path>', 'control socket of the daemon')
      .action(async (name: string, opts: { socket?: string }) => {
        try {
          const result = await controlRequest<PopJson>(clientSocketPath(opts.socket), { command, pop: name });
          process.stdout.write(formatPops([result]));
        } catch (err) {
          const message = (err as Error).message;
          process.stderr.write(`supersparrow pop ${verb}: ${message}\n`);
          setStatus(/no POP named/.test(message) ? USAGE : NO_ANSWER);
        }
      });
  }
}

/**
 * A control connection opened on first use and again after it broke (the daemon restarted): batch mode lives
 * as long as the web server, so it must outlive a daemon restart. Reports each outage once on stderr.
 */
export class ReconnectingConnection {
  private connection: Promise<ControlConnection> | null = null;
  private reported = false;

  constructor(private readonly socketPath: string) {}

  async get(): Promise<ControlConnection> {
    if (this.connection) {
      const c = await this.connection.catch(() => null);
      if (c && !c.broken) return c;
    }
    this.connection = ControlConnection.open(this.socketPath);
    const c = await this.connection;
    if (this.reported) process.stderr.write(`reconnected to the daemon at ${this.socketPath}\n`);
    this.reported = false;
    return c;
  }

  report(err: Error, who: string): void {
    if (this.reported) return;
    this.reported = true;
    process.stderr.write(`${who}: ${err.message}\n`);
  }

  close(): void {
    void this.connection?.then((c) => c.close()).catch(() => undefined);
  }
}

export function formatExplanation(e: ExplanationJson): string {
  const lines: string[] = [];
  lines.push(`${e.address} -> ${e.pop ?? '(no POP)'}${e.answer ? ` (${e.answer})` : ''}   rule: ${e.rule}, decided by: ${e.decidedBy}`);
  lines.push(`  ${e.summary}`);
  lines.push(`  matched prefix: ${e.prefix ?? 'none'}   ECS scope: /${e.scope}${e.ageSeconds !== null ? `   route age: ${formatAge(e.ageSeconds)} (since ${e.routeChangedAt})` : ''}`);
  if (e.override) lines.push(`  override: ${e.override.prefix} -> ${e.override.pop}`);
  if (e.route) lines.push(...formatRoute(e.route).trimEnd().split('\n').map((l) => `  ${l}`));
  lines.push('  candidates:');
  const width = Math.max(4, ...e.candidates.map((c) => c.pop.length));
  // Closest first, then the POPs that are down.
  const byRank = [...e.candidates].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity));
  for (const c of byRank) {
    const rank = c.rank === null ? ' -' : `${c.rank}.`;
    const state = c.up ? 'up' : `down (${c.down.join(', ')})`;
    const view = c.view ? `  ${c.view.prefix} [${formatAsPathJson(c.view.asPath)}] lp ${c.view.localPref} med ${c.view.med ?? '-'} ${c.view.origin ?? ''} via ${c.view.neighbor}` : '';
    lines.push(`    ${rank.padStart(3)} ${c.pop.padEnd(width)} AS${c.as} pref ${c.preference} ${state}${c.rule ? ` [${c.rule}]` : ''}${view}`);
    lines.push(`        ${c.note}`);
  }
  if (e.paths.length > 0) {
    lines.push(`  paths for ${e.prefix} (${e.paths.length}, best first):`);
    for (const p of e.paths) lines.push(`    ${p.asPath.length > 0 ? formatAsPathJson(p.asPath) : '(empty)'}  from ${p.neighbor}${p.nextHop ? ` via ${p.nextHop}` : ''}`);
  }
  return lines.join('\n') + '\n';
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function formatPops(pops: PopJson[]): string {
  if (pops.length === 0) return 'no POPs configured\n';
  const rows = pops.map((p) => [
    p.name + (p.self ? ' (self)' : ''),
    `AS${p.as}`,
    p.up ? 'up' : 'down',
    p.since.replace(/\.\d+Z$/, 'Z'),
    [p.ipv4, p.ipv6, p.host].filter((x) => x !== null).join(' '),
    p.up ? (p.check ? `check ok (${p.check.target})` : '') : p.down.join(', '),
  ]);
  const header = ['POP', 'AS', 'STATE', 'SINCE', 'ANSWERS', 'WHY'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
