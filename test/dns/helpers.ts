// Shared by the DNS tests: one UDP query from a fresh socket (a fresh source port: another flow).
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

/** Sends `packet` to address:port from a new socket and resolves with the decoded answer (rejects after 5 s). */
export function udpQuery(address: string, port: number, packet: Buffer): Promise<dnsPacket.Packet> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no answer from ${address}:${port} in 5 s`));
    }, 5000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(dnsPacket.decode(m));
    });
    s.send(packet, port, address);
  });
}
