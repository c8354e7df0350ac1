// Interop with exabgp as a real peer on loopback (issue 5, "Must show").
import { defineInteropTests } from './scenarios.js';

await defineInteropTests('exabgp', 14);
