// The daemon's local control interface: newline-delimited JSON over a unix socket.
export { ControlServer, ControlSocketError, type ControlHandler, type ControlServerOptions } from './server.js';
export { createControlHandler, type DecisionFallback, type SnapshotSaver } from './handler.js';
export { findRoute } from './routes.js';
export { DecisionRequests, popJson, MAX_ADDRESSES_PER_REQUEST, type DecisionListener } from './decisions.js';
export type {
  AnswerFormat,
  ControlRequest,
  ControlResponse,
  FirstAsJson,
  MemoryJson,
  NeighborJson,
  PopJson,
  QueryJson,
  RouteJson,
  SnapshotJson,
} from './protocol.js';
