import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';

/** Speech Commands' names for its two extra classes and its noise folder. */
export const SILENCE_LABEL = '_silence_';
export const UNKNOWN_LABEL = '_unknown_';
export const BACKGROUND_FOLDER = '_background_noise_';
/** The seed TensorFlow's Speech Commands pipeline fixes for picking unknowns (59185). */
export const SPEECH_COMMANDS_SEED = 59185;

/** One clip of a split: a file and its class, or a silence clip (`path` null) built from noise. */
export interface ClipRef {
  readonly path: string | null;
  readonly label: string;
}

/** The clips of each split, the class list, and the background noise files. */
export interface FolderIndex {
  readonly train: readonly ClipRef[];
  readonly validation: readonly ClipRef[];
  readonly test: readonly ClipRef[];
  /** Speech Commands order: `_silence_`, `_unknown_`, then the words (when `words` is given). */
  readonly classNames: readonly string[];
  /** The .wav files of `_background_noise_/`, sorted; empty when the folder is absent. */
  readonly noise: readonly string[];
}

/** How to index a folder; the percentages follow TensorFlow's `train.py` flags. */
export interface FolderOptions {
  /** The keywords; every other folder's clips become `_unknown_`. Absent: every folder is a class. */
  readonly words?: readonly string[];
  readonly validationPercent: number;
  readonly testPercent: number;
  /** Silence clips per split, as a percentage of the split's keyword clips. */
  readonly silencePercent: number;
  /** Unknown clips per split, as a percentage of the split's keyword clips. */
  readonly unknownPercent: number;
  /** Seeds the choice of unknowns and the order of each split (not the training run). */
  readonly seed: number;
}

type Split = 'train' | 'validation' | 'test';

/**
 * Speech Commands' split of one file: `_nohash_` and what follows is dropped from the file
 * name, so every clip of one speaker lands in the same split; the rest is hashed with SHA-1
 * and mapped to a percentage. The same file name always gets the same split, whatever else
 * the folder holds, and the result equals the data set's own `which_set`.
 *
 * @example
 * whichSet('yes/0a7c2a8d_nohash_0.wav', 10, 10); // 'train' | 'validation' | 'test'
 */
export function whichSet(file: string, validationPercent: number, testPercent: number): Split {
  const percent = speakerPercent(file);
  if (percent < validationPercent) return 'validation';
  if (percent < validationPercent + testPercent) return 'test';
  return 'train';
}

/**
 * Where a file's speaker falls in [0, 100]: `_nohash_` and what follows is dropped from the
 * base name, the rest hashed with SHA-1, taken mod 2^27 and scaled by 100 / (2^27 - 1) (the
 * data set's own constants).
 *
 * @example
 * speakerPercent('yes/0a7c2a8d_nohash_0.wav'); // 56.836387193474074
 */
export function speakerPercent(file: string): number {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  const speaker = base.replace(/_nohash_.*$/s, '');
  const hex = createHash('sha1').update(speaker, 'utf8').digest('hex');
  return Number(BigInt(`0x${hex}`) % 134217728n) * (100 / 134217727);
}

/**
 * Index a folder in the Speech Commands layout: one folder per label of .wav files,
 * `_background_noise_/` for long noise recordings, and optional `validation_list.txt` /
 * `testing_list.txt` (paths relative to the folder, one a line). Files a list names go to its
 * split; the others are split by {@link whichSet}. With `words`, each split gets every keyword
 * clip, `unknownPercent` of that count drawn from the other folders and `silencePercent` of it
 * as silence, the way the data set's reference pipeline builds them.
 *
 * Errors: DATA_NOT_FOUND (no folder), DATA_AUDIO_EMPTY (no label folders), DATA_AUDIO_NO_CLIPS
 * (a label folder without .wav files), DATA_AUDIO_WORD (a keyword without a folder),
 * DATA_AUDIO_LIST (a list names a file that is not there).
 *
 * @example
 * const idx = indexFolder('speech_commands_v0.02', { words: ['yes', 'no'], validationPercent: 10, testPercent: 10, silencePercent: 10, unknownPercent: 10, seed: 59185 });
 */
export function indexFolder(root: string, opts: FolderOptions): FolderIndex {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new DistilleryError('DATA_NOT_FOUND', `${root}: no such folder`, "data.source.folder is resolved against the config file's folder", root);
  }
  const labels = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== BACKGROUND_FOLDER && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  if (labels.length === 0) {
    throw new DistilleryError('DATA_AUDIO_EMPTY', `${root}: no label folders (expected one folder of .wav files per label)`, 'lay the clips out as FOLDER/LABEL/*.wav, or use data.source.manifest with a path,label CSV', root);
  }
  const files = new Map<string, string>();
  for (const label of labels) {
    const wavs = wavFiles(join(root, label));
    if (wavs.length === 0) {
      throw new DistilleryError('DATA_AUDIO_NO_CLIPS', `${join(root, label)}: label folder holds no .wav clips`, 'add clips or remove the folder', join(root, label));
    }
    for (const w of wavs) files.set(`${label}/${w}`, label);
  }
  for (const w of opts.words ?? []) {
    if (!labels.includes(w)) {
      throw new DistilleryError('DATA_AUDIO_WORD', `${root}: keyword '${w}' has no folder; found ${labels.join(', ')}`, 'fix data.source.words or add the folder', 'data.source.words');
    }
  }
  const lists = { validation: readList(root, 'validation_list.txt', files), test: readList(root, 'testing_list.txt', files) };
  const words = opts.words ? new Set(opts.words) : undefined;
  const keyword: Record<Split, ClipRef[]> = { train: [], validation: [], test: [] };
  const unknown: Record<Split, ClipRef[]> = { train: [], validation: [], test: [] };
  // A split that has a list takes exactly its list; the hash fills only the splits without one.
  const vp = lists.validation ? 0 : opts.validationPercent;
  const tp = lists.test ? 0 : opts.testPercent;
  for (const [rel, label] of files) {
    const split: Split = lists.test?.has(rel) ? 'test' : lists.validation?.has(rel) ? 'validation' : whichSet(rel, vp, tp);
    const ref = { path: join(root, rel), label };
    if (!words || words.has(label)) keyword[split].push(ref);
    else unknown[split].push({ path: ref.path, label: UNKNOWN_LABEL });
  }
  const rng = new Rng(opts.seed);
  const build = (split: Split): ClipRef[] => {
    const base = keyword[split];
    const n = base.length;
    const out = [...base];
    const silence = Math.ceil((n * opts.silencePercent) / 100);
    for (let i = 0; i < silence; i++) out.push({ path: null, label: SILENCE_LABEL });
    if (words) out.push(...rng.shuffle([...unknown[split]]).slice(0, Math.ceil((n * opts.unknownPercent) / 100)));
    return rng.shuffle(out);
  };
  const splits = { validation: build('validation'), test: build('test'), train: build('train') };
  const extra = [...(opts.silencePercent > 0 ? [SILENCE_LABEL] : []), ...(words && opts.unknownPercent > 0 ? [UNKNOWN_LABEL] : [])];
  const classNames = [...extra, ...(opts.words ?? labels)];
  const bg = join(root, BACKGROUND_FOLDER);
  const noise = existsSync(bg) ? wavFiles(bg).map((f) => join(bg, f)) : [];
  return { ...splits, classNames, noise };
}

function wavFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && d.name.toLowerCase().endsWith('.wav'))
    .map((d) => d.name)
    .sort();
}

function readList(root: string, name: string, files: ReadonlyMap<string, string>): Set<string> | undefined {
  const path = join(root, name);
  if (!existsSync(path)) return undefined;
  const out = new Set<string>();
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const rel = lines[i].trim();
    if (rel === '') continue;
    if (!files.has(rel)) {
      throw new DistilleryError('DATA_AUDIO_LIST', `${path}: line ${i + 1} names ${rel}, which is not a clip of the folder`, 'list paths relative to the folder, as LABEL/FILE.wav', path);
    }
    out.add(rel);
  }
  return out;
}
