import { z } from 'zod';
import { validateConfig } from '../../config/index.ts';
import { normalizeSchema, type NormalizeConfig } from '../../data/config.ts';

/**
 * How a teacher expects its input, relative to the RAW data values (before the data stage's
 * `normalize`): the same forms as `data.normalize`. Absent: the teacher takes the student's
 * batches as they are (for a TF.js model saved by `distillery train`, the normalisation saved
 * in its metadata is used instead).
 */
const teacherNormalize = normalizeSchema.optional();

/** A TF.js layers model: its folder, or the `model.json` inside it. */
export interface TfjsTeacherConfig {
  type: 'tfjs';
  path: string;
  normalize?: NormalizeConfig;
}

/** An ONNX file run by onnxruntime. */
export interface OnnxTeacherConfig {
  type: 'onnx';
  path: string;
  /** Image layout of the model's input; default: detected from the model's input shape. */
  layout?: 'nchw' | 'nhwc';
  /** Input name; default: the graph's only input. */
  input?: string;
  /** Logits output name; default: the graph's first output. */
  output?: string;
  normalize?: NormalizeConfig;
  /** Text teachers: its tokenizer.json (default: tokenizer.json beside the .onnx file). */
  tokenizer?: string;
  /** Text teachers: token ids per text when the graph's length is symbolic. */
  maxLength?: number;
  /** The teacher's class names in output order (default: labels.json beside the file, if any); must equal the data's. */
  labels?: string[];
}

/** Several teachers whose logits (or probabilities) are averaged, with optional weights. */
export interface EnsembleTeacherConfig {
  type: 'ensemble';
  members: TeacherConfig[];
  combine: 'logits' | 'probs';
  weights?: number[];
}

/** A parsed `teacher:` section. */
export type TeacherConfig = TfjsTeacherConfig | OnnxTeacherConfig | EnsembleTeacherConfig;

/** A `teacher:` section as a user writes it (`combine` optional). */
export type TeacherConfigInput = TfjsTeacherConfig | OnnxTeacherConfig | (Omit<EnsembleTeacherConfig, 'combine' | 'members'> & { combine?: 'logits' | 'probs'; members: TeacherConfigInput[] });

const path = z.string().min(1);

const tfjsSchema = z.object({ type: z.literal('tfjs'), path, normalize: teacherNormalize }).strict();

const onnxSchema = z
  .object({
    type: z.literal('onnx'),
    path,
    layout: z.enum(['nchw', 'nhwc']).optional(),
    input: z.string().min(1).optional(),
    output: z.string().min(1).optional(),
    normalize: teacherNormalize,
    tokenizer: path.optional(),
    maxLength: z.number().int().min(1).optional(),
    labels: z.array(z.string()).min(2).optional(),
  })
  .strict();

const ensembleSchema = z
  .object({
    type: z.literal('ensemble'),
    get members() {
      return z.array(teacherConfigSchema).min(1);
    },
    combine: z.enum(['logits', 'probs']).default('logits'),
    weights: z.array(z.number().nonnegative()).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!v.weights) return;
    if (v.weights.length !== v.members.length) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: `${v.weights.length} weights for ${v.members.length} members: give one weight per member` });
    } else if (!(v.weights.reduce((a, b) => a + b, 0) > 0)) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: 'the weights sum to 0: give at least one positive weight' });
    }
  });

/**
 * The `teacher:` section of a distill config: a TF.js model folder, an ONNX file, or an
 * ensemble of teachers. Unknown keys are errors. Relative paths are resolved from the
 * config file's folder (`baseDir` of {@link loadTeacher}).
 *
 * @example
 * teacherConfigSchema.parse({ type: 'onnx', path: 'examples/teachers/mnist-cnn.onnx', normalize: { mean: 33.3285, std: 78.5655 } });
 * teacherConfigSchema.parse({ type: 'ensemble', combine: 'probs', weights: [2, 1],
 *   members: [{ type: 'tfjs', path: 'runs/big/model' }, { type: 'onnx', path: 'cnn.onnx' }] });
 */
export const teacherConfigSchema: z.ZodType<TeacherConfig, TeacherConfigInput> = z.discriminatedUnion('type', [tfjsSchema, onnxSchema, ensembleSchema]) as unknown as z.ZodType<
  TeacherConfig,
  TeacherConfigInput
>;

/**
 * Validate a `teacher:` section; a problem becomes CONFIG_INVALID naming the key path
 * (`teacher.members[1].layout: ...`).
 *
 * @example
 * const cfg = parseTeacherConfig(yaml.parse(text).teacher);
 */
export function parseTeacherConfig(value: unknown, key = 'teacher', file?: string): TeacherConfig {
  return validateConfig(z.object({ [key]: teacherConfigSchema }), { [key]: value }, file)[key] as TeacherConfig;
}
