import test from 'ava';
import { readMrtRibEntries, type MrtRibEntry } from '../../src/mrt/index.js';
import { formatAsPath } from '../../src/bgp/index.js';
import { mrtFile } from './helpers.js';

async function entries(file: string): Promise<MrtRibEntry[]> {
  const out: MrtRibEntry[] = [];
  for await (const e of readMrtRibEntries(mrtFile(file))) out.push(e);
  return out;
}

/** peer|prefix|path of an entry, to compare the same table written in different formats. */
function route(e: MrtRibEntry): string {
  const prefix = e.afi === 1 ? `${e.a >>> 24}.${(e.a >>> 16) & 255}.${(e.a >>> 8) & 255}.${e.a & 255}` : `${e.a}:${e.b}:${e.c}:${e.d}`;
  return `${e.peer.addressText} AS${e.peer.as} ${prefix}/${e.length} ${formatAsPath(e.attributes!.asPath ?? [])}`;
}

test('yields the RIB entries of TABLE_DUMP_V2 RIB_IPV6_UNICAST_ADDPATH with their path identifiers (RFC 8050)', async (t) => {
  const list = await entries('bview.ipv6_unicast_add_path.gz');
  t.is(list.length, 62); // README: B=62
  t.true(list.every((e) => e.afi === 2 && e.attributes !== null && e.peerIndex >= 0));
  const keys = new Set(list.map((e) => `${route(e)} ${e.pathId}`));
  t.is(keys.size, list.length);
  t.true(list.some((e) => e.pathId !== 0));
});

test('yields TABLE_DUMP (v1) entries with 2-octet AS paths', async (t) => {
  const list = await entries('openbgpd_rib_table');
  t.is(list.length, 31); // README: B=31
  t.true(list.every((e) => !e.fourOctetAs && e.peerIndex === -1 && e.attributes !== null));
  // the subtype is the address family: this file has both
  t.true(list.some((e) => e.afi === 1 && e.subtype === 1));
  t.true(list.some((e) => e.afi === 2 && e.subtype === 2));
});

test('BGP4MP_ENTRY (deprecated subtype 2) gives the same routes as the TABLE_DUMP_V2 dump of the same table', async (t) => {
  const mp = await entries('openbgpd_rib_table-mp');
  const v2 = await entries('openbgpd_rib_table-v2');
  t.is(mp.length, 31);
  t.deepEqual(mp.map(route), v2.map(route));
});

test('reads the abbreviated MP_REACH_NLRI of IPv6 RIB entries through the codec (RFC 6396 4.3.4)', async (t) => {
  const list = await entries('bview.64k_stream_overflow.gz');
  const withNextHop = list.filter((e) => e.attributes!.mpNextHop !== null);
  t.true(withNextHop.length > 0);
  t.true(withNextHop.every((e) => e.attributes!.mpNextHop!.length === 16));
});
