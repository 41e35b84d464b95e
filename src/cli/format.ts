/** What the result tables show of a trained model. */
export interface ResultLike {
  testAccuracy: number;
  testErrors: number;
  testSamples: number;
  params: number;
  macs: number;
  bytes: { fp32: number };
  seconds: number;
}

function kb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} KB`;
}

/** Header + one row per model: accuracy, errors, params, MACs, bytes, time. */
export function resultRows(models: readonly (readonly [string, ResultLike])[]): string[][] {
  const rows = [['model', 'accuracy', 'errors', 'params', 'MACs', 'fp32 size', 'time']];
  for (const [name, r] of models) {
    rows.push([
      name,
      `${(r.testAccuracy * 100).toFixed(2)}%`,
      `${r.testErrors}/${r.testSamples}`,
      r.params.toLocaleString('en-US'),
      r.macs.toLocaleString('en-US'),
      kb(r.bytes.fp32),
      `${r.seconds.toFixed(0)} s`,
    ]);
  }
  return rows;
}
