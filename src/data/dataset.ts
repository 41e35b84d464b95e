/**
 * In-memory labelled data: features as one flat Float32Array (sample-major), integer labels.
 * Images are stored NHWC per sample (e.g. shape [28, 28, 1]); tabular data as [features].
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
}

/** Number of samples in a data set. */
export function size(ds: Dataset): number {
  return ds.y.length;
}

/** Values per sample. */
export function sampleSize(ds: Dataset): number {
  return ds.shape.reduce((a, b) => a * b, 1);
}
