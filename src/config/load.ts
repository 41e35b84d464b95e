import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { DistilleryError } from '../core/errors.ts';

/** A config file's parsed content and where it came from (relative data paths resolve against `dir`). */
export interface RawConfig {
  readonly value: Record<string, unknown>;
  readonly file: string | undefined;
}

/**
 * Read a config from YAML, JSON, or a JS/TS module whose default export is the config
 * (see {@link defineConfig}).
 *
 * @example
 * const raw = await readConfigFile('examples/mnist-mlp.yaml');
 */
export async function readConfigFile(file: string): Promise<RawConfig> {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new DistilleryError('CONFIG_NOT_FOUND', `${file}: no such config file`, 'check the path given to --config', file);
  }
  const ext = extname(path).toLowerCase();
  let value: unknown;
  if (ext === '.js' || ext === '.mjs' || ext === '.ts' || ext === '.mts') {
    const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    value = mod.default;
  } else {
    const text = readFileSync(path, 'utf8');
    try {
      value = ext === '.json' ? JSON.parse(text) : parseYaml(text);
    } catch (e) {
      const detail = e instanceof YAMLParseError || e instanceof SyntaxError ? e.message.split('\n')[0] : String(e);
      throw new DistilleryError('CONFIG_PARSE', `${file}: cannot parse: ${detail}`, 'fix the syntax at the place named', file);
    }
  }
  if (value === null || value === undefined) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new DistilleryError('CONFIG_PARSE', `${file}: the top level must be a mapping of keys`, 'start the file with keys such as data:, model:, train:', file);
  }
  return { value: value as Record<string, unknown>, file: path };
}

/**
 * Apply `--set key.path=value` overrides. Values are read as YAML scalars or flow
 * collections, so `--set train.epochs=3`, `--set data.augment={shift: 2}` and
 * `--set model.blocks.0.units=64` all work.
 */
export function applyOverrides(config: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  const out = structuredClone(config);
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) {
      throw new DistilleryError('CONFIG_SET', `--set ${s}: expected key.path=value`, 'for example --set train.epochs=3');
    }
    const key = s.slice(0, eq).trim();
    let value: unknown;
    try {
      value = parseYaml(s.slice(eq + 1));
    } catch {
      value = s.slice(eq + 1);
    }
    const parts = key.split('.');
    let node: Record<string, unknown> | unknown[] = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const k = parts[i];
      const cur = (node as Record<string, unknown>)[k];
      if (cur === undefined || cur === null || typeof cur !== 'object') {
        const fresh: Record<string, unknown> | unknown[] = /^\d+$/.test(parts[i + 1]) ? [] : {};
        (node as Record<string, unknown>)[k] = fresh;
        node = fresh;
      } else {
        node = cur as Record<string, unknown>;
      }
    }
    (node as Record<string, unknown>)[parts[parts.length - 1]] = value;
  }
  return out;
}

/** `a.b[2].c` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(top level)';
}

/**
 * Validate with a zod schema; the first problem becomes one line naming the key's path.
 *
 * @example
 * const cfg = validateConfig(trainJobSchema, raw.value, raw.file);
 * // error CONFIG_INVALID: train.yaml: train.optimizer.lr: expected number, received string
 */
export function validateConfig<S extends z.ZodType>(schema: S, value: unknown, file?: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  let path = [...issue.path];
  let msg = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    path = [...path, keys[0]];
    msg = `unknown key${keys.length > 1 ? `s ${keys.join(', ')}` : ''}`;
  }
  const where = formatPath(path);
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : '';
  throw new DistilleryError(
    'CONFIG_INVALID',
    `${file ? `${file}: ` : ''}${where}: ${msg}${more}`,
    issue.code === 'unrecognized_keys' ? 'remove the key or check its spelling against the docs' : 'fix the value at that key',
    where,
  );
}

/** Identity helper that types a TS/JS config file: `export default defineConfig({...})`. */
export function defineConfig<T extends Record<string, unknown>>(config: T): T {
  return config;
}
