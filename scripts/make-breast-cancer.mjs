// Writes examples/data/breast-cancer-train.csv and -test.csv from the Wisconsin Diagnostic Breast
// Cancer data (UCI, Wolberg, Street & Mangasarian 1995; CC BY 4.0) as Debian's python3-sklearn
// package ships it (sklearn/datasets/data/breast_cancer.csv: 569 rows of 30 features and a 0/1
// label, 0 = malignant). Every fifth row (1-based row 5, 10, ...) goes to the test file, the rest
// to the training file, so the split is the same on every machine.
//
//   apt-get download python3-sklearn && dpkg-deb -x python3-sklearn_*.deb x
//   node scripts/make-breast-cancer.mjs x/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv
import { readFileSync, writeFileSync } from 'node:fs';

const src = process.argv[2] ?? '/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv';
const stats = ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness', 'concavity', 'concave_points', 'symmetry', 'fractal_dimension'];
const names = ['mean', 'error', 'worst'].flatMap((k) => stats.map((s) => `${k}_${s}`));
const lines = readFileSync(src, 'utf8').trim().split('\n').slice(1);
if (lines.length !== 569) throw new Error(`${src}: expected 569 rows, got ${lines.length}`);
const header = [...names, 'diagnosis'].join(',');
const row = (l) => {
  const f = l.split(',');
  if (f.length !== 31) throw new Error(`bad row: ${l}`);
  return [...f.slice(0, 30), f[30] === '0' ? 'malignant' : 'benign'].join(',');
};
const train = lines.filter((_, i) => (i + 1) % 5 !== 0).map(row);
const test = lines.filter((_, i) => (i + 1) % 5 === 0).map(row);
writeFileSync('examples/data/breast-cancer-train.csv', [header, ...train].join('\n') + '\n');
writeFileSync('examples/data/breast-cancer-test.csv', [header, ...test].join('\n') + '\n');
console.log(`train ${train.length} rows, test ${test.length} rows`);
