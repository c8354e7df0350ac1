// The layout of one route (path) row of the RIB, shared by the Rib that stores routes and the decision process
// that compares them. Rows are struct-of-arrays (see Rib): these are their widths and the bits packed in them.

/** routeNeighbor holds the neighbor id in its low 15 bits... */
export const ROUTE_NEIGHBOR_MASK = 0x7fff;
/** ...and this mark in its top bit: the route is stale (graceful restart, enhanced route refresh). */
export const ROUTE_STALE = 0x8000;
/** Neighbor ids must fit ROUTE_NEIGHBOR_MASK. */
export const MAX_NEIGHBORS = ROUTE_NEIGHBOR_MASK + 1;

/**
 * Bytes of one route row: next route of the prefix (int32), attribute set (int32), neighbor + stale (uint16),
 * when it last changed (uint32 seconds).
 */
export const ROUTE_ROW_BYTES = 4 + 4 + 2 + 4;
/** Bytes the ADD-PATH path id adds to every row once one non-zero path id has been seen (uint32). */
export const ROUTE_PATH_ID_BYTES = 4;
