// Placeholder until the native batch socket lands (wip-native): nothing is built, so the dgram path answers.
export interface UdpBatchOptions {
  family: 4 | 6;
  address: string;
  port: number;
  reusePort: boolean;
  batch: number;
  slotSize: number;
  onBatch: (count: number) => void;
}
export interface UdpBatchSocket {
  rx: Buffer;
  rxLen: Int32Array;
  peer: Uint8Array;
  tx: Buffer;
  txLen: Int32Array;
  close(): void;
  port(): number;
  stats(): { received: number; sent: number; dropped: number; batches: number };
}
export function loadUdpBatch(): { open(o: UdpBatchOptions): UdpBatchSocket } | null {
  return null;
}
export function udpBatchUnavailableReason(): string | null {
  return 'not built';
}
