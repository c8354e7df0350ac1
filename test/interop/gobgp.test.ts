// Interop with gobgp as a real peer on loopback (issue 5, "Must show").
import { defineInteropTests } from './scenarios.js';

await defineInteropTests('gobgp', 13);
