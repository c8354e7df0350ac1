import test from 'ava';
import { parseConfig } from '../../src/config/index.js';
import { neighborOptions } from '../../src/daemon/index.js';

const config = parseConfig(`
bgp: { local-as: 65010, router-id: 127.0.0.10, listen: { address: 127.0.0.10, port: 1179 } }
neighbors:
  - { address: 127.0.0.1, remote-as: 65001 }
  - { address: 127.0.0.2, remote-as: 65001, local-address: 127.0.0.20 }
  - { address: "::1", remote-as: 65001 }
`);

test('outgoing connections leave from the listen address unless local-address says otherwise', (t) => {
  const [a, b, c] = config.neighbors.map((n) => neighborOptions(n, config.bgp.listen));
  t.is(a!.localAddress, '127.0.0.10', 'peers check the source address: use the one they are configured with');
  t.is(b!.localAddress, '127.0.0.20');
  t.is(c!.localAddress, null, 'an IPv4 listen address cannot be the source towards an IPv6 neighbor');
});

test('a wildcard listen address is not used as a source address', (t) => {
  const n = neighborOptions(config.neighbors[0]!, { address: '0.0.0.0', port: 179 });
  t.is(n.localAddress, null);
});
