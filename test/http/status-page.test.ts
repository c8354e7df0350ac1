// The status page in a real browser (Debian's chromium, driven by puppeteer-core): a daemon with routes from two
// routers, three POPs and DNS answers; the page shows the neighbors and POPs, explains an address typed into its
// form, shows errors, renders hostile text as text, and runs without a console error (its CSP included). Leaves a
// screenshot in test-artifacts/status-page.png.
import net from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import puppeteer from 'puppeteer-core';
import { Afi } from '../../src/bgp/index.js';
import { CHROMIUM, missingReason, peerTest, REPO_ROOT, waitFor } from '../helpers/peers/index.js';
import { udpQuery } from '../dns/helpers.js';
import { addresses, until } from '../session/harness.js';
import { connectRouters, daemonFrom } from './helpers.js';

/** Loopback block 92, from its top (daemon.test.ts counts up from the bottom). */
const next = addresses(92);
for (let i = 0; i < 200; i++) next();

const missing = await missingReason('chromium');

/** A query for www.example.test from a client in `subnet` (ECS), or from the socket's address. */
function question(id: number, subnet?: string): Buffer {
  const additionals = subnet === undefined ? [] : [{
    type: 'OPT' as const, name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false,
    options: [{ code: 8 as const, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: subnet }],
  }];
  return dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name: 'www.example.test' }], additionals });
}

peerTest(missing === null ? [] : [missing], 'status page in chromium: neighbors, POPs, answer shares, explain box, errors, escaping', async (t) => {
  const a = next();
  // y's health check probes this listener: up until the test closes it.
  const probed = net.createServer((c) => c.destroy());
  await new Promise<void>((resolve) => probed.listen(0, a.speaker, () => resolve()));
  t.teardown(() => probed.close());
  const probedPort = (probed.address() as net.AddressInfo).port;
  const hostile = '<img src=x onerror="window.pwned=1"> router of x';
  const d = await daemonFrom(t, `
bgp: { local-as: 65010, router-id: ${a.speaker}, listen: { address: ${a.speaker}, port: 0 } }
pops:
  x: { as: 65751, ipv4: 192.0.2.11, ipv6: "2001:db8::11", host: x.example.test }
  y: { as: 64750, ipv4: 192.0.2.22, host: y.example.test, check: { tcp: ${probedPort}, address: ${a.speaker}, interval: 1, timeout: 1, rise: 1, fall: 1 } }
  z: { as: 64999, ipv4: 192.0.2.33, down: true }
proximity: { rule: classic, self: x }
neighbors:
  - { address: ${a.peer}, remote-as: 65751, passive: true, pop: x, description: ${JSON.stringify(hostile)} }
  - { address: ${a.stranger}, remote-as: 64750, passive: true, pop: y, description: router of y }
dns: { listen: [ "${a.speaker}:0" ], zone: example.test, names: { www: {} }, ns: [ ns.example.net ] }
http: { listen: [ "${a.speaker}:0" ] }`);
  const { py } = await connectRouters(t, d, a, {
    x: [['203.0.113.0/24', [65751, 3356, 64500]], ['198.51.100.0/24', [64750, 64501]], ['192.0.2.0/24', [65751]]],
    y: [['203.0.113.0/24', [64750, 64500]]],
  });
  await until('the table loaded', () => d.daemon.ready().ready && d.daemon.rib.paths(Afi.IPv4, d.daemon.rib.lookupText('203.0.113.1').prefix).length === 2, 15_000);
  // Answers to show: clients in 203.0.113.0/24 go to y, the rest to x.
  const dns = d.daemon.dns!.server.bound[0]!;
  for (let i = 0; i < 12; i++) await udpQuery(dns.address, dns.port, question(i, '203.0.113.0'));
  for (let i = 0; i < 4; i++) await udpQuery(dns.address, dns.port, question(100 + i));
  // Now y's check starts failing.
  probed.close();

  const profile = mkdtempSync(path.join(tmpdir(), 'ss-chromium-'));
  t.teardown(() => rmSync(profile, { recursive: true, force: true }));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`],
  });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${(err as Error).message}`));
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${d.base()}/`, { waitUntil: 'load' });
  const rowsOf = (selector: string) =>
    page.evaluate(`Array.from(document.querySelectorAll(${JSON.stringify(selector)})).map((r) => Array.from(r.cells).map((c) => c.innerText.trim()))`) as Promise<string[][]>;
  await page.waitForFunction(`document.querySelectorAll('#neighbors td.addr').length === 2 && document.querySelectorAll('#pops tbody tr').length === 3`, { timeout: 20_000 });

  const neighbors = await rowsOf('#neighbors tbody tr');
  t.deepEqual(neighbors.map((r) => r.slice(0, 7)), [
    [a.peer, hostile, 'x', 'Established', '3', '0', 'received'],
    [a.stranger, 'router of y', 'y', 'Established', '1', '0', 'received'],
  ]);
  t.true(neighbors.every((r) => /^\d+\.\d\d$/.test(r[7]!)), 'load seconds');
  t.is(await page.evaluate(`document.querySelectorAll('img').length`), 0, 'the hostile description is text, not markup');
  t.is(await page.evaluate(`window.pwned === undefined`), true);

  // y's check fails now that its port is closed; z is down in the configuration.
  await page.waitForFunction(`document.querySelector('#pops').innerText.includes('failing check')`, { timeout: 20_000 });
  const pops = await rowsOf('#pops tbody tr');
  t.deepEqual(pops.map((r) => [r[0], r[1], r[2]]), [['x (self)', 'AS65751', 'up'], ['y', 'AS64750', 'failing check'], ['z', 'AS64999', 'drained (config)']]);
  const share = Object.fromEntries(pops.map((r) => [r[0]!.split(' ')[0], [r[6], r[7]]]));
  t.deepEqual(share['x'], ['25.0 %', '4'], 'answers of the last minutes: 4 of 16 to x');
  t.deepEqual(share['y'], ['75.0 %', '12']);
  t.deepEqual(share['z'], ['0.0 %', '0']);
  t.is(await page.evaluate(`document.getElementById('rib-v4').textContent`), '3');
  t.is(await page.evaluate(`document.getElementById('eor').textContent`), '2 of 2');
  t.regex(await page.evaluate(`document.getElementById('ready').innerText`) as string, /ready\s+End-of-RIB from every neighbor/);

  // The explain box: an error first, then an answer. The label names the field.
  t.is(await page.evaluate(`document.querySelector('label[for=explain-addr]').textContent`), 'Client address');
  await page.type('#explain-addr', 'banana');
  await page.click('#explain-form button[type=submit]');
  await page.waitForFunction(`document.getElementById('explain-error').textContent !== ''`, { timeout: 10_000 });
  t.is(await page.evaluate(`document.getElementById('explain-error').textContent`), 'not an IP address: "banana"');
  await page.click('#explain-addr', { count: 3 });
  await page.type('#explain-addr', '198.51.100.77');
  await page.click('#explain-form button[type=submit]');
  await page.waitForFunction(`document.querySelector('#explain-result .headline') !== null`, { timeout: 10_000 });
  t.is(await page.evaluate(`document.getElementById('explain-error').textContent`), '');
  const explained = (await page.evaluate(`document.getElementById('explain-result').innerText`)) as string;
  // y's check fails, so y is down: the first AS (y's) does not win; x answers.
  t.regex(explained, /198\.51\.100\.77 → x \(192\.0\.2\.11\)/);
  t.regex(explained, /Matched prefix\s+198\.51\.100\.0\/24/);
  t.regex(explained, /AS path\s+64750 64501/);
  const candidates = await rowsOf('#explain-result table:first-of-type tbody tr');
  t.deepEqual(candidates.map((r) => r[1]), ['x', 'y', 'z'], 'every POP is a candidate, ranked first');
  t.is(candidates[0]![0], '1');

  // The page refreshes by itself: a new neighbor state shows without a reload.
  py.destroy();
  await page.waitForFunction(`document.querySelector('#neighbors tbody tr:nth-child(2)').innerText.match(/Idle|Active|Connect/) !== null`, { timeout: 30_000 });

  await page.evaluate('window.scrollTo(0, 0)');
  const dir = path.join(REPO_ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'status-page.png');
  await page.screenshot({ path: file, fullPage: true });
  const png = readFileSync(file);
  t.true(png.length > 1000, `${png.length} bytes`);
  t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
  await waitFor('the page to settle', () => true, 1000);
  // The one failed request is the explain of "banana" (400), which the browser reports on its console.
  t.deepEqual(problems, ['console error: Failed to load resource: the server responded with a status of 400 (Bad Request)'], 'no other console errors (CSP violations included)');
});
