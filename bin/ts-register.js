// `node --import ./bin/ts-register.js FILE.ts`: run TypeScript through bin/ts-hooks.js (the CLI
// and `npm test` use it; see there why not tsx).
import { register } from 'node:module';

register('./ts-hooks.js', import.meta.url);
