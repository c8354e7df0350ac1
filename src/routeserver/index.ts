// The route-server fallback adapter: a route server's console (Zebra / Quagga / FRR bgpd vty, Cisco IOS) as a
// second source of routes for the decision, behind the RIB's reading face.
export * from './types.js';
export { parseShowBgp, parseLongerPrefixes } from './parse-text.js';
export { parseShowBgpJson, parseLongerPrefixesJson } from './parse-json.js';
export { detectDialect } from './dialect.js';
export { VtyClient, type VtyOptions, type TranscriptListener } from './telnet.js';
export { RouteServer, defaultRouteServerPort, pathAttributes, type ConsoleConnection, type RouteServerLog, type RouteServerOptions, type RouteServerStatus } from './adapter.js';
