export { DistilleryError, isDistilleryError, assert } from './errors.ts';
export { Registry } from './registry.ts';
export { Rng, deriveSeed } from './rng.ts';
export { combineReporters, silentReporter } from './events.ts';
export type { DistilleryEvent, Reporter } from './events.ts';
export { writeFileAtomic, writeJsonAtomic } from './fs.ts';
