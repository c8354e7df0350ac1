// One dnsperf run against a DNS server, dnsperf pinned to its own core, with the server's CPU use measured over
// the steady part of the run. dnsperf's stdout goes through `stdbuf -oL` so that its "[Status] Sending queries"
// line arrives when it starts sending (not when it exits): the CPU window opens WINDOW_MARGIN_MS after that line
// and closes WINDOW_MARGIN_MS before the time limit, so neither dnsperf's start nor its wait for the last answers
// counts as idle server time.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { trackChild } from './cleanup.js';
import { coresBusy, sampleCpu, type CpuSample } from './proc-cpu.js';

const WINDOW_MARGIN_MS = 150;

export interface DnsperfOptions {
  server: string;
  port: number;
  /** dnsperf's binary input file (`-B`). */
  file: string;
  seconds: number;
  /** `-c`: clients (sockets). */
  clients: number;
  /** `-q`: queries outstanding at most. */
  outstanding: number;
  /** The CPU list dnsperf runs on (`taskset -c`). */
  cpus: string;
  /** The server whose CPU use is measured. */
  serverPid: number;
}

export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  runSeconds: number;
  avgLatencyS: number;
  minLatencyS: number;
  maxLatencyS: number;
  /** Response codes as dnsperf counts them, e.g. "NOERROR 1000 (100.00%)". */
  rcodes: string;
  /** Cores the server kept busy on average over the window. */
  serverCpu: number;
  /** The same for dnsperf itself (near 1.0: dnsperf is the limit). */
  dnsperfCpu: number;
  /** Datagrams the kernel dropped at the server's UDP socket during the run (its receive buffer was full). */
  socketDrops: number;
  /** dnsperf's whole output, for when something looks off. */
  output: string;
}

const number = (output: string, re: RegExp, what: string): number => {
  const m = re.exec(output);
  if (!m) throw new Error(`dnsperf: no "${what}" in its output:\n${output}`);
  return Number(m[1]);
};

/** Parses dnsperf 2.x's statistics block. */
export function parseDnsperf(output: string): Omit<DnsperfResult, 'serverCpu' | 'dnsperfCpu' | 'socketDrops' | 'output'> {
  const latency = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(output);
  if (!latency) throw new Error(`dnsperf: no "Average Latency" in its output:\n${output}`);
  return {
    sent: number(output, /Queries sent:\s+(\d+)/, 'Queries sent'),
    completed: number(output, /Queries completed:\s+(\d+)/, 'Queries completed'),
    lost: number(output, /Queries lost:\s+(\d+)/, 'Queries lost'),
    qps: number(output, /Queries per second:\s+([\d.]+)/, 'Queries per second'),
    runSeconds: number(output, /Run time \(s\):\s+([\d.]+)/, 'Run time'),
    avgLatencyS: Number(latency[1]),
    minLatencyS: Number(latency[2]),
    maxLatencyS: Number(latency[3]),
    rcodes: /Response codes:\s+([^\n]*)/.exec(output)?.[1]?.trim() ?? '',
  };
}

/**
 * Datagrams dropped so far at the UDP sockets bound to `port` (the `drops` column of /proc/net/udp and udp6):
 * a server that falls behind loses queries there, before it sees them.
 */
export function udpSocketDrops(port: number): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let drops = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 12 && f[1]!.endsWith(hexPort)) drops += Number(f[f.length - 1]);
    }
  }
  return drops;
}

export function runDnsperf(o: DnsperfOptions): Promise<DnsperfResult> {
  const dropsBefore = udpSocketDrops(o.port);
  const args = [
    '-c', o.cpus, 'stdbuf', '-oL',
    'dnsperf', '-s', o.server, '-p', String(o.port), '-d', o.file, '-B',
    '-l', String(o.seconds), '-c', String(o.clients), '-q', String(o.outstanding), '-T', '1', '-t', '2',
  ];
  const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  trackChild(child);
  return new Promise((resolve, reject) => {
    let output = '';
    let from: { server: CpuSample; dnsperf: CpuSample } | null = null;
    let to: { server: CpuSample; dnsperf: CpuSample } | null = null;
    let windowError: Error | null = null;
    const timers: NodeJS.Timeout[] = [];
    const sample = (): { server: CpuSample; dnsperf: CpuSample } => ({ server: sampleCpu(o.serverPid), dnsperf: sampleCpu(child.pid!) });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => (output += t));
    let seenStart = false;
    child.stdout.on('data', (t: string) => {
      output += t;
      if (seenStart || !output.includes('Sending queries')) return;
      seenStart = true;
      // taskset and stdbuf exec dnsperf: the child's pid is dnsperf's.
      timers.push(
        setTimeout(() => {
          try {
            from = sample();
          } catch (err) {
            windowError = err as Error;
          }
        }, WINDOW_MARGIN_MS),
        setTimeout(() => {
          try {
            to = sample();
          } catch (err) {
            windowError = err as Error;
          }
        }, o.seconds * 1000 - WINDOW_MARGIN_MS),
      );
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      if (code !== 0) {
        reject(new Error(`dnsperf exited with ${signal ?? code}:\n${output}`));
        return;
      }
      if (windowError || from === null || to === null) {
        reject(new Error(`dnsperf: the CPU window was not measured (${windowError?.message ?? 'dnsperf ended early'}):\n${output}`));
        return;
      }
      try {
        const f = from as { server: CpuSample; dnsperf: CpuSample };
        const t = to as { server: CpuSample; dnsperf: CpuSample };
        resolve({
          ...parseDnsperf(output),
          serverCpu: coresBusy(f.server, t.server),
          dnsperfCpu: coresBusy(f.dnsperf, t.dnsperf),
          socketDrops: udpSocketDrops(o.port) - dropsBefore,
          output,
        });
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}
