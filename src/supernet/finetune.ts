import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Reporter } from '../core/events.ts';
import type { Dataset } from '../data/index.ts';
import { createLoss, DEFAULT_LOSS, gatherRows } from '../distill/index.ts';
import { evaluate, fit, type LossFn } from '../train/index.ts';
import type { SupernetConfig } from './config.ts';
import type { SupernetData } from './data.ts';
import type { Supernet } from './net.ts';
import { recalibrate, subnetLogits } from './score.ts';
import { largestArch } from './space.ts';

/** Options of {@link finetuneSubnet}. */
export interface FinetuneOptions {
  epochs: number;
  /** Default: a tenth of the supernet's own learning rate (the weights start trained). */
  lr?: number;
  /** Where `fit` writes a checkpoint after every epoch. */
  checkpointDir: string;
  /** Continue from the checkpoint in `checkpointDir` (the same final weights as an unbroken run). */
  resume?: boolean;
  reporter?: Reporter;
}

/** Accuracy of the extracted subnet before and after fine-tuning. */
export interface FinetuneResult {
  epochs: number;
  lr: number;
  /** The distillation loss: the default kd + ce, kd against the largest subnet's logits. */
  loss: readonly unknown[];
  before: { validation: number; test?: number };
  after: { validation: number; test?: number };
}

/** The fine-tuning learning rate when none is given: a tenth of the supernet's. */
export function defaultFinetuneLr(config: SupernetConfig): number {
  return config.train.optimizer.lr / 10;
}

/**
 * Fine-tunes an extracted subnet (a plain model, trained in place) by distillation from the
 * supernet's largest subnet: its logits over the training set, after batch-norm recalibration,
 * are the teacher's (kd 0.9 at T = 4 + ce 0.1, the default distillation loss), trained through
 * `fit` with the supernet's batch size and optimizer at `lr` on a cosine schedule, checkpointed
 * after every epoch so that `resume` ends with the same weights, bit for bit, as an unbroken run.
 * Inside the supernet the subnet shared its weights with every other; alone, it can move them to
 * suit itself, with the largest subnet's outputs as a target richer than the labels.
 *
 * @example
 * const r = await finetuneSubnet(model, net, data, config, { epochs: 2, checkpointDir: 'runs/picked/checkpoint' });
 * r.after.validation; // 0.93
 */
export async function finetuneSubnet(model: LayersModel, net: Supernet, data: SupernetData, config: SupernetConfig, opts: FinetuneOptions): Promise<FinetuneResult> {
  const lr = opts.lr ?? defaultFinetuneLr(config);
  const largest = largestArch(config.supernet);
  const stats = recalibrate(net, largest, data.train, { samples: config.calibration.samples, seed: config.seed });
  const teacherLogits = subnetLogits(net, largest, stats, data.train);
  const k = net.numClasses;
  const lossConfig = DEFAULT_LOSS.map((t) => ({ ...t }));
  const loss = createLoss(lossConfig, 'loss', { seed: config.seed });
  const lossFn: LossFn = (logits, labels, batch) => loss.compute({ studentLogits: logits, labels, teacherLogits: gatherRows(teacherLogits, k, batch.indices) });
  const score = (ds: Dataset | undefined) => (ds && ds.y.length > 0 ? evaluate(model, ds, { batchSize: config.train.evalBatchSize }).accuracy : undefined);
  const scores = () => {
    const test = score(data.test);
    return { validation: score(data.validation)!, ...(test !== undefined ? { test } : {}) };
  };
  const before = scores();
  try {
    await fit(model, data.train, {
      epochs: opts.epochs,
      batchSize: config.train.batchSize,
      optimizer: { ...config.train.optimizer, lr },
      schedule: { type: 'cosine' },
      validation: data.validation,
      evalBatchSize: config.train.evalBatchSize,
      loss: lossFn,
      // a seed of its own: not the supernet's batch order
      seed: config.seed + 1,
      checkpointDir: opts.checkpointDir,
      resume: opts.resume === true,
      ...(opts.reporter ? { reporter: opts.reporter } : {}),
    });
  } finally {
    loss.dispose();
  }
  return { epochs: opts.epochs, lr, loss: lossConfig, before, after: scores() };
}
