import { z } from 'zod';
import type { FitOptions } from './trainer.ts';

/**
 * `train.optimizer`: defaults SGD, lr 0.01, momentum 0.9, Adam betas (0.9, 0.999), eps 1e-8, no decay.
 *
 * @example
 * optimizerConfigSchema.parse({ type: 'adamw', lr: 1e-3, weightDecay: 0.05 });
 */
export const optimizerConfigSchema = z
  .object({
    type: z.enum(['sgd', 'adam', 'adamw']).default('sgd'),
    lr: z.number().positive().default(0.01),
    momentum: z.number().min(0).max(1).default(0.9),
    nesterov: z.boolean().default(false),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
    weightDecay: z.number().min(0).default(0),
  })
  .strict();

const warmup = {
  warmupEpochs: z.number().min(0).default(0),
  warmupSteps: z.number().int().min(0).default(0),
};

/**
 * `train.schedule`: constant, step (`stepEpochs`, `gamma`) or cosine (`minLr`), each with warm-up.
 *
 * @example
 * scheduleConfigSchema.parse({ type: 'cosine', minLr: 0, warmupEpochs: 1 });
 */
export const scheduleConfigSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('constant'), ...warmup }).strict(),
  z.object({ type: z.literal('step'), stepEpochs: z.number().int().min(1), gamma: z.number().positive().max(1).default(0.1), ...warmup }).strict(),
  z.object({ type: z.literal('cosine'), minLr: z.number().min(0).default(0), ...warmup }).strict(),
]);

/**
 * `train.earlyStopping`: watch a validation metric; restore the best weights by default.
 *
 * @example
 * earlyStoppingConfigSchema.parse({ metric: 'valAccuracy', patience: 3 });
 */
export const earlyStoppingConfigSchema = z
  .object({
    metric: z.enum(['valLoss', 'valAccuracy']).default('valLoss'),
    patience: z.number().int().min(0).default(5),
    minDelta: z.number().min(0).default(0),
    restoreBest: z.boolean().default(true),
  })
  .strict();

/**
 * The `train:` section of a config. Unknown keys are errors; everything has a default, so
 * `{}` is a valid section (10 epochs of SGD at lr 0.01, batch 128).
 *
 * @example
 * const cfg = trainConfigSchema.parse({ epochs: 30, optimizer: { type: 'adamw', lr: 1e-3, weightDecay: 0.05 }, schedule: { type: 'cosine' } });
 * await fit(model, train, { ...cfg, seed: 1 });
 */
export const trainConfigSchema = z
  .object({
    epochs: z.number().int().min(1).default(10),
    batchSize: z.number().int().min(1).default(128),
    optimizer: optimizerConfigSchema.prefault({}),
    schedule: scheduleConfigSchema.prefault({ type: 'constant' }),
    earlyStopping: earlyStoppingConfigSchema.optional(),
    labelSmoothing: z.number().min(0).lt(1).default(0),
    evalBatchSize: z.number().int().min(1).default(1000),
    /** Momentum of the BatchNormalization layers' moving averages (Keras' convention; PyTorch's momentum=0.1 is 0.9). Unset: 0.99. */
    batchNormMomentum: z.number().gt(0).lt(1).optional(),
  })
  .strict();

/** A validated `train:` section (defaults filled in). */
export type TrainConfig = z.output<typeof trainConfigSchema>;

// A validated section must spread into fit()'s options unchanged; this fails to compile if not.
const _fits: (c: TrainConfig) => Omit<FitOptions, 'seed'> = (c) => c;
void _fits;
