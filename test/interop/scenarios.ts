// The interop scenarios of issue 5, run against one real daemon. Each test file (bird, frr, gobgp, exabgp) calls
// defineInteropTests with its own loopback block so that files running at the same time never share an address.
import type { ExecutionContext } from 'ava';
import {
  createPeer, expectedAsPath, freePort, loopbackAddress, missingReason, peerTest, sleep, Supersparrow, waitFor,
  type DaemonName, type PeerDaemon, type PeerOptions, type RouteAnswer, type RouteSpec,
} from '../helpers/peers/index.js';

const PEER_AS = 65001;
const OUR_AS = 65010;
/** Short timers keep the suite fast: hold 6 s (keepalive 2 s) for normal sessions, 3 s where the hold timer is under test. */
const HOLD = 6;
const SHORT_HOLD = 3;
/** Restart time both sides announce; stale routes must be gone well before it runs out. */
const GR_RESTART_TIME = 20;
/**
 * Whether each daemon, as the test configures it, sets the graceful restart N bit (RFC 8538): FRR does by default
 * (`bgp graceful-restart notification`), GoBGP with `notification-enabled`; BIRD 2.0 and ExaBGP 4.2 do not know it.
 */
const NOTIFICATION_BIT: Record<DaemonName, boolean> = { bird: false, frr: true, gobgp: true, exabgp: false };

interface Pair {
  peer: PeerDaemon;
  ss: Supersparrow;
}

/** Normalises a community as printed by `routes --json` ("65001:100", [65001, 100] or a 32-bit number). */
function communityText(c: unknown): string {
  if (typeof c === 'string') return c;
  if (typeof c === 'number') return `${c >>> 16}:${c & 0xffff}`;
  if (Array.isArray(c)) return c.join(':');
  if (c && typeof c === 'object') {
    const o = c as Record<string, unknown>;
    if ('asn' in o && 'value' in o) return `${String(o['asn'])}:${String(o['value'])}`;
    if ('global' in o) return `${String(o['global'])}:${String(o['local1'] ?? o['data1'])}:${String(o['local2'] ?? o['data2'])}`;
  }
  return JSON.stringify(c);
}

function routeStrings(r: RouteAnswer): { communities: string[]; large: string[] | undefined } {
  const large = (r['largeCommunities'] ?? r['large_communities']) as unknown[] | undefined;
  return {
    communities: (r.communities ?? []).map(communityText).sort(),
    large: large ? large.map(communityText).sort() : undefined,
  };
}

async function diagnostics(pair: Partial<Pair>): Promise<string> {
  const parts: string[] = [];
  if (pair.ss) {
    try {
      parts.push(`supersparrow neighbors: ${JSON.stringify(await pair.ss.neighbors())}`);
    } catch (err) {
      parts.push(`supersparrow neighbors failed: ${(err as Error).message}`);
    }
    parts.push(`supersparrow log (tail):\n${(await pair.ss.log()).split('\n').slice(-40).join('\n')}`);
  }
  if (pair.peer) {
    try {
      const v = await pair.peer.view();
      parts.push(`${pair.peer.name} view: state=${v.state} lastError=${v.lastError}`);
    } catch (err) {
      parts.push(`${pair.peer.name} view failed: ${(err as Error).message}`);
    }
    parts.push(`${pair.peer.name} log (tail):\n${(await pair.peer.log()).split('\n').slice(-30).join('\n')}`);
  }
  return parts.join('\n');
}

export async function defineInteropTests(daemon: DaemonName, block: number): Promise<void> {
  const missing = await missingReason(daemon);

  /**
   * Starts supersparrow and the daemon on fresh loopback addresses and ports. `supersparrowPassive` says who
   * connects. Both are stopped in t.teardown, also when the test fails.
   */
  async function startPair(
    t: ExecutionContext,
    opts: {
      supersparrowPassive: boolean;
      routes: RouteSpec[];
      ibgp?: boolean;
      hold?: number;
      gracefulRestart?: boolean;
      /** The remote AS supersparrow is configured with (default: the daemon's real AS). */
      configuredPeerAs?: number;
      /** The daemon sends its OPEN without capabilities (BIRD and FRR only). */
      noCapabilities?: boolean;
    },
  ): Promise<Pair> {
    const ssAddress = loopbackAddress(block);
    const peerAddress = loopbackAddress(block);
    const ssPort = await freePort(ssAddress);
    const peerPort = await freePort(peerAddress);
    const peerAs = opts.ibgp ? OUR_AS : PEER_AS;
    const hold = opts.hold ?? HOLD;
    const peerOptions: PeerOptions = {
      address: peerAddress,
      as: peerAs,
      neighbor: { address: ssAddress, as: OUR_AS, port: ssPort },
      mode: opts.supersparrowPassive ? 'active' : 'passive',
      listenPort: peerPort,
      holdTime: hold,
      connectRetry: 1,
      gracefulRestart: opts.gracefulRestart ? { restartTime: GR_RESTART_TIME } : undefined,
      noCapabilities: opts.noCapabilities,
      routes: opts.routes,
    };
    const peer = createPeer(daemon, peerOptions);
    const ss = new Supersparrow({
      localAs: OUR_AS,
      address: ssAddress,
      listenPort: ssPort,
      holdTime: hold,
      connectRetry: 1,
      neighbors: [{
        address: peerAddress,
        remoteAs: opts.configuredPeerAs ?? peerAs,
        port: peerPort,
        passive: opts.supersparrowPassive,
        holdTime: hold,
        gracefulRestart: opts.gracefulRestart ?? false,
      }],
    });
    const pair: Pair = { peer, ss };
    t.teardown(async () => {
      if (!t.passed) t.log(await diagnostics(pair));
      await Promise.allSettled([peer.stop(), ss.stop()]);
    });
    await ss.start();
    await peer.start();
    return pair;
  }

  const title = (s: string): string => `${daemon}: ${s}`;

  // A visible skip locally; under CI a missing daemon fails instead.
  const run = (name: string, fn: (t: ExecutionContext) => Promise<void>): void => peerTest(missing === null ? [] : [missing], title(name), fn);

  async function expectRoute(t: ExecutionContext, pair: Pair, route: RouteSpec, ibgp: boolean, timeoutMs = 15_000): Promise<void> {
    const answer = await waitFor(`route ${route.prefix} in supersparrow`, async () => (await pair.ss.route(route.prefix)) ?? undefined, timeoutMs, 200);
    t.is(answer.prefix, route.prefix, `prefix of ${route.prefix}`);
    t.deepEqual(answer.asPath, expectedAsPath(pair.peer.options, route), `asPath of ${route.prefix}`);
    t.is(answer.nextHop, route.nextHop, `nextHop of ${route.prefix}`);
    t.is(answer.neighbor, pair.peer.options.address, `neighbor of ${route.prefix}`);
    if (route.med !== undefined) t.is(answer.med, route.med, `med of ${route.prefix}`);
    if (ibgp) t.is(answer.localPref, route.localPref ?? 100, `localPref of ${route.prefix}`);
    const got = routeStrings(answer);
    t.deepEqual(got.communities, (route.communities ?? []).map((c) => c.join(':')).sort(), `communities of ${route.prefix}`);
    if (route.largeCommunities?.length) {
      if (got.large === undefined) t.log(`routes --json has no largeCommunities field (not required by issue 5)`);
      else t.deepEqual(got.large, route.largeCommunities.map((c) => c.join(':')).sort(), `large communities of ${route.prefix}`);
    }
  }

  async function expectNoRoute(pair: Pair, prefix: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(`route ${prefix} to disappear from supersparrow`, async () => (await pair.ss.route(prefix)) === null, timeoutMs, 200);
  }

  const ebgpRoutes: RouteSpec[] = [
    { prefix: '10.11.0.0/16', nextHop: '192.0.2.11', asPath: [64600, 64700], med: 50, communities: [[65001, 100], [65001, 200]], largeCommunities: [[65001, 1, 2]] },
    { prefix: '10.12.1.0/24', nextHop: '192.0.2.12', asPath: [64601], med: 7 },
    { prefix: '2001:db8:11::/48', nextHop: '2001:db8:ff::11', asPath: [64610, 64611], med: 30, communities: [[65001, 600]] },
    { prefix: '2001:db8:12::/48', nextHop: '2001:db8:ff::12', asPath: [64612] },
  ];

  run('session comes up with supersparrow passive; IPv4 and IPv6 routes arrive with their attributes and withdrawals remove them', async (t) => {
    const pair = await startPair(t, { supersparrowPassive: true, routes: ebgpRoutes });
    const n = await pair.ss.waitEstablished(pair.peer.options.address, 25_000);
    t.is(n.remoteAs, PEER_AS);
    await waitFor('daemon to see the session Established', async () => (await pair.peer.view()).established, 10_000);
    for (const r of ebgpRoutes) await expectRoute(t, pair, r, false);
    await waitFor('prefix counts 2+2', async () => {
      const s = await pair.ss.neighbor(pair.peer.options.address);
      return s.prefixes.ipv4 === 2 && s.prefixes.ipv6 === 2;
    }, 10_000);
    // Longest match for an address inside the /16 answers the /16.
    const byAddress = await pair.ss.route('10.11.200.7');
    t.is(byAddress?.prefix, '10.11.0.0/16');

    await pair.peer.withdraw(['10.11.0.0/16', '2001:db8:12::/48']);
    await expectNoRoute(pair, '10.11.0.0/16');
    await expectNoRoute(pair, '2001:db8:12::/48');
    t.is(await pair.ss.route('10.11.200.7'), null, 'no route for an address once its prefix is withdrawn');
    await expectRoute(t, pair, ebgpRoutes[1]!, false);
    await expectRoute(t, pair, ebgpRoutes[2]!, false);

    const added: RouteSpec = { prefix: '10.13.0.0/20', nextHop: '192.0.2.13', asPath: [64620], med: 1, communities: [[65001, 13]] };
    await pair.peer.announce([added]);
    await expectRoute(t, pair, added, false);
    await waitFor('prefix counts 2+1', async () => {
      const s = await pair.ss.neighbor(pair.peer.options.address);
      return s.prefixes.ipv4 === 2 && s.prefixes.ipv6 === 1;
    }, 10_000);
  });

  run('session comes up with supersparrow active (iBGP: LOCAL_PREF arrives)', async (t) => {
    const routes: RouteSpec[] = [
      { prefix: '10.21.0.0/16', nextHop: '192.0.2.21', asPath: [64700, 64701], localPref: 250, med: 5, communities: [[65010, 21]] },
      { prefix: '2001:db8:21::/48', nextHop: '2001:db8:ff::21', asPath: [64702], localPref: 90 },
    ];
    const pair = await startPair(t, { supersparrowPassive: false, routes, ibgp: true });
    const n = await pair.ss.waitEstablished(pair.peer.options.address, 25_000);
    t.is(n.remoteAs, OUR_AS);
    await waitFor('daemon to see the session Established', async () => (await pair.peer.view()).established, 10_000);
    for (const r of routes) await expectRoute(t, pair, r, true);
  });

  run('peer restart with graceful restart keeps its routes until End-of-RIB, then sweeps the stale ones', async (t) => {
    const kept: RouteSpec = { prefix: '10.31.0.0/16', nextHop: '192.0.2.31', asPath: [64800], med: 10 };
    const dropped: RouteSpec = { prefix: '10.32.0.0/16', nextHop: '192.0.2.32', asPath: [64801] };
    const kept6: RouteSpec = { prefix: '2001:db8:31::/48', nextHop: '2001:db8:ff::31', asPath: [64802] };
    const dropped6: RouteSpec = { prefix: '2001:db8:32::/48', nextHop: '2001:db8:ff::32', asPath: [64803] };
    const pair = await startPair(t, { supersparrowPassive: true, routes: [kept, dropped, kept6, dropped6], gracefulRestart: true });
    await pair.ss.waitEstablished(pair.peer.options.address, 25_000);
    for (const r of [kept, dropped, kept6, dropped6]) await expectRoute(t, pair, r, false);

    await pair.peer.crash();
    await pair.ss.waitForState(pair.peer.options.address, (s) => s !== 'Established', 'to leave Established after the crash', 10_000);
    // While the peer is down, every route is still answered (stale).
    for (let i = 0; i < 3; i++) {
      for (const r of [kept, dropped, kept6, dropped6]) {
        const answer = await pair.ss.route(r.prefix);
        t.truthy(answer, `${r.prefix} kept while the peer is down`);
        if (answer && 'stale' in answer) t.true(answer['stale'], `${r.prefix} is marked stale while the peer is down`);
      }
      await sleep(300);
    }
    // The peer comes back without `dropped`: it must be swept once the peer's End-of-RIB arrives, and `kept` must
    // stay answered throughout.
    const restarting = pair.peer.restart([kept, kept6]);
    const watch = (async (): Promise<string[]> => {
      const gaps: string[] = [];
      const until = Date.now() + 4000;
      while (Date.now() < until) {
        if ((await pair.ss.route(kept.prefix)) === null) gaps.push(new Date().toISOString());
        await sleep(150);
      }
      return gaps;
    })();
    await restarting;
    await pair.ss.waitEstablished(pair.peer.options.address, 25_000);
    // Swept on the peer's End-of-RIB, not when the restart timer (GR_RESTART_TIME after the crash) runs out.
    const sweptWithinMs = 6000;
    await expectNoRoute(pair, dropped.prefix, sweptWithinMs);
    await expectNoRoute(pair, dropped6.prefix, sweptWithinMs);
    t.deepEqual(await watch, [], `${kept.prefix} was answered throughout the restart`);
    await expectRoute(t, pair, kept, false);
    await expectRoute(t, pair, kept6, false);
    const fresh = await pair.ss.route(kept.prefix);
    if (fresh && 'stale' in fresh) t.false(fresh['stale'], `${kept.prefix} is no longer stale once re-announced`);
  });

  run('a peer stopped with SIGSTOP is detected by the hold timer; with the N bit its routes stay as stale (RFC 8538)', async (t) => {
    const route = ebgpRoutes[1]!;
    const pair = await startPair(t, { supersparrowPassive: true, routes: [route], hold: SHORT_HOLD, gracefulRestart: true });
    await pair.ss.waitEstablished(pair.peer.options.address, 25_000);
    await waitFor('the peer\'s route to arrive', async () => (await pair.ss.neighbor(pair.peer.options.address)).prefixes.ipv4 === 1, 15_000);
    const gr = (await pair.ss.neighbor(pair.peer.options.address))['gracefulRestart'] as { notification: boolean } | null;
    t.log(`graceful restart negotiated: ${JSON.stringify(gr)}`);
    t.truthy(gr, 'graceful restart negotiated');
    const nBit = gr?.notification === true;
    t.is(nBit, NOTIFICATION_BIT[daemon], `${daemon} ${NOTIFICATION_BIT[daemon] ? 'sets' : 'does not set'} the N bit`);
    const stoppedAt = Date.now();
    pair.peer.pause();
    try {
      const n = await pair.ss.waitForState(pair.peer.options.address, (s) => s !== 'Established', 'to leave Established (hold timer)', (SHORT_HOLD + 5) * 1000);
      const elapsed = (Date.now() - stoppedAt) / 1000;
      t.log(`left Established after ${elapsed.toFixed(1)} s (hold time ${SHORT_HOLD} s)`);
      t.true(elapsed <= SHORT_HOLD + 2.5, `detected within hold time + slack (${elapsed} s)`);
      const status = await pair.ss.neighbor(pair.peer.options.address);
      t.regex(JSON.stringify(status.lastError ?? n.lastError), /hold.?time/i, 'lastError says the hold timer expired');
      t.log(`our lastError: ${JSON.stringify(status.lastError)}`);
      const answer = await pair.ss.route(route.prefix);
      if (nBit) {
        // RFC 8538 4: a hold timer expiry is a restart when both sides set the N bit.
        t.truthy(answer, `${route.prefix} still answered after the hold timer expired`);
        t.true(answer?.['stale'], `${route.prefix} is marked stale`);
      } else {
        t.is(answer, null, `${route.prefix} removed: without the N bit a NOTIFICATION ends the routes (RFC 4724)`);
      }
    } finally {
      pair.peer.resume();
    }
  });

  run('`shutdown NEIGHBOR MESSAGE` reaches the peer as Administrative Shutdown with its message (a Hard Reset with the N bit); `enable` brings the routes back', async (t) => {
    const route = ebgpRoutes[1]!;
    // supersparrow connects, so that `enable` brings the session back without waiting for the peer's retry timer.
    const pair = await startPair(t, { supersparrowPassive: false, routes: [route], gracefulRestart: true });
    await pair.ss.waitEstablished(pair.peer.options.address, 25_000);
    await waitFor('the peer\'s route to arrive', async () => (await pair.ss.route(route.prefix)) !== null, 15_000);
    const message = 'maintenance window 42';
    const r = await pair.ss.cli(['shutdown', pair.peer.options.address, ...message.split(' ')]);
    t.is(r.code, 0, r.stderr);
    const down = await pair.ss.neighbor(pair.peer.options.address);
    t.is(down.state, 'Idle');
    t.true(down['adminDown']);
    t.is(await pair.ss.route(route.prefix), null, 'routes removed at once, not kept as stale');
    const log = await pair.ss.log();
    const sent = NOTIFICATION_BIT[daemon] ? /Cease \/ Hard Reset \(6\/9\) for Cease \/ Administrative Shutdown \(6\/2\)/ : /NOTIFICATION sent: Cease \/ Administrative Shutdown \(6\/2\)/;
    t.regex(log, sent, 'our log names what we sent');
    if (daemon === 'bird' || daemon === 'frr') {
      // The peer decodes the RFC 9003 message (FRR out of the Hard Reset as well).
      const view = await waitFor(`${daemon} to report the shutdown`, async () => {
        const v = await pair.peer.view();
        return v.raw.includes(message) ? v : undefined;
      }, 15_000, 300);
      t.false(view.established);
      t.log(`${daemon} reports: ${view.lastError}`);
    } else {
      t.log(`${daemon} keeps no text of NOTIFICATIONs it receives; checked on our side only`);
    }
    t.is((await pair.ss.cli(['enable', pair.peer.options.address])).code, 0);
    await pair.ss.waitEstablished(pair.peer.options.address, 30_000);
    const back = await waitFor('the route to come back', async () => (await pair.ss.route(route.prefix)) ?? undefined, 15_000);
    t.is(back.prefix, route.prefix, 'the route is back after enable');
  });

  if (daemon === 'bird' || daemon === 'frr') {
    run('a peer without capabilities advertisement (2-octet AS, IPv4 only) comes up and its routes arrive', async (t) => {
      const route = ebgpRoutes[1]!;
      const pair = await startPair(t, { supersparrowPassive: true, routes: [route], noCapabilities: true });
      const up = await pair.ss.waitEstablished(pair.peer.options.address, 25_000);
      t.deepEqual(up['families'], ['ipv4'], 'IPv4 unicast only, as RFC 4760 implies without multiprotocol');
      t.is(up['gracefulRestart'], null);
      await expectRoute(t, pair, route, false);
    });
  }

  run('a wrong remote AS in our config gets OPEN Message Error / Bad Peer AS (2/2)', async (t) => {
    const pair = await startPair(t, { supersparrowPassive: true, routes: [], configuredPeerAs: PEER_AS + 1 });
    const status = await waitFor('supersparrow to report the bad peer AS', async () => {
      const s = await pair.ss.neighbor(pair.peer.options.address);
      return s.lastError ? s : undefined;
    }, 15_000, 200);
    t.not(status.state, 'Established');
    t.regex(JSON.stringify(status.lastError), /bad peer as|2\/2|\b2,\s*2\b|"subcode":\s*2/i, 'our lastError names Bad Peer AS');
    t.log(`our lastError: ${JSON.stringify(status.lastError)}`);
    if (daemon === 'exabgp') {
      t.log('ExaBGP does not report received NOTIFICATIONs in its log; checked on our side only');
      return;
    }
    if (daemon === 'gobgp') {
      // GoBGP counts NOTIFICATIONs received but keeps no code: check that one arrived, and no session came up.
      const view = await waitFor('gobgp to count a NOTIFICATION received', async () => {
        const v = await pair.peer.view();
        return (v.notificationsReceived ?? 0) > 0 ? v : undefined;
      }, 15_000, 300);
      t.false(view.established);
      t.log(`gobgp: ${view.lastError} (its API keeps no code/subcode)`);
      return;
    }
    const view = await waitFor(`${daemon} to report the NOTIFICATION it received`, async () => {
      const v = await pair.peer.view();
      return /bad peer as/i.test(v.lastError) || (v.lastNotificationReceived?.code === 2 && v.lastNotificationReceived.subcode === 2) ? v : undefined;
    }, 15_000, 300);
    t.false(view.established);
    t.log(`${daemon} reports: ${view.lastError}`);
  });
}
