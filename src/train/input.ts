import type { LayersModel } from '@tensorflow/tfjs-layers';
import { DistilleryError } from '../core/errors.ts';

/**
 * The per-sample shape to feed `model`, given samples of shape `dataShape`. An explicit
 * `inputShape` wins; otherwise the model's own input shape is used when it holds the same
 * number of values (so [28, 28, 1] images feed a [784] MLP), else the data's shape.
 *
 * @example
 * resolveInputShape(mlp, [28, 28, 1]); // [784]
 */
export function resolveInputShape(model: LayersModel, dataShape: readonly number[], inputShape?: readonly number[]): number[] {
  const size = dataShape.reduce((a, b) => a * b, 1);
  const want = inputShape ? [...inputShape] : modelInputShape(model);
  if (want === undefined) return [...dataShape];
  const wantSize = want.reduce((a, b) => a * b, 1);
  if (wantSize !== size) {
    throw new DistilleryError(
      'TRAIN_INPUT_SHAPE',
      `samples of shape [${dataShape.join(', ')}] (${size} values) cannot feed a model input of shape [${want.join(', ')}] (${wantSize} values)`,
      'make the model input match the data (model input shape) or pass inputShape with the same number of values',
      'model.inputShape',
    );
  }
  return want;
}

function modelInputShape(model: LayersModel): number[] | undefined {
  const shape = model.inputs[0]?.shape;
  if (!shape) return undefined;
  const rest = shape.slice(1);
  if (rest.some((d) => d === null || d === undefined)) return undefined;
  return rest as number[];
}
