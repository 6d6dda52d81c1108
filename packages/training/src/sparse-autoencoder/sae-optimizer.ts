// The reference's optimiser for TopK SAEs (src/sae/sae.py ConstrainedAdam + CosineAnnealingLR):
// torch.optim.Adam (betas 0.9, 0.999, eps 1e-8, no weight decay) over w_enc, b_dec and w_dec, where
// before each step the component of w_dec's gradient along each (unit) decoder column is removed,
// and after it every decoder column is scaled back to unit norm. The learning rate follows a cosine
// from lr to η_min = 2e-5 over the run, with no warm-up, as the reference's scheduler does.
import { adamwUpdate } from '../optim/adamw.js';
import { cosineSchedule, type LearningRateSchedule } from '../optim/schedule.js';
import { type TopKSaeFloat32, type TopKSaeGradients, topKSaeGradients } from './topk-sae.js';

/** torch.optim.Adam's defaults, which the reference keeps. */
export const SAE_BETAS: readonly [number, number] = [0.9, 0.999];
export const SAE_EPS = 1e-8;
/** The reference's CosineAnnealingLR(optimizer, total, 2e-5): the rate the cosine ends at. */
export const SAE_MIN_LR = 2e-5;

/**
 * The reference schedule: cosine from `lr` to 2e-5 over `totalSteps` (to `lr` itself when lr is
 * below 2e-5, where the reference's cosine would climb instead).
 */
export function saeLearningRates(lr: number, totalSteps: number): LearningRateSchedule {
  return cosineSchedule({ baseLr: lr, totalSteps, minLr: Math.min(SAE_MIN_LR, lr) });
}

export interface SaeStepMetrics {
  /** The batch's MSE before the step. */
  mse: number;
  /** 1 − Σ‖x − x̂‖² / Σ‖x − mean‖² over the batch, before the step. */
  explainedVariance: number;
  learningRate: number;
}

/** Adam state and the constrained step, over float32 parameters updated in place. */
export class SaeOptimizer {
  private readonly m: { encoder: Float32Array; decoder: Float32Array; decoderBias: Float32Array };
  private readonly v: { encoder: Float32Array; decoder: Float32Array; decoderBias: Float32Array };
  private steps = 0;

  constructor(readonly sae: TopKSaeFloat32) {
    const zeros = () => ({
      encoder: new Float32Array(sae.encoder.length),
      decoder: new Float32Array(sae.decoder.length),
      decoderBias: new Float32Array(sae.decoderBias.length),
    });
    this.m = zeros();
    this.v = zeros();
  }

  get stepCount(): number {
    return this.steps;
  }

  /** One optimiser step with these gradients (of the float32 parameters) at rate `lr`. */
  apply(gradients: Pick<TopKSaeGradients, 'encoder' | 'decoder' | 'decoderBias'>, lr: number): void {
    const { sae } = this;
    const { features, modelDim: d } = sae;
    const named = [
      ['w_enc.weight', gradients.encoder],
      ['w_dec.weight', gradients.decoder],
      ['b_dec', gradients.decoderBias],
    ] as const;
    for (const [name, values] of named) {
      for (const value of values) {
        if (!Number.isFinite(value)) {
          throw new SaeTrainingDivergedError(
            `the gradient of ${name} is ${value} at step ${this.steps + 1}; the step was not applied (try a smaller learning rate)`,
          );
        }
      }
    }
    // Torch holds the gradient in float32; the projection runs on it as ConstrainedAdam does.
    const decoderGradient = Float32Array.from(gradients.decoder);
    for (let f = 0; f < features; f++) {
      let squares = 0;
      for (let i = 0; i < d; i++) squares += (sae.decoder[i * features + f] as number) ** 2;
      const norm = Math.sqrt(squares);
      let along = 0;
      for (let i = 0; i < d; i++) {
        along +=
          (decoderGradient[i * features + f] as number) * ((sae.decoder[i * features + f] as number) / norm);
      }
      for (let i = 0; i < d; i++) {
        const at = i * features + f;
        decoderGradient[at] = (decoderGradient[at] as number) - along * ((sae.decoder[at] as number) / norm);
      }
    }
    const step = this.steps + 1;
    const scalars = { lr, beta1: SAE_BETAS[0], beta2: SAE_BETAS[1], eps: SAE_EPS, weightDecay: 0, step };
    adamwUpdate(sae.encoder, Float32Array.from(gradients.encoder), this.m.encoder, this.v.encoder, scalars);
    adamwUpdate(sae.decoder, decoderGradient, this.m.decoder, this.v.decoder, scalars);
    adamwUpdate(
      sae.decoderBias,
      Float32Array.from(gradients.decoderBias),
      this.m.decoderBias,
      this.v.decoderBias,
      scalars,
    );
    normaliseColumns(sae.decoder, d, features);
    this.steps = step;
  }
}

/** Scales each column of a d × F matrix to unit norm, in place (p /= p.norm(dim=-2)). */
export function normaliseColumns(values: Float32Array, rows: number, cols: number): void {
  for (let f = 0; f < cols; f++) {
    let squares = 0;
    for (let i = 0; i < rows; i++) squares += (values[i * cols + f] as number) ** 2;
    const norm = Math.sqrt(squares);
    for (let i = 0; i < rows; i++) values[i * cols + f] = (values[i * cols + f] as number) / norm;
  }
}

/** A step whose gradient is NaN or infinite: the learning rate is too large for the data. */
export class SaeTrainingDivergedError extends Error {
  override readonly name = 'SaeTrainingDivergedError';
}

/**
 * The reference procedure one batch at a time: gradients of the batch's MSE, the constrained Adam
 * step at the schedule's rate. Batches are n × d row-major.
 */
export class TopKSaeTrainer {
  readonly optimizer: SaeOptimizer;
  private readonly schedule: LearningRateSchedule;

  constructor(
    readonly sae: TopKSaeFloat32,
    readonly k: number,
    readonly learningRate: number,
    readonly totalSteps: number,
  ) {
    this.optimizer = new SaeOptimizer(sae);
    this.schedule = saeLearningRates(learningRate, totalSteps);
  }

  get stepCount(): number {
    return this.optimizer.stepCount;
  }

  /** One step on `rows` inputs; the metrics are the batch's before the step (as the reference logs them). */
  step(batch: ArrayLike<number>, rows: number): SaeStepMetrics {
    const learningRate = this.schedule.learningRateAt(Math.min(this.optimizer.stepCount, this.totalSteps));
    const pass = topKSaeGradients(this.sae, batch, rows, this.k);
    this.optimizer.apply(pass, learningRate);
    return {
      mse: pass.mse,
      explainedVariance: pass.totalVariance > 0 ? 1 - pass.squaredError / pass.totalVariance : Number.NaN,
      learningRate,
    };
  }
}
