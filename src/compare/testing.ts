import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { train, trainJobSchema } from '../jobs/train.ts';

// Fixtures for the comparison's tests: the real breast-cancer CSV (examples/data), a small
// teacher trained on it, and a compare config small enough to run four arms × 3 seeds in seconds.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The repo's test fixtures folder (ONNX models). */
export const ROOT_FIXTURES = join(ROOT, 'test/fixtures');

/** A temp folder holding the breast-cancer CSVs (train, test and a test file whose labels are all flipped). */
export function csvFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-compare-'));
  for (const f of ['train', 'test']) copyFileSync(join(ROOT, `examples/data/breast-cancer-${f}.csv`), join(dir, `${f}.csv`));
  const lines = readFileSync(join(dir, 'test.csv'), 'utf8').trim().split('\n');
  const flip = (l: string) => l.replace(/,(malignant|benign)$/, (_m, c: string) => `,${c === 'malignant' ? 'benign' : 'malignant'}`);
  writeFileSync(join(dir, 'poison.csv'), [lines[0], ...lines.slice(1).map(flip)].join('\n') + '\n');
  return dir;
}

/** The data section every test config uses: the first `limit` training rows, 20% held out for validation. */
export function csvData(dir: string, test = 'test.csv', limit = 200): Record<string, unknown> {
  return { source: { type: 'csv', train: join(dir, 'train.csv'), test: join(dir, test), label: 'diagnosis' }, limit, validation: 0.2, normalize: { standardize: 'feature' } };
}

/** Trains a small teacher (30-32-2) on the CSV into `<dir>/teacher` and returns its model folder. */
export async function csvTeacher(dir: string): Promise<string> {
  const cfg = trainJobSchema.parse({ seed: 1, backend: 'cpu', data: csvData(dir), model: { blocks: [{ type: 'dense', units: 32, activation: 'relu' }, { type: 'dense', units: 2 }] }, train: { epochs: 15, batchSize: 32, optimizer: { type: 'adam', lr: 0.01 } } });
  return (await train(cfg, { out: join(dir, 'teacher') })).modelDir;
}

/**
 * A compare config on the CSV: hand student 30-4-2 (128 MACs), MLPs of 2-8 units under
 * `macs<=128`, two distillation recipes, a budget of 20 student epochs, 3 seeds, the cpu backend
 * (deterministic).
 */
export function tinyCompareConfig(dir: string, teacherDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny-compare', seed: 1, seeds: 3, backend: 'cpu',
    data: csvData(dir),
    teacher: { type: 'tfjs', path: teacherDir },
    student: { blocks: [{ type: 'dense', units: 4, activation: 'relu' }, { type: 'dense', units: 2 }] },
    space: { template: { model: { blocks: [{ type: 'dense', units: { choice: [2, 4, 8] }, activation: 'relu' }, { type: 'dense', units: 2 }] }, train: { lr: { choice: [0.01, 0.03] } } } },
    train: { batchSize: 32, optimizer: { type: 'adam', lr: 0.02 } },
    strategy: { name: 'random' },
    objectives: [{ metric: 'accuracy', direction: 'max' }, { metric: 'macs', direction: 'min' }],
    limits: ['macs<=128'],
    distill: { temperature: [2], alpha: [0.5, 0.9] },
    budget: { studentEpochs: 20, trialEpochs: 2, maxTrials: 3 },
    ...overrides,
  };
}
