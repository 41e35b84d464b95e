import type { Direction } from '../../search/types.ts';
import type { RuntimeName } from '../bench/runners.ts';

/** Where a model's accuracy figures come from. */
export type AccuracySource = 'run metrics' | 're-evaluated';

/** A model's score on held-out data. */
export interface ReportAccuracy {
  /** Fraction correct, in [0, 1]. */
  value: number;
  errors: number;
  samples: number;
  /** The split scored: the test split unless the data has none. */
  on: 'test' | 'validation' | 'train';
  from: AccuracySource;
}

/** Latency at batch 1 on one runtime, in milliseconds. */
export interface ReportLatency {
  p50Ms: number;
  p95Ms: number;
}

/** One model of the report: a teacher or a student, with everything measured about it. */
export interface ReportModel {
  /** Unique label used in tables and plots, e.g. `teacher`, `trial 3`. */
  label: string;
  role: 'teacher' | 'student';
  /** The architecture's name from the model's spec, when it has one. */
  arch?: string;
  /** The saved model folder (holds model.json). */
  dir: string;
  /** Study trial number, for a study's model. */
  trial?: number;
  /** On the study's Pareto front (study students) or the report's own front (others). */
  front?: boolean;
  /** The study's objective values of the trial, by name. */
  objectives?: Record<string, number>;
  accuracy?: ReportAccuracy;
  params?: number;
  macs?: number;
  bytes?: { fp32: number; fp16: number; int8: number };
  /** p50/p95 per runtime measured now; empty when latency was skipped. */
  latency: Partial<Record<RuntimeName, ReportLatency>>;
  /** A text model's input: its token length, its tokenizer's kind (tokenizer.json's model type) and vocabulary size. */
  text?: ReportText;
  /** Files of an export folder beside the model (`export/`), with their sizes. */
  files: { name: string; bytes: number }[];
  notes: string[];
}

/** What a text model reads, from its `tokenizer.json` and its input. */
export interface ReportText {
  /** Token ids per text (the model's input length; longer texts are cut). */
  maxLength: number;
  /** The tokenizer's model type: `WordPiece`, `WordLevel`, `BPE`, `Unigram`. */
  tokenizer: string;
  vocabSize: number;
}

/** A study's trials as the scatter plot draws them. */
export interface ReportStudy {
  name: string;
  store: string;
  objectives: { name: string; direction: Direction }[];
  /** Limits of the study config (drawn on the scatter when they bound a plotted metric). */
  limits: { metric: string; op: '<=' | '>='; value: number }[];
  /** Complete trials within every limit, with one value per objective. */
  points: { trial: number; values: number[]; front: boolean }[];
  counts: { total: number; complete: number; pruned: number; failed: number; infeasible: number };
}

/** The headline: the best student against the teacher. */
export interface ReportSummary {
  teacher: string;
  student: string;
  /** Student accuracy over the teacher's (1 = all kept). */
  accuracyKept?: number;
  /** Student minus teacher accuracy, in points. */
  accuracyDelta?: number;
  /** Student bytes over the teacher's: fp32 against fp32, and the student's int8 against the teacher's fp32. */
  sizeRatioFp32?: number;
  sizeRatioInt8?: number;
  /** Teacher p50 over student p50, per runtime. */
  speedup: Partial<Record<RuntimeName, number>>;
}

/** Everything a report shows; `renderHtml` and `renderMarkdown` only format it. */
export interface ReportData {
  title: string;
  /** ISO time the report was made. */
  created: string;
  inputs: string[];
  runtimes: RuntimeName[];
  /** How latency was measured; absent when it was skipped (`--no-latency`). */
  latency?: { batch: 1; warmup: number; iterations: number; threads: number };
  models: ReportModel[];
  study?: ReportStudy;
  summary?: ReportSummary;
  notes: string[];
}
