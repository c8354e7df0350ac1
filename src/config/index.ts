// Loading and validating the daemon's YAML configuration, with line-numbered errors.
export { ConfigError, canonicalAddress, loadConfigFile, parseConfig, type ConfigProblem } from './load.js';
export * from './schema.js';
