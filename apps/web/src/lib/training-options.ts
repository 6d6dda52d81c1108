import { TrainingConfigSchema } from '@bilinear-lab/contracts';
import { z } from 'zod';

/** One field of the train form, derived from the contracts' TrainingConfigSchema (so none is forgotten). */
export interface TrainingOption {
  name: string;
  label: string;
  hint: string;
  kind: 'integer' | 'number' | 'boolean' | 'choice';
  defaultValue: number | boolean | string | null;
  minimum?: number;
  maximum?: number;
  choices?: string[];
}

// Labels and the paper's context for each option; the schema's own description is the fallback.
const LABELS: Record<string, [label: string, hint: string]> = {
  hiddenDim: ['Hidden width d', 'Width of the bilinear blocks; the paper uses 512.'],
  layers: ['Bilinear layers', 'The decomposition is exact for one layer without residual.'],
  residual: ['Residual connections', 'x ← x + g(x) between blocks.'],
  gate: ['Gate', '"none" is bilinear; relu/silu/gelu give ReGLU/SwiGLU/GeGLU baselines.'],
  epochs: ['Epochs', 'The paper trains 20–100.'],
  batchSize: [
    'Batch size',
    'Measured: 95.0 % on MNIST in 20 epochs. The reference code uses 2048 (3 steps an epoch on the bundled digits, ≈ 89 %).',
  ],
  learningRate: ['Learning rate', 'AdamW with a cosine schedule.'],
  weightDecay: ['Weight decay', 'Lowers the effective rank; the paper uses 0.5–1.0.'],
  warmupSteps: [
    'Warm-up (optimiser steps)',
    'Batches, not epochs, of linear warm-up from 0 to the learning rate; fewer than epochs × batches per epoch.',
  ],
  inputNoise: ['Input noise std', 'Gaussian noise on pixels; 0.4–0.5 gives cleaner eigenvectors.'],
  inputNoiseProbability: ['Input noise probability', 'Share of samples that get input noise.'],
  latentNoise: ['Latent noise', 'h += latentNoise · std(h) · ε during training only.'],
  seed: ['Seed', 'Initialisation, shuffling and noise.'],
  trainSubset: ['Training subset', 'Only the first N training samples (quick runs); empty = all.'],
};

interface JsonSchemaProperty {
  type?: string;
  default?: unknown;
  description?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  enum?: string[];
}

const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

export function trainingOptions(): TrainingOption[] {
  const schema = z.toJSONSchema(TrainingConfigSchema, { io: 'input' }) as {
    properties: Record<string, JsonSchemaProperty>;
  };
  return Object.entries(schema.properties).map(([name, property]) => {
    const [label, hint] = LABELS[name] ?? [name, property.description ?? ''];
    const kind: TrainingOption['kind'] = property.enum
      ? 'choice'
      : property.type === 'boolean'
        ? 'boolean'
        : property.type === 'integer'
          ? 'integer'
          : 'number';
    const option: TrainingOption = {
      name,
      label,
      hint,
      kind,
      defaultValue: (property.default as TrainingOption['defaultValue']) ?? null,
    };
    const minimum = property.minimum ?? property.exclusiveMinimum;
    if (minimum !== undefined) option.minimum = minimum;
    if (property.maximum !== undefined && property.maximum < SAFE_INTEGER) option.maximum = property.maximum;
    if (property.enum) option.choices = property.enum;
    return option;
  });
}
