/** A named parameter (or gradient, or moment) in the PyTorch reference layout, row-major float32. */
export interface NamedTensor {
  name: string;
  values: Float32Array;
  /** Optional; when given, errors report a position as a multi-index as well as a flat one. */
  shape?: readonly number[];
}

/** Parameters matched by name get this weight decay instead of the optimiser's default. */
export interface ParameterGroup {
  /** Exact names, a pattern, or a predicate. */
  names: readonly string[] | RegExp | ((name: string) => boolean);
  weightDecay: number;
}

export interface AdamWOptions {
  /** (β1, β2); default (0.9, 0.999) as torch.optim.AdamW. */
  betas?: readonly [number, number];
  /** Added to √v̂; default 1e-8 as torch.optim.AdamW. */
  eps?: number;
  /** Decoupled weight decay for every parameter no group claims; default 0.01 as torch.optim.AdamW. */
  weightDecay?: number;
  /** Per-group weight decay; the first group that matches a name wins. */
  groups?: readonly ParameterGroup[];
  /** Shorthand for a group with weight decay 0 (checked before `groups`). */
  noWeightDecay?: readonly string[];
}

/** Everything AdamW remembers between steps, enough to resume bit-exactly. */
export interface AdamWState {
  /** Steps taken so far; the next step is step + 1 (PyTorch's per-parameter `step`, shared here). */
  step: number;
  /** First moments (PyTorch's exp_avg), one per parameter, in the optimiser's parameter order. */
  m: NamedTensor[];
  /** Second moments (PyTorch's exp_avg_sq). */
  v: NamedTensor[];
}

export type AdamWErrorCode =
  /** Bad hyperparameters or learning rate. */
  | 'invalid-option'
  /** A parameter or gradient list does not name exactly the optimiser's parameters. */
  | 'name-mismatch'
  /** A parameter, gradient or moment has the wrong number of values. */
  | 'length-mismatch'
  | 'non-finite-gradient'
  /** An imported state is malformed (step, moments, negative second moment). */
  | 'invalid-state';

export class AdamWError extends Error {
  override readonly name = 'AdamWError';
  readonly code: AdamWErrorCode;
  /** The parameter at fault, when one is. */
  readonly parameter: string | undefined;

  constructor(code: AdamWErrorCode, message: string, parameter?: string) {
    super(message);
    this.code = code;
    this.parameter = parameter;
  }
}

/** The scalars of one AdamW step on one tensor. */
export interface AdamWStepScalars {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step number t, used for the bias corrections. */
  step: number;
}

/**
 * One torch.optim.AdamW step (amsgrad off, maximize off) on one tensor, in place:
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps)
 * Each element's arithmetic runs in float64 and is rounded to float32 exactly where PyTorch stores a
 * float32 tensor (the decayed p, m, v, the new p), and the update reads the stored m and v as PyTorch
 * does. PyTorch rounds after every elementary op instead, so results agree to a few float32 ulps
 * rather than bit for bit.
 */
export function adamwUpdate(
  values: Float32Array,
  gradient: Float32Array,
  m: Float32Array,
  v: Float32Array,
  scalars: AdamWStepScalars,
): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = scalars;
  const decay = 1 - lr * weightDecay;
  const stepSize = lr / (1 - beta1 ** step);
  const correction2Sqrt = Math.sqrt(1 - beta2 ** step);
  const keep1 = 1 - beta1;
  const keep2 = 1 - beta2;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const g = gradient[i] as number;
    const decayed = Math.fround((values[i] as number) * decay);
    const mi = Math.fround(beta1 * (m[i] as number) + keep1 * g);
    const vi = Math.fround(beta2 * (v[i] as number) + keep2 * g * g);
    m[i] = mi;
    v[i] = vi;
    values[i] = decayed - (stepSize * mi) / (Math.sqrt(vi) / correction2Sqrt + eps);
  }
}

/**
 * AdamW with decoupled weight decay, as torch.optim.AdamW, over named float32 parameters updated in
 * place. The learning rate is given at every step (a schedule owns it); weight decay is fixed per
 * parameter group.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly names: string[];
  private readonly sizes = new Map<string, number>();
  private readonly decays = new Map<string, number>();
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private steps = 0;

  constructor(parameters: readonly NamedTensor[], options: AdamWOptions = {}) {
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    this.beta1 = checkBeta(beta1, 0);
    this.beta2 = checkBeta(beta2, 1);
    this.eps = checkNonNegative(options.eps ?? 1e-8, 'eps');
    const defaultDecay = checkNonNegative(options.weightDecay ?? 0.01, 'weightDecay');
    const noDecay = new Set(options.noWeightDecay ?? []);
    const groups = options.groups ?? [];
    groups.forEach((group, i) => {
      checkNonNegative(group.weightDecay, `groups[${i}].weightDecay`);
    });

    this.names = [];
    for (const { name, values } of parameters) {
      if (this.sizes.has(name)) {
        throw new AdamWError('name-mismatch', `parameter "${name}" is given twice`, name);
      }
      this.names.push(name);
      this.sizes.set(name, values.length);
      const group = groups.find((candidate) => groupMatches(candidate, name));
      this.decays.set(name, noDecay.has(name) ? 0 : (group?.weightDecay ?? defaultDecay));
      this.m.set(name, new Float32Array(values.length));
      this.v.set(name, new Float32Array(values.length));
    }
    for (const name of noDecay) {
      if (!this.sizes.has(name)) {
        throw new AdamWError(
          'name-mismatch',
          `noWeightDecay names "${name}", which is not a parameter (parameters: ${listNames(this.names)})`,
          name,
        );
      }
    }
  }

  /** Steps taken so far (PyTorch's state["step"]). */
  get stepCount(): number {
    return this.steps;
  }

  /** The optimiser's parameter names, in order. */
  get parameterNames(): readonly string[] {
    return this.names;
  }

  weightDecayOf(name: string): number {
    const decay = this.decays.get(name);
    if (decay === undefined) {
      throw new AdamWError(
        'name-mismatch',
        `no parameter "${name}" (parameters: ${listNames(this.names)})`,
        name,
      );
    }
    return decay;
  }

  /**
   * Applies one step to `parameters` in place. Everything is checked before anything changes, so a
   * rejected step (mismatched names or lengths, a NaN or infinite gradient) leaves parameters and
   * state untouched.
   */
  step(parameters: readonly NamedTensor[], gradients: readonly NamedTensor[], lr: number): void {
    if (!Number.isFinite(lr) || lr < 0) {
      throw new AdamWError('invalid-option', `learning rate must be a finite number ≥ 0, got ${lr}`);
    }
    const params = this.byName(parameters, 'parameters');
    const grads = this.byName(gradients, 'gradients');
    for (const name of this.names) {
      const gradient = grads.get(name) as NamedTensor;
      const bad = firstNonFinite(gradient.values);
      if (bad >= 0) {
        const shape = gradient.shape ?? (params.get(name) as NamedTensor).shape;
        throw new AdamWError(
          'non-finite-gradient',
          `gradient of "${name}" is ${gradient.values[bad]} at ${describeIndex(bad, shape)} (step ${this.steps + 1}); the step was not applied`,
          name,
        );
      }
    }

    const step = this.steps + 1;
    for (const name of this.names) {
      adamwUpdate(
        (params.get(name) as NamedTensor).values,
        (grads.get(name) as NamedTensor).values,
        this.m.get(name) as Float32Array,
        this.v.get(name) as Float32Array,
        {
          lr,
          beta1: this.beta1,
          beta2: this.beta2,
          eps: this.eps,
          weightDecay: this.weightDecayOf(name),
          step,
        },
      );
    }
    this.steps = step;
  }

  /** A copy of the state (later steps do not change it). */
  exportState(): AdamWState {
    return {
      step: this.steps,
      m: this.names.map((name) => ({ name, values: (this.m.get(name) as Float32Array).slice() })),
      v: this.names.map((name) => ({ name, values: (this.v.get(name) as Float32Array).slice() })),
    };
  }

  /** Replaces the state with a copy of `state`, after checking it fits these parameters. */
  importState(state: AdamWState): void {
    if (!Number.isSafeInteger(state.step) || state.step < 0) {
      throw new AdamWError('invalid-state', `state step must be an integer ≥ 0, got ${state.step}`);
    }
    const m = this.byName(state.m, 'state m', 'invalid-state');
    const v = this.byName(state.v, 'state v', 'invalid-state');
    for (const name of this.names) {
      const mValues = (m.get(name) as NamedTensor).values;
      const vValues = (v.get(name) as NamedTensor).values;
      const badM = firstNonFinite(mValues);
      if (badM >= 0) {
        throw new AdamWError(
          'invalid-state',
          `state m of "${name}" is ${mValues[badM]} at index ${badM}`,
          name,
        );
      }
      for (let i = 0; i < vValues.length; i++) {
        const value = vValues[i] as number;
        if (!(Number.isFinite(value) && value >= 0)) {
          throw new AdamWError(
            'invalid-state',
            `state v of "${name}" is ${value} at index ${i}; second moments are finite and ≥ 0`,
            name,
          );
        }
      }
    }
    for (const name of this.names) {
      (this.m.get(name) as Float32Array).set((m.get(name) as NamedTensor).values);
      (this.v.get(name) as Float32Array).set((v.get(name) as NamedTensor).values);
    }
    this.steps = state.step;
  }

  /** Indexes `tensors` by name after checking they are exactly this optimiser's parameters. */
  private byName(
    tensors: readonly NamedTensor[],
    what: string,
    code: AdamWErrorCode = 'name-mismatch',
  ): Map<string, NamedTensor> {
    const byName = new Map<string, NamedTensor>();
    for (const tensor of tensors) {
      const size = this.sizes.get(tensor.name);
      if (size === undefined) {
        throw new AdamWError(
          code,
          `${what} include "${tensor.name}", which the optimiser does not know (parameters: ${listNames(this.names)})`,
          tensor.name,
        );
      }
      if (byName.has(tensor.name)) {
        throw new AdamWError(code, `${what} give "${tensor.name}" twice`, tensor.name);
      }
      if (tensor.values.length !== size) {
        throw new AdamWError(
          code === 'name-mismatch' ? 'length-mismatch' : code,
          `${what}: "${tensor.name}" has ${tensor.values.length} values, the parameter has ${size}`,
          tensor.name,
        );
      }
      byName.set(tensor.name, tensor);
    }
    const missing = this.names.filter((name) => !byName.has(name));
    if (missing.length > 0) {
      throw new AdamWError(
        code,
        `${what} lack ${listNames(missing)} (every parameter must be given)`,
        missing[0],
      );
    }
    return byName;
  }
}

function groupMatches(group: ParameterGroup, name: string): boolean {
  const { names } = group;
  if (typeof names === 'function') return names(name);
  if (names instanceof RegExp) {
    names.lastIndex = 0;
    return names.test(name);
  }
  return names.includes(name);
}

function checkBeta(beta: number, index: number): number {
  if (!(Number.isFinite(beta) && beta >= 0 && beta < 1)) {
    throw new AdamWError('invalid-option', `betas[${index}] must be in [0, 1), got ${beta}`);
  }
  return beta;
}

function checkNonNegative(value: number, what: string): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new AdamWError('invalid-option', `${what} must be a finite number ≥ 0, got ${value}`);
  }
  return value;
}

function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

function describeIndex(flat: number, shape: readonly number[] | undefined): string {
  if (shape === undefined || shape.length < 2) return `index ${flat}`;
  const index: number[] = [];
  let rest = flat;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const size = shape[axis] as number;
    index.unshift(rest % size);
    rest = Math.floor(rest / size);
  }
  return `index ${flat} ([${index.join(', ')}])`;
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 8).map((name) => `"${name}"`);
  return names.length > 8 ? `${shown.join(', ')}, … (${names.length} in all)` : shown.join(', ');
}
