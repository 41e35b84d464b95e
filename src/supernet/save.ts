import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { saveModelInputs, type Dataset } from '../data/index.ts';
import { saveModel } from '../models/index.ts';
import type { SupernetManifest } from './folder.ts';
import { subnetSpec, type SubnetArch } from './space.ts';

/**
 * Writes an extracted subnet as a model folder like `train` writes (`model.json`, `weights.bin`,
 * `labels.json`; spec, normalisation and data in its metadata, plus where it came from), so
 * `export`, `bench`, `predict` and `report` take it.
 *
 * @example
 * await saveSubnetModel(model, 'runs/picked', manifest, 'runs/supernet', arch, data.train);
 */
export async function saveSubnetModel(model: LayersModel, dir: string, manifest: SupernetManifest, folder: string, arch: SubnetArch, train: Dataset, extra: Record<string, unknown> = {}): Promise<void> {
  rmSync(join(dir, 'model.json'), { force: true });
  const source = manifest.config.data.source as unknown;
  await saveModel(model, dir, {
    distillery: {
      spec: subnetSpec(manifest.config.supernet, arch, manifest.inputShape), normalization: manifest.normalization, inputShape: manifest.inputShape, numClasses: manifest.numClasses,
      classNames: manifest.classNames, dataFingerprint: manifest.dataFingerprint, dataSource: typeof source === 'string' ? source : ((source as { type?: string }).type ?? 'files'),
      supernet: { folder, subnet: arch, ...extra },
    },
  });
  saveModelInputs(dir, train);
}
