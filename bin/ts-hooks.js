// Node module hooks that run distillery's TypeScript sources (registered by bin/distillery.js).
// A `.ts`/`.mts` file becomes JavaScript through esbuild (types stripped, the same options tsx
// uses) and the result is cached on disk by content, so a later start reads it back without
// esbuild. Every other module, the packages above all, loads exactly as Node loads it: tsx's
// hooks also looked at each file of each package, and that cost the CLI ~1.4 s of CPU per start
// (measured on `distillery --help`; the CLI imports ~375 modules).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TS = /\.m?ts$/;
const CACHE = join(tmpdir(), `distillery-ts-${process.getuid?.() ?? 0}`);
// esbuild itself is imported only on a cache miss; its version is part of the cache key.
const ESBUILD_VERSION = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8')).version;
let esbuild;

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !TS.test(url)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = readFileSync(file, 'utf8');
  const options = {
    loader: 'ts',
    format: 'esm',
    target: `node${process.versions.node}`,
    sourcefile: file,
    sourcemap: 'inline',
    sourcesContent: false,
    keepNames: true,
    tsconfigRaw: { compilerOptions: { target: 'ES2022' } },
  };
  const key = createHash('sha1').update(JSON.stringify([ESBUILD_VERSION, options])).update('\0').update(source).digest('hex');
  const cached = join(CACHE, `${key}.js`);
  let code;
  try {
    code = readFileSync(cached, 'utf8');
  } catch {
    esbuild ??= await import('esbuild');
    code = (await esbuild.transform(source, options)).code;
    try {
      mkdirSync(CACHE, { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, cached); // atomic: a parallel start reads the whole file or none
    } catch {
      // a cache that cannot be written only makes the next start slower
    }
  }
  return { format: 'module', source: code, shortCircuit: true };
}
