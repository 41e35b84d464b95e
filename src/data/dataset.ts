import type { TokenizerJson } from '../tokenizers/load.ts';

/**
 * What a text data set carries beside its token ids: the raw text and a stable key per
 * sample (aligned with `x` and `y`), and the tokenizer that made the ids. A teacher with its
 * own tokenizer reads `texts`; cached teacher logits are keyed by `keys` and `texts`.
 */
export interface TextInfo {
  readonly texts: readonly string[];
  readonly keys: readonly string[];
  /** The Hugging Face tokenizer.json that turned `texts` into `x` (saved beside the model). */
  readonly tokenizer: TokenizerJson;
  /** Token ids per sample (= shape[0]). */
  readonly maxLength: number;
}

/**
 * In-memory labelled data: features as one flat Float32Array (sample-major), integer labels.
 * Images are stored NHWC per sample (e.g. shape [28, 28, 1]); tabular data as [features];
 * texts as [maxLength] token ids (whole numbers, exact in float32; 0 = padding, on the right),
 * with `text` set.
 */
export interface Dataset {
  /** n * prod(shape) values, sample-major. */
  readonly x: Float32Array;
  /** n integer class labels in [0, numClasses). */
  readonly y: Int32Array;
  /** Shape of one sample, e.g. [28, 28, 1] or [784]. */
  readonly shape: readonly number[];
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /**
   * The range the raw values can take, when the source knows it (e.g. [0, 255] for uint8
   * images): `scale` maps it to [0, 1]. Absent for floats and CSV cells.
   */
  readonly valueRange?: readonly [number, number];
  /** Present for text: raw texts, keys and the tokenizer. */
  readonly text?: TextInfo;
}

/** Number of samples in a data set. */
export function size(ds: Dataset): number {
  return ds.y.length;
}

/** Values per sample. */
export function sampleSize(ds: Dataset): number {
  return ds.shape.reduce((a, b) => a * b, 1);
}
