import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { Reporter } from '../core/events.ts';
import { silentReporter } from '../core/events.ts';
import type { Dataset } from '../data/dataset.ts';
import { size } from '../data/dataset.ts';
import type { Batch } from '../data/batch.ts';
import { gatherBatch } from '../data/batch.ts';
import { createOptimizer } from './optimizers.ts';
import type { Optimizer, OptimizerConfig } from './optimizers.ts';
import { createSchedule } from './schedules.ts';
import type { Schedule, ScheduleConfig } from './schedules.ts';
import { crossEntropyLoss } from './losses.ts';
import type { LossFn, StepBatch, TrainBatch } from './losses.ts';
import { correctCount, evaluate } from './metrics.ts';
import { resolveInputShape } from './input.ts';
import { EarlyStopper } from './early-stopping.ts';
import type { EarlyStoppingOptions } from './early-stopping.ts';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import type { EpochMetrics, TrainState, WeightInfo } from './checkpoint.ts';
import { readWeights, weightInfo, writeWeights } from './weights.ts';
import { deriveSeed, epochOrder, withSeededRandom } from './seeding.ts';

/** Options of {@link fit}. A validated `train:` config section spreads straight in. */
export interface FitOptions {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  /** Default constant. */
  schedule?: ScheduleConfig | undefined;
  /** Scored after every epoch (valLoss, valAccuracy); valLoss is plain cross-entropy whatever the training loss. */
  validation?: Dataset | undefined;
  /** Batch size for validation; default 1000. */
  evalBatchSize?: number | undefined;
  /** Default: softmax cross-entropy with `labelSmoothing` (ignored when `loss` is given). */
  loss?: LossFn | undefined;
  labelSmoothing?: number | undefined;
  /** Fixes the batch order, augmentation and dropout masks; default 0. */
  seed?: number | undefined;
  earlyStopping?: EarlyStoppingOptions | undefined;
  /** Where to write a checkpoint after every epoch. */
  checkpointDir?: string | undefined;
  /** Continue from the checkpoint in `checkpointDir` when there is one. */
  resume?: boolean | undefined;
  reporter?: Reporter | undefined;
  /** Per-sample shape fed to the model; default from the model (see resolveInputShape). */
  inputShape?: readonly number[] | undefined;
  /**
   * Changes a batch in place before the step (e.g. random shifts). Use the `rng` given: it is
   * derived from the seed and epoch, so a resumed run augments exactly as an unbroken one.
   */
  augment?: ((batch: Batch, rng: Rng) => void) | undefined;
  /** Batches between `batch` events; the loss is read (and checked for NaN) only then. Default 50. */
  reportEvery?: number | undefined;
  /**
   * Layer names whose outputs (training mode, same forward pass as the logits) the loss gets in
   * `batch.features`, e.g. the student layer a FitNets hint regresses from.
   */
  features?: readonly string[] | undefined;
  /**
   * Variables the loss owns (e.g. FitNets' adapter): trained by the same optimizer as the
   * model, saved in and restored from checkpoints. Their names must be unique.
   */
  extraVariables?: readonly tf.Variable[] | undefined;
  /**
   * Awaited before each step, after `augment`, with the batch the step will train on: the place
   * for async work the synchronous step cannot do, such as an online teacher's forward pass on
   * the augmented batch. Whatever it keeps for the loss, it owns (and disposes).
   */
  beforeStep?: ((batch: StepBatch) => Promise<void>) | undefined;
  /**
   * Momentum of every BatchNormalization layer's moving mean and variance, Keras' convention
   * (`moving = momentum · moving + (1 − momentum) · batch`). Unset, each layer keeps its own
   * (tfjs-layers' default 0.99, which needs a few hundred steps to forget its start: validation
   * reads near chance in short runs). PyTorch's default `momentum=0.1` is 0.9 here. Saved with
   * the model, as Keras saves it.
   */
  batchNormMomentum?: number | undefined;
}

/** What {@link fit} returns. */
export interface FitResult {
  /** One entry per epoch run, resumed epochs included. */
  history: EpochMetrics[];
  /** 1-based epoch with the best monitored value (early-stopping metric, else valLoss, else loss). */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Epochs completed in total. */
  epochsRun: number;
}

/**
 * Train `model` (which outputs logits) on `train` with a custom loop: per step a `tf.tidy`
 * around `tf.variableGrads` with the model applied in training mode, then the optimizer and
 * the layers' constraints (max-norm). Writes a checkpoint after every epoch when
 * `checkpointDir` is set; `resume: true` continues from it and ends with the same weights as
 * an unbroken run on the same backend.
 *
 * @example
 * const result = await fit(model, trainSet, {
 *   epochs: 10, batchSize: 128, seed: 1,
 *   optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
 *   schedule: { type: 'cosine', minLr: 0 },
 *   validation: valSet, earlyStopping: { metric: 'valAccuracy', patience: 3 },
 *   checkpointDir: 'runs/mlp/checkpoint', resume: true,
 * });
 */
export async function fit(model: LayersModel, train: Dataset, opts: FitOptions): Promise<FitResult> {
  const report = opts.reporter ?? silentReporter;
  const n = size(train);
  const bs = Math.floor(opts.batchSize);
  if (!(bs >= 1)) throw new DistilleryError('TRAIN_BAD_BATCH_SIZE', `batchSize must be a positive integer, got ${opts.batchSize}`, 'set train.batchSize, e.g. 128', 'train.batchSize');
  if (!(opts.epochs >= 1)) throw new DistilleryError('TRAIN_BAD_EPOCHS', `epochs must be a positive integer, got ${opts.epochs}`, 'set train.epochs, e.g. 10', 'train.epochs');
  if (n === 0) throw new DistilleryError('TRAIN_EMPTY', 'the training set is empty', 'check the data source and split (data.validation) leave training samples');
  if (opts.earlyStopping && !opts.validation) {
    throw new DistilleryError('TRAIN_EARLY_STOP_NO_VALIDATION', `early stopping watches ${opts.earlyStopping.metric} but there is no validation set`, 'give a validation set (data.validation) or remove train.earlyStopping', 'train.earlyStopping');
  }
  if (opts.resume && !opts.checkpointDir) {
    throw new DistilleryError('TRAIN_RESUME_NO_DIR', 'resume was asked for but no checkpointDir was given', 'pass checkpointDir: the folder the interrupted run wrote its checkpoint to');
  }
  const seed = (opts.seed ?? 0) >>> 0;
  const epochs = Math.floor(opts.epochs);
  const stepsPerEpoch = Math.ceil(n / bs);
  const inputShape = resolveInputShape(model, train.shape, opts.inputShape);
  const lossFn = opts.loss ?? crossEntropyLoss(opts.labelSmoothing ?? 0);
  const schedule: Schedule = createSchedule(opts.schedule ?? { type: 'constant' }, { baseLr: opts.optimizer.lr, epochs, stepsPerEpoch });
  const reportEvery = Math.max(1, Math.floor(opts.reportEvery ?? 50));
  const layerVars = model.trainableWeights;
  const extras = opts.extraVariables ?? [];
  const vars = [...layerVars.map((w) => w.read() as tf.Variable), ...extras];
  const featureNames = [...(opts.features ?? [])];
  const view = featureNames.length > 0 ? featureView(model, featureNames) : undefined;
  const optimizer: Optimizer = createOptimizer(opts.optimizer, vars);
  const stopper = opts.earlyStopping ? new EarlyStopper(opts.earlyStopping) : undefined;
  // Extra variables ride in the checkpoint after the model's weights, so resume restores them too.
  const info: WeightInfo[] = [...weightInfo(model), ...extras.map((v) => ({ name: v.name, shape: [...v.shape] }))];
  const readAll = () => [...readWeights(model), ...extras.map((v) => Float32Array.from(v.dataSync() as Float32Array))];
  const writeAll = (values: readonly Float32Array[]) => {
    const k = model.weights.length;
    writeWeights(model, values.slice(0, k));
    extras.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(values[k + i] as Float32Array, v.shape, 'float32'))));
  };

  if (opts.batchNormMomentum !== undefined) setBatchNormMomentum(model, opts.batchNormMomentum);

  let history: EpochMetrics[] = [];
  let startEpoch = 0;
  let globalStep = 0;
  let stoppedEarly = false;
  let bestWeights: Float32Array[] | undefined;

  try {
    if (opts.resume && opts.checkpointDir) {
      const state = loadCheckpoint(opts.checkpointDir, info);
      if (state) {
        checkResumable(state, { seed, batchSize: bs, samples: n }, opts.checkpointDir);
        writeAll(state.weights);
        optimizer.importState(state.optimizer);
        if (stopper && state.earlyStopping) stopper.restore(state.earlyStopping);
        bestWeights = state.bestWeights;
        history = state.history;
        startEpoch = state.epoch;
        globalStep = state.globalStep;
        stoppedEarly = state.stoppedEarly;
        report({ event: 'info', message: `resuming after epoch ${startEpoch} of ${epochs} from ${opts.checkpointDir}` });
      }
    }

    for (let epoch = startEpoch; epoch < epochs && !stoppedEarly; epoch++) {
      report({ event: 'epoch_start', epoch: epoch + 1, epochs, batches: stepsPerEpoch });
      const t0 = performance.now();
      const order = epochOrder(seed, epoch, n);
      const augRng = new Rng(deriveSeed(seed, epoch, 1));
      const dropRng = new Rng(deriveSeed(seed, epoch, 2));
      let totals: tf.Tensor = tf.zeros([2]);
      let lr = schedule(globalStep);
      // a step that throws (NaN, a failing hook) must not leak the running totals
      try {
        for (let b = 0; b < stepsPerEpoch; b++) {
          const start = b * bs;
          const batch = gatherBatch(train, order, start, start + bs);
          if (opts.augment) opts.augment(batch, augRng);
          lr = schedule(globalStep);
          const indices = order.subarray(start, start + batch.n);
          const step = globalStep;
          if (opts.beforeStep) await opts.beforeStep({ x: batch.x, y: batch.y, n: batch.n, indices, epoch, step });
          const next = withSeededRandom(dropRng, () =>
            tf.tidy(() => {
              const x = tf.tensor(batch.x, [batch.n, ...inputShape], 'float32');
              const y = tf.tensor1d(batch.y, 'int32');
              let correct: tf.Scalar | undefined;
              const { value, grads } = tf.variableGrads(() => {
                let logits: tf.Tensor2D;
                const features: Record<string, tf.Tensor> = {};
                if (view) {
                  const outs = view.apply(x, { training: true }) as tf.Tensor[];
                  logits = outs[0] as tf.Tensor2D;
                  featureNames.forEach((name, i) => (features[name] = outs[i + 1] as tf.Tensor));
                } else {
                  logits = model.apply(x, { training: true }) as tf.Tensor2D;
                }
                const ctx: TrainBatch = { x: batch.x, y: batch.y, n: batch.n, indices, input: x, epoch, step, features };
                // variableGrads frees everything but the loss; keep the count and free it below.
                correct = tf.keep(correctCount(logits, y));
                let loss = lossFn(logits, y, ctx);
                for (const penalty of model.calculateLosses()) loss = tf.add(loss, penalty);
                return loss;
              }, vars);
              optimizer.apply(vars.map((v) => grads[v.name]), lr);
              for (const lv of layerVars) {
                if (lv.constraint) {
                  const v = lv.read() as tf.Variable;
                  v.assign(lv.constraint.apply(v));
                }
              }
              const kept = correct as tf.Scalar;
              const sum = tf.add(totals, tf.stack([tf.mul(value, batch.n), tf.cast(kept, 'float32')]));
              kept.dispose();
              return sum;
            }),
          );
          totals.dispose();
          totals = next;
          globalStep++;
          if ((b + 1) % reportEvery === 0 && b + 1 < stepsPerEpoch) {
            const seen = Math.min(n, (b + 1) * bs);
            const loss = (totals.dataSync()[0] as number) / seen;
            checkFinite(loss, epoch, b, lr);
            report({ event: 'batch', epoch: epoch + 1, batch: b + 1, batches: stepsPerEpoch, loss, lr });
          }
        }
      } catch (e) {
        totals.dispose();
        throw e;
      }
      const [lossSum, correct] = totals.dataSync() as Float32Array;
      totals.dispose();
      const loss = lossSum / n;
      checkFinite(loss, epoch, stepsPerEpoch - 1, lr);
      const seconds = (performance.now() - t0) / 1000;
      const m: EpochMetrics = { epoch: epoch + 1, loss, accuracy: correct / n, lr, seconds, samplesPerSec: n / Math.max(seconds, 1e-9) };
      if (opts.validation) {
        const v = evaluate(model, opts.validation, { batchSize: opts.evalBatchSize ?? 1000, inputShape });
        m.valLoss = v.loss;
        m.valAccuracy = v.accuracy;
      }
      if (stopper) {
        const { improved, stop } = stopper.update(epoch + 1, m);
        if (improved && (opts.earlyStopping?.restoreBest ?? true)) bestWeights = readAll();
        stoppedEarly = stop;
      }
      history.push(m);
      report({ event: 'epoch', epochs, ...m });
      if (opts.checkpointDir) {
        const state: TrainState = {
          epoch: epoch + 1,
          globalStep,
          seed,
          batchSize: bs,
          samples: n,
          stoppedEarly,
          history,
          weights: readAll(),
          optimizer: optimizer.exportState(),
        };
        if (stopper) state.earlyStopping = stopper.state();
        if (bestWeights) state.bestWeights = bestWeights;
        saveCheckpoint(opts.checkpointDir, state, info);
      }
      // Let reporters' output and signals through between epochs.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    optimizer.dispose();
  }

  if (stopper && bestWeights && (opts.earlyStopping?.restoreBest ?? true)) writeAll(bestWeights);
  const bestEpoch = stopper ? stopper.state().bestEpoch : pickBest(history);
  if (stoppedEarly) report({ event: 'info', message: `stopped early after epoch ${history.length}; best epoch ${bestEpoch}` });
  return { history, bestEpoch, stoppedEarly, epochsRun: history.length };
}

/**
 * A model that shares `model`'s layers and outputs its logits and then the named layers'
 * outputs: one forward pass gives both, so features see the same dropout masks as the logits.
 * Throws TRAIN_UNKNOWN_FEATURE for a name the model lacks.
 *
 * @example
 * const [logits, hidden] = featureView(model, ['b1_dense']).apply(x) as tf.Tensor[];
 */
export function featureView(model: LayersModel, names: readonly string[]): LayersModel {
  const known = model.layers.map((l) => l.name);
  const outputs = names.map((name) => {
    if (!known.includes(name)) {
      throw new DistilleryError(
        'TRAIN_UNKNOWN_FEATURE',
        `the loss asks for the output of layer '${name}', which the model does not have`,
        `use one of the model's layer names: ${known.join(', ')}`,
        name,
      );
    }
    return model.getLayer(name).output as tfl.SymbolicTensor;
  });
  return tfl.model({ inputs: model.inputs, outputs: [model.outputs[0] as tfl.SymbolicTensor, ...outputs] });
}

function checkFinite(loss: number, epoch: number, batch: number, lr: number): void {
  if (!Number.isFinite(loss)) {
    throw new DistilleryError(
      'TRAIN_NAN',
      `training loss became ${loss} in epoch ${epoch + 1} by batch ${batch + 1} (learning rate ${lr.toPrecision(3)})`,
      'lower train.optimizer.lr (try 10x smaller) or add warm-up (train.schedule.warmupEpochs); check the inputs are scaled (data.normalize) and free of NaN',
      'train.optimizer.lr',
    );
  }
}

function checkResumable(state: TrainState, now: { seed: number; batchSize: number; samples: number }, dir: string): void {
  const diffs: string[] = [];
  if (state.seed !== now.seed) diffs.push(`seed ${state.seed} -> ${now.seed}`);
  if (state.batchSize !== now.batchSize) diffs.push(`batchSize ${state.batchSize} -> ${now.batchSize}`);
  if (state.samples !== now.samples) diffs.push(`training samples ${state.samples} -> ${now.samples}`);
  if (diffs.length > 0) {
    throw new DistilleryError('TRAIN_RESUME_MISMATCH', `${dir}: cannot resume, the run changed (${diffs.join(', ')})`, 'resume with the settings and data the run started with, or delete the checkpoint folder to start afresh', dir);
  }
}

function pickBest(history: readonly EpochMetrics[]): number {
  let best = 0;
  let bestValue = Infinity;
  for (const h of history) {
    const v = h.valLoss ?? h.loss;
    if (v < bestValue) {
      bestValue = v;
      best = h.epoch;
    }
  }
  return best;
}

/**
 * Sets the moving-average momentum of every BatchNormalization layer of `model` (see
 * `FitOptions.batchNormMomentum`); the training-mode call reads it at each step.
 *
 * @example
 * setBatchNormMomentum(model, 0.9);
 */
export function setBatchNormMomentum(model: LayersModel, momentum: number): void {
  if (!(momentum > 0 && momentum < 1)) throw new DistilleryError('TRAIN_BAD_BN_MOMENTUM', `batchNormMomentum must be between 0 and 1 (exclusive), got ${momentum}`, 'set train.batchNormMomentum, e.g. 0.9 (PyTorch\'s default momentum=0.1)', 'train.batchNormMomentum');
  for (const layer of model.layers) {
    if (layer.getClassName() === 'BatchNormalization') (layer as unknown as { momentum: number }).momentum = momentum;
  }
}
