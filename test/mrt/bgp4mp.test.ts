import test from 'ava';
import { MrtError, MrtType, decodeBgp4mp, isBgp4mpMessageOrState, loadMrtMessages, readMrtRecords, type Bgp4mpRecord } from '../../src/mrt/index.js';
import { mrtFile } from './helpers.js';

async function bgp4mpRecords(file: string): Promise<Bgp4mpRecord[]> {
  const out: Bgp4mpRecord[] = [];
  for await (const r of readMrtRecords(mrtFile(file))) if (isBgp4mpMessageOrState(r)) out.push(decodeBgp4mp(r));
  return out;
}

test('loadMrtMessages loads every BGP message of the 2015 RIS file into one arena', async (t) => {
  const all = await loadMrtMessages(mrtFile('updates.et-header.2015.gz'), { updatesOnly: false });
  // Issue 3 counts 89,681 messages in this file: its MESSAGE_AS4 records (UPDATEs and two KEEPALIVEs).
  t.is(all.messages.filter((m) => m.fourOctetAs).length, 89681);
  t.is(all.arena.length, all.bytes);
  t.true(all.messages.every((m) => m.message.readUInt16BE(16) === m.message.length && m.type === m.message[18]));
  const updates = await loadMrtMessages(mrtFile('updates.et-header.2015.gz'));
  t.is(updates.messages.length, all.messages.filter((m) => m.type === 2).length);
  t.true(updates.messages.length > 89000 && updates.messages.every((m) => m.type === 2 && m.fourOctetAs && !m.addPath));
});

test('decodes STATE_CHANGE_AS4 records with their FSM states (RFC 6396 4.4.1)', async (t) => {
  const states = (await bgp4mpRecords('updates.et-header.2015.gz')).filter((r) => r.state !== undefined);
  t.is(states.length, 4); // README: STATE=4
  t.deepEqual(states[0]!.state, { old: 1, new: 2 });
  t.is(states[0]!.peerAddress, '206.220.231.55');
  t.is(states[0]!.peerAs, 3856);
  t.true(states.every((s) => s.fourOctetAs && s.message === undefined));
});

test('decodes 2-octet BGP4MP MESSAGE records and IPv6 peers', async (t) => {
  const old = await bgp4mpRecords('updates.20070211.0141.gz');
  t.true(old.length > 0 && old.every((r) => !r.fourOctetAs && r.message !== undefined));
  const v6 = (await bgp4mpRecords('updates.20160811.1600.gz')).find((r) => r.afi === 2)!;
  t.is(v6.peerAddressBytes.length, 16);
  t.regex(v6.peerAddress, /^[0-9a-f:]+$/);
  // The message is a whole BGP message: 16-byte marker, then its length.
  t.is(v6.message!.readUInt16BE(16), v6.message!.length);
});

test('a BGP4MP record too short for its header is an MrtError', (t) => {
  const record = { timestamp: 0, microseconds: 0, type: MrtType.Bgp4mp, subtype: 4, body: Buffer.alloc(10) };
  t.throws(() => decodeBgp4mp(record), { instanceOf: MrtError, message: /too short/ });
});
