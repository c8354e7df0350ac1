import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/supersparrow.js');
const run = promisify(execFile);

/** The origin AS that @ip-location-db/asn gives for an IPv4 address, read straight from its CSV. */
function originOf(address: string): number {
  const require = createRequire(import.meta.url);
  const csv = path.join(path.dirname(require.resolve('@ip-location-db/asn/package.json')), 'asn-ipv4-num.csv');
  const n = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  for (const line of readFileSync(csv, 'latin1').split('\n')) {
    const [start, end, asn] = line.split(',');
    if (Number(start) <= n && n <= Number(end)) return Number(asn);
  }
  throw new Error(`${address} is in no range of the CSV`);
}

test('the demo replays a full table from its built-in router peer and answers from it', async (t) => {
  const { stdout } = await run('node', [BIN, 'demo', '--once', '8.8.8.8', '2606:4700:4700::1111'], { timeout: 120_000 });
  t.log(stdout.split('\n').filter((l) => l.startsWith('# table') || l.startsWith('# loaded')).join('\n'));

  const table = /# table: ([\d,]+) IPv4 \+ ([\d,]+) IPv6 prefixes/.exec(stdout);
  t.truthy(table, 'the demo says what table it sends');
  const ipv4 = Number(table![1]!.replaceAll(',', ''));
  const ipv6 = Number(table![2]!.replaceAll(',', ''));
  t.true(ipv4 > 500_000 && ipv6 > 100_000, 'a full-size table');

  const loaded = /# loaded ([\d,]+) prefixes/.exec(stdout);
  t.is(Number(loaded![1]!.replaceAll(',', '')), ipv4 + ipv6, 'every prefix sent is installed');

  const neighbor = stdout.split('\n').find((l) => l.startsWith('127.0.0.11 '));
  t.regex(neighbor ?? '', new RegExp(`^127\\.0\\.0\\.11\\s+64500\\s+Established\\s+\\S+\\s+${ipv4}\\s+${ipv6}\\s*$`));

  const route = /\$ supersparrow routes .* 8\.8\.8\.8\n(\S+) via[^\n]*\n\s+as-path:\s+([\d ]+)\n/.exec(stdout);
  t.truthy(route, 'a route for 8.8.8.8');
  const asPath = route![2]!.trim().split(' ').map(Number);
  t.is(asPath[0], 64500, 'the path starts at the router peer');
  t.is(asPath.at(-1), originOf('8.8.8.8'), 'and ends at the origin AS the data gives for 8.8.8.8');
  t.regex(stdout, /\$ supersparrow routes .* 2606:4700:4700::1111\n2606:4700:\S+ via /);
});
