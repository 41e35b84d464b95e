export { readConfigFile, applyOverrides, validateConfig, formatPath, defineConfig } from './load.ts';
export type { RawConfig } from './load.ts';
