import { DistilleryError } from '../core/errors.ts';
import { validateConfig } from '../config/index.ts';
import { trainConfigSchema } from '../train/index.ts';
import type { TrainConfig } from '../train/index.ts';

/** One loss term as a config writes it: `{ term, weight, ...options }`. */
export type LossTermConfig = { term: string; weight?: number; [k: string]: unknown };

/**
 * Applies a candidate's training settings (the `train` part of a materialized candidate) to the
 * study's defaults. Shorthands a search space can name directly:
 * - `lr`, `momentum`, `weightDecay` set the optimizer's; `optimizer: adam` its type;
 * - `temperature` (or `T`) sets T of every kd/dkd loss term;
 * - `alpha` weighs the soft loss: kd/dkd terms get `alpha`, ce terms `1 - alpha`.
 * Any other key is a `train:` key (epochs, batchSize, schedule, labelSmoothing...). The result is
 * validated; a bad value names its space path (`space.template.train.<key>`).
 *
 * @example
 * const { train, loss } = applyTrainSettings(defaults, [{ term: 'kd', weight: 0.9, T: 4 }, { term: 'ce', weight: 0.1 }], { lr: 0.01, temperature: 8, alpha: 0.7 });
 */
export function applyTrainSettings(base: TrainConfig, loss: readonly LossTermConfig[] | undefined, settings: Record<string, unknown>): { train: TrainConfig; loss: LossTermConfig[] | undefined } {
  const raw = structuredClone(base) as unknown as Record<string, unknown>;
  const optimizer = { ...(raw['optimizer'] as Record<string, unknown>) };
  let terms = loss?.map((t) => ({ ...t }));
  const distillKnob = (key: string) => {
    if (!terms) {
      throw new DistilleryError('SEARCH_SETTING', `space.template.train.${key}: the space searches a distillation setting but the study has no teacher`, 'add teacher: (and loss:) to the study config, or remove the setting from the space', `space.template.train.${key}`);
    }
  };
  for (const [key, v] of Object.entries(settings)) {
    switch (key) {
      case 'lr':
      case 'momentum':
      case 'weightDecay':
        optimizer[key] = v;
        break;
      case 'optimizer':
        if (typeof v === 'string') optimizer['type'] = v;
        else Object.assign(optimizer, v);
        break;
      case 'temperature':
      case 'T':
        distillKnob(key);
        terms = terms!.map((t) => (t.term === 'kd' || t.term === 'dkd' ? { ...t, T: v } : t));
        break;
      case 'alpha': {
        distillKnob(key);
        const a = Number(v);
        if (!(a >= 0 && a <= 1)) throw new DistilleryError('SEARCH_SETTING', `space.template.train.alpha: ${JSON.stringify(v)} is not in [0, 1]`, 'give alpha a range inside [0, 1]', 'space.template.train.alpha');
        terms = terms!.map((t) => (t.term === 'kd' || t.term === 'dkd' ? { ...t, weight: a } : t.term === 'ce' ? { ...t, weight: 1 - a } : t));
        break;
      }
      default:
        raw[key] = v;
    }
  }
  raw['optimizer'] = optimizer;
  try {
    return { train: validateConfig(trainConfigSchema, raw), loss: terms };
  } catch (e) {
    if (e instanceof DistilleryError && e.where) {
      const where = `space.template.train.${e.where}`;
      throw new DistilleryError('SEARCH_SETTING', `${where}: ${e.message.replace(/^[^:]*: /, '')}`, 'narrow that parameter of the space to values train: accepts', where);
    }
    throw e;
  }
}
