import { describeModel } from '../models/describe.ts';
import type { ModelSpec } from '../models/spec.ts';

/** One block of a trial's model, as the trial page lists it. */
export interface ArchitectureBlock {
  /** Config path, e.g. `model.blocks[2]`. */
  path: string;
  /** Short human form, e.g. `conv2d 16 k3 s2 same relu`. */
  block: string;
  /** Output shape per sample, when the input shape is known. */
  outputShape: number[] | null;
  params: number | null;
  macs: number | null;
}

/** A trial's model as a readable list of blocks, with totals when they could be worked out. */
export interface Architecture {
  inputShape: number[] | null;
  blocks: ArchitectureBlock[];
  total: { params: number; macs: number; outputShape: number[] } | null;
  /** Why sizes are missing (the spec could not be resolved without the data's shape), when they are. */
  note: string | null;
  /** What a text model reads: null for other models. */
  text: ArchitectureText | null;
}

/** A text model's input: token length, the tokenizer's kind and the vocabulary size (from the spec, else the study's data config). */
export interface ArchitectureText {
  maxLength: number;
  /** `wordpiece`, `word`, or `tokenizer.json` for a given file. */
  tokenizer: string;
  vocabSize: number | null;
}

/**
 * The text side of a trial: its token input (the spec's `input: { kind: tokens }`, else the
 * study's `data.text.maxLength`) and the tokenizer the study's config builds or names.
 */
function textOf(model: Record<string, unknown>, config: Record<string, unknown>): ArchitectureText | null {
  const data = isRecord(config['data']) ? config['data'] : {};
  const text = isRecord(data['text']) ? data['text'] : undefined;
  const input = isRecord(model['input']) && model['input']['kind'] === 'tokens' ? model['input'] : undefined;
  if (!input && !text) return null;
  const tok = text && isRecord(text['tokenizer']) ? text['tokenizer'] : {};
  const first = Array.isArray(model['blocks']) && isRecord(model['blocks'][0]) ? model['blocks'][0] : {};
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  return {
    maxLength: num(input?.['length']) ?? num(text?.['maxLength']) ?? 128,
    tokenizer: typeof tok['path'] === 'string' ? 'tokenizer.json' : typeof tok['kind'] === 'string' ? tok['kind'] : 'wordpiece',
    vocabSize: num(input?.['vocabSize']) ?? num(first['vocabSize']) ?? num(tok['vocabSize']),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// The built-in MNIST source is the one data set whose shape is known without reading files.
function dataShape(config: Record<string, unknown>): { inputShape?: number[]; numClasses?: number } {
  const data = config['data'];
  return isRecord(data) && data['source'] === 'mnist' ? { inputShape: [28, 28, 1], numClasses: 10 } : {};
}

function plainBlock(b: unknown): string {
  if (!isRecord(b)) return String(b);
  const rest = Object.entries(b).filter(([k]) => k !== 'type').map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return [String(b['type'] ?? '?'), ...rest].join(' ');
}

/**
 * The blocks of a trial's frozen spec (`{ model: { blocks } }`, as a search stores it), with
 * output shapes, params and MACs from the spec alone when the input shape is known; otherwise
 * the blocks as written. Null when the spec holds no model.
 *
 * @example
 * architectureOf({ model: { blocks: [{ type: 'flatten' }, { type: 'dense', units: 10 }] } }, { data: { source: 'mnist' } })?.total?.params; // 7850
 */
export function architectureOf(spec: unknown, config: Record<string, unknown>): Architecture | null {
  const model = isRecord(spec) && isRecord(spec['model']) ? spec['model'] : undefined;
  if (!model || !Array.isArray(model['blocks'])) return null;
  const known = dataShape(config);
  const text = textOf(model, config);
  const input = Array.isArray(model['input']) ? (model['input'] as number[]) : text ? [text.maxLength] : known.inputShape;
  try {
    const rows = describeModel(model as unknown as ModelSpec, input, known.numClasses);
    const total = rows.pop()!;
    return {
      inputShape: input ?? null,
      blocks: rows.map((r) => ({ path: r.path, block: r.block, outputShape: r.outputShape, params: r.params, macs: r.macs })),
      total: { params: total.params, macs: total.macs, outputShape: total.outputShape },
      note: null,
      text,
    };
  } catch (e) {
    return {
      inputShape: input ?? null,
      blocks: (model['blocks'] as unknown[]).map((b, i) => ({ path: `model.blocks[${i}]`, block: plainBlock(b), outputShape: null, params: null, macs: null })),
      total: null,
      note: `sizes per block unknown: ${(e as Error).message}`,
      text,
    };
  }
}
