// The proximity decision: which POP is network-wise closest to a client, from the RIB's reading face.
export * from './types.js';
