// The daemon's local control interface: newline-delimited JSON over a unix socket.
export { ControlServer, type ControlHandler } from './server.js';
export { createControlHandler } from './handler.js';
export { findRoute } from './routes.js';
export type { ControlRequest, ControlResponse, MemoryJson, NeighborJson, RouteJson } from './protocol.js';
