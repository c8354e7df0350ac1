// Which console generation we talk to, from what it says of itself: the telnet vty banner and `show version`.

import type { Dialect } from './types.js';

/**
 * Signatures, first match wins. FRR before Quagga and Zebra: its banner and `show version` name FRRouting, and all
 * three keep Zebra's copyright line (which mentions neither). Quagga before Zebra: some Quagga builds still say
 * "zebra" in file names they print.
 */
const SIGNATURES: ReadonlyArray<{ pattern: RegExp; dialect: Dialect }> = [
  // `Hello, this is FRRouting (version 8.4.4).`, `FRRouting 8.4.4 (host) on Linux(...)`. JSON for
  // `show bgp ... ADDR json` exists from FRR 2/3 on, so every FRR is read through JSON.
  { pattern: /\bFRRouting\b/, dialect: 'frr-json' },
  // `Cisco IOS Software, ...`, `Cisco IOS XE Software, ...`, `Cisco IOS-XE software`,
  // `Cisco Internetwork Operating System Software` + `IOS (tm) ...` (12.x and older). Not IOS XR, not NX-OS.
  { pattern: /\bCisco IOS(?:[ -]XE)? Software\b|\bCisco Internetwork Operating System Software\b|\bIOS \(tm\)/i, dialect: 'cisco' },
  // `Hello, this is Quagga (version 0.99.24.1).`, `Quagga 1.2.3 (host).`
  { pattern: /\bQuagga\b/, dialect: 'quagga' },
  // `Hello, this is zebra (version 0.89.horms.pre.2)`, `Zebra 0.95a ().`
  { pattern: /\bzebra\b/i, dialect: 'zebra' },
];

/**
 * The dialect of a console from its vty banner and, when the caller has it, its `show version` output; null when
 * neither names a console we know (IOS XR, NX-OS, Junos, BIRD, ...).
 */
export function detectDialect(banner: string, showVersion: string | null): Dialect | null {
  for (const text of [showVersion ?? '', banner]) {
    for (const { pattern, dialect } of SIGNATURES) {
      if (pattern.test(text)) return dialect;
    }
  }
  return null;
}
