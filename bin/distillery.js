#!/usr/bin/env node
// Runs the TypeScript sources through a small loader (bin/ts-hooks.js: esbuild, cached), so a git
// clone works after `npm install` with no build step.
import './ts-register.js';

// Stack traces (printed only with --debug) point into the .ts sources.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
