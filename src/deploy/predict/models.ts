import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { loadModel, specFromModel } from '../../models/index.ts';
import type { NamedModel } from './compare.ts';
import { readSpecSource, type SpecSourceOptions } from './sources.ts';

/**
 * The models named by `bench --predict` arguments, in order: a model folder (holds
 * `model.json`), a run folder (holds `model/model.json`), a folder of those, or a file of
 * specs (a YAML/JSON list, or a search space sampled `samples` times). Folders are loaded with
 * their weights on the current engine (call `initEngine` first; dispose `model`s after use).
 * Throws `BENCH_MODEL` naming a path that is none of these.
 *
 * @example
 * const models = await collectModels(['runs/', 'more-models.json'], { samples: 20 });
 */
export async function collectModels(paths: readonly string[], opts: SpecSourceOptions & { samples?: number } = {}): Promise<NamedModel[]> {
  const out: NamedModel[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new DistilleryError('BENCH_MODEL', `${p}: no such file or folder`, 'pass model folders, a folder of them, or a YAML/JSON list of model specs', p);
    if (statSync(p).isFile()) {
      readSpecSource(p, opts).forEach((spec, i) => out.push({ name: `${basename(p)}[${i}]`, spec }));
      continue;
    }
    const dirs = modelDirs(p);
    if (dirs.length === 0) throw new DistilleryError('BENCH_MODEL', `${p}: no model.json in it or in its sub-folders`, 'pass the model folder that `distillery train` wrote, or a folder of them', p);
    for (const d of dirs) {
      const model = await loadModel(d);
      out.push({ name: d, spec: specFromModel(model), model });
    }
  }
  return out;
}

function modelDirs(dir: string): string[] {
  if (existsSync(join(dir, 'model.json'))) return [dir];
  if (existsSync(join(dir, 'model', 'model.json'))) return [join(dir, 'model')];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(dir, e.name))
    .sort()
    .flatMap((d) => (existsSync(join(d, 'model.json')) ? [d] : existsSync(join(d, 'model', 'model.json')) ? [join(d, 'model')] : []));
}
