import * as tf from '@tensorflow/tfjs-core';
import { DistilleryError } from '../core/errors.ts';
// On the native backend one fused pass per variable replaces the ops below, same arithmetic.
import { fusedAdam, fusedSgd } from '../engine/index.ts';

/** Settings of an optimizer; the fields an optimizer does not use are ignored. */
export interface OptimizerConfig {
  type: 'sgd' | 'adam' | 'adamw';
  /** Base learning rate; the schedule scales it per step. */
  lr: number;
  /** SGD momentum (PyTorch convention: `v = mu*v + g`). */
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L2 penalty added to the gradient (sgd, adam) or decoupled decay (adamw). */
  weightDecay?: number;
}

/** Optimizer state as plain arrays: enough to continue a run bit-for-bit. */
export interface OptimizerState {
  type: OptimizerConfig['type'];
  /** Updates taken so far (Adam's bias correction depends on it). */
  step: number;
  /** Slot name -> one array per variable, in variable order. */
  slots: Record<string, Float32Array[]>;
}

/**
 * An optimizer bound to a fixed list of variables. Its state lives in tf variables created on
 * the first update; {@link Optimizer.exportState} / {@link Optimizer.importState} copy it out
 * and back for checkpoints.
 *
 * @example
 * const opt = createOptimizer({ type: 'adamw', lr: 1e-3, weightDecay: 0.01 }, vars);
 * tf.tidy(() => opt.apply(vars.map((v) => grads[v.name]), 1e-3));
 */
export interface Optimizer {
  readonly type: OptimizerConfig['type'];
  readonly step: number;
  /** One update with learning rate `lr`; call inside `tf.tidy`. */
  apply(grads: ReadonlyArray<tf.Tensor | undefined>, lr: number): void;
  exportState(): OptimizerState;
  importState(state: OptimizerState): void;
  /** Free the slot variables. */
  dispose(): void;
}

abstract class SlotOptimizer implements Optimizer {
  abstract readonly type: OptimizerConfig['type'];
  protected slots: Record<string, tf.Variable[]> | undefined;
  protected steps = 0;

  constructor(
    protected readonly vars: readonly tf.Variable[],
    private readonly slotNames: readonly string[],
  ) {}

  get step(): number {
    return this.steps;
  }

  protected ensureSlots(): Record<string, tf.Variable[]> {
    if (this.slots === undefined) {
      const slots: Record<string, tf.Variable[]> = {};
      // tf.tidy would not dispose variables anyway; it frees the zeros they copy from.
      tf.tidy(() => {
        for (const name of this.slotNames) slots[name] = this.vars.map((v) => tf.variable(tf.zerosLike(v), false));
      });
      this.slots = slots;
    }
    return this.slots;
  }

  abstract apply(grads: ReadonlyArray<tf.Tensor | undefined>, lr: number): void;

  exportState(): OptimizerState {
    const slots: Record<string, Float32Array[]> = {};
    for (const name of this.slotNames) {
      slots[name] = this.slots ? this.slots[name].map((s) => Float32Array.from(s.dataSync() as Float32Array)) : [];
    }
    return { type: this.type, step: this.steps, slots };
  }

  importState(state: OptimizerState): void {
    if (state.type !== this.type) {
      throw new DistilleryError('TRAIN_OPTIMIZER_MISMATCH', `checkpoint holds ${state.type} state but the optimizer is ${this.type}`, 'resume with the optimizer the run started with, or delete the checkpoint folder', 'train.optimizer.type');
    }
    this.steps = state.step;
    const present = this.slotNames.every((n) => (state.slots[n]?.length ?? 0) > 0);
    if (!present) {
      this.dispose();
      return;
    }
    const slots = this.ensureSlots();
    for (const name of this.slotNames) {
      const arrays = state.slots[name];
      if (arrays.length !== this.vars.length) {
        throw new DistilleryError('TRAIN_OPTIMIZER_MISMATCH', `checkpoint holds ${name} for ${arrays.length} variables; the model has ${this.vars.length}`, 'resume with the same model, or delete the checkpoint folder');
      }
      slots[name].forEach((s, i) => {
        if (arrays[i].length !== s.size) {
          throw new DistilleryError('TRAIN_OPTIMIZER_MISMATCH', `checkpoint ${name}[${i}] has ${arrays[i].length} values; variable ${this.vars[i].name} has ${s.size}`, 'resume with the same model, or delete the checkpoint folder');
        }
        tf.tidy(() => s.assign(tf.tensor(arrays[i], s.shape, 'float32')));
      });
    }
  }

  dispose(): void {
    if (this.slots) for (const list of Object.values(this.slots)) for (const s of list) s.dispose();
    this.slots = undefined;
  }
}

/** SGD with optional (Nesterov) momentum and L2 weight decay, PyTorch's update rule. */
class Sgd extends SlotOptimizer {
  readonly type = 'sgd' as const;
  constructor(
    vars: readonly tf.Variable[],
    private readonly momentum: number,
    private readonly nesterov: boolean,
    private readonly weightDecay: number,
  ) {
    super(vars, momentum > 0 ? ['momentum'] : []);
  }

  apply(grads: ReadonlyArray<tf.Tensor | undefined>, lr: number): void {
    const slots = this.momentum > 0 ? this.ensureSlots() : undefined;
    const mu = tf.scalar(this.momentum);
    const negLr = tf.scalar(-lr);
    const wd = tf.scalar(this.weightDecay);
    const fused = { momentum: Math.fround(this.momentum), negLr: Math.fround(-lr), weightDecay: Math.fround(this.weightDecay), nesterov: this.nesterov };
    this.vars.forEach((w, i) => {
      let g = grads[i];
      if (g === undefined) return;
      if (fusedSgd(w, g, slots?.momentum[i], fused)) return;
      if (this.weightDecay !== 0) g = tf.add(g, tf.mul(wd, w));
      if (slots) {
        const buf = slots.momentum[i];
        // PyTorch starts the buffer at the first gradient; mu*0 + g is the same thing.
        const v = tf.add(tf.mul(mu, buf), g);
        buf.assign(v);
        g = this.nesterov ? tf.add(g, tf.mul(mu, v)) : v;
      }
      w.assign(tf.add(w, tf.mul(negLr, g)));
    });
    this.steps++;
  }
}

/** Adam with L2 weight decay in the gradient, or AdamW with decoupled decay (Loshchilov & Hutter 2019). */
class Adam extends SlotOptimizer {
  readonly type: 'adam' | 'adamw';
  constructor(
    vars: readonly tf.Variable[],
    private readonly decoupled: boolean,
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly epsilon: number,
    private readonly weightDecay: number,
  ) {
    super(vars, ['m', 'v']);
    this.type = decoupled ? 'adamw' : 'adam';
  }

  apply(grads: ReadonlyArray<tf.Tensor | undefined>, lr: number): void {
    const { m, v } = this.ensureSlots();
    const t = this.steps + 1;
    const bc1 = 1 - Math.pow(this.beta1, t);
    const bc2 = 1 - Math.pow(this.beta2, t);
    const b1 = tf.scalar(this.beta1);
    const b2 = tf.scalar(this.beta2);
    const c1 = tf.scalar(1 - this.beta1);
    const c2 = tf.scalar(1 - this.beta2);
    // PyTorch's arrangement: w -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps).
    const stepSize = tf.scalar(-lr / bc1);
    const invSqrtBc2 = tf.scalar(1 / Math.sqrt(bc2));
    const eps = tf.scalar(this.epsilon);
    const wd = tf.scalar(this.weightDecay);
    const decay = tf.scalar(1 - lr * this.weightDecay);
    const f = Math.fround;
    const fused = {
      beta1: f(this.beta1), beta2: f(this.beta2), oneMinusBeta1: f(1 - this.beta1), oneMinusBeta2: f(1 - this.beta2),
      stepSize: f(-lr / bc1), invSqrtBc2: f(1 / Math.sqrt(bc2)), epsilon: f(this.epsilon), weightDecay: f(this.weightDecay),
      decay: f(1 - lr * this.weightDecay), mode: this.weightDecay === 0 ? 0 : this.decoupled ? 2 : 1,
    } as const;
    this.vars.forEach((w, i) => {
      let g = grads[i];
      if (g === undefined) return;
      if (fusedAdam(w, g, m[i], v[i], fused)) return;
      let base: tf.Tensor = w;
      if (this.weightDecay !== 0) {
        if (this.decoupled) base = tf.mul(w, decay);
        else g = tf.add(g, tf.mul(wd, w));
      }
      const mNew = tf.add(tf.mul(b1, m[i]), tf.mul(c1, g));
      const vNew = tf.add(tf.mul(b2, v[i]), tf.mul(c2, tf.square(g)));
      m[i].assign(mNew);
      v[i].assign(vNew);
      const denom = tf.add(tf.mul(tf.sqrt(vNew), invSqrtBc2), eps);
      w.assign(tf.add(base, tf.mul(stepSize, tf.div(mNew, denom))));
    });
    this.steps++;
  }
}

/**
 * Build an optimizer over `vars` (e.g. `model.trainableWeights.map((w) => w.read())`).
 * Defaults: momentum 0, beta1 0.9, beta2 0.999, epsilon 1e-8, weightDecay 0.
 *
 * @example
 * const opt = createOptimizer({ type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true }, vars);
 */
export function createOptimizer(config: OptimizerConfig, vars: readonly tf.Variable[]): Optimizer {
  const wd = config.weightDecay ?? 0;
  if (!(config.lr > 0) || !Number.isFinite(config.lr)) {
    throw new DistilleryError('TRAIN_BAD_LR', `optimizer learning rate must be a positive number, got ${config.lr}`, 'set train.optimizer.lr, e.g. 0.01', 'train.optimizer.lr');
  }
  switch (config.type) {
    case 'sgd':
      return new Sgd(vars, config.momentum ?? 0, config.nesterov ?? false, wd);
    case 'adam':
    case 'adamw':
      return new Adam(vars, config.type === 'adamw', config.beta1 ?? 0.9, config.beta2 ?? 0.999, config.epsilon ?? 1e-8, wd);
    default:
      throw new DistilleryError('UNKNOWN_OPTIMIZER', `unknown optimizer '${String(config.type)}'; known: sgd, adam, adamw`, 'set train.optimizer.type to sgd, adam or adamw', 'train.optimizer.type');
  }
}
