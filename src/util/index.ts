// Small helpers with no home of their own, below every other folder: they import nothing from src.
// Other folders import only this file.

export { seededRandom } from './random.js';
