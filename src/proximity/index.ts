// The proximity decision: which POP is network-wise closest to a client, from the RIB's reading face.
export * from './types.js';
export { Proximity, Decision, Rule, RULE_NAMES, DownReason, type Pop, type ProximitySetup, type PopStateListener, type RankTrace } from './proximity.js';
export { explain, answerFor, unmapIpv4, type ExplanationJson, type CandidateJson, type ViewRouteJson } from './explain.js';
export { OverrideTable } from './overrides.js';
export { hashPrefix, hashName, mix32, rendezvousScore } from './hash.js';
export { DecisionCounts, RULE_COUNT, type DecisionCountsJson } from './decision-counts.js';
