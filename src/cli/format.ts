/** What the result tables show of a model; sizes and time may be unknown (an ONNX teacher's MACs), shown as '-'. */
export interface ResultLike {
  testAccuracy: number;
  testErrors: number;
  testSamples: number;
  params?: number | undefined;
  macs?: number | undefined;
  bytes?: { fp32: number } | undefined;
  seconds?: number | undefined;
}

function kb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} KB`;
}

/**
 * Header + one row per model: accuracy, errors, params, MACs, bytes, time.
 *
 * @example
 * process.stdout.write(table(resultRows([['teacher', teacher], ['student', student]])));
 */
export function resultRows(models: readonly (readonly [string, ResultLike])[]): string[][] {
  const rows = [['model', 'accuracy', 'errors', 'params', 'MACs', 'fp32 size', 'time']];
  for (const [name, r] of models) {
    rows.push([
      name,
      `${(r.testAccuracy * 100).toFixed(2)}%`,
      `${r.testErrors}/${r.testSamples}`,
      r.params !== undefined ? r.params.toLocaleString('en-US') : '-',
      r.macs !== undefined ? r.macs.toLocaleString('en-US') : '-',
      r.bytes !== undefined ? kb(r.bytes.fp32) : '-',
      r.seconds !== undefined ? `${r.seconds.toFixed(0)} s` : '-',
    ]);
  }
  return rows;
}

/**
 * One line on what distillation bought: the student's share of the teacher's size and how many
 * test errors it makes against the teacher's (and, given the same student trained alone, the gain).
 *
 * @example
 * gainLine(teacher, distilled, alone); // 'student: 3.3% of the teacher's params; 412 errors vs 198 (teacher); distillation: -83 errors vs 495 trained alone'
 */
export function gainLine(teacher: ResultLike, student: ResultLike, alone?: ResultLike): string {
  const parts: string[] = [];
  if (teacher.params && student.params !== undefined) parts.push(`${((100 * student.params) / teacher.params).toFixed(1)}% of the teacher's params`);
  parts.push(`${student.testErrors} errors vs ${teacher.testErrors} (teacher)`);
  if (alone) {
    const d = student.testErrors - alone.testErrors;
    parts.push(`distillation: ${d > 0 ? '+' : ''}${d} errors vs ${alone.testErrors} trained alone`);
  }
  return `student: ${parts.join('; ')}\n`;
}
