import { execFileSync, spawnSync } from 'node:child_process';
import { seededGaussian } from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { AdamW, AdamWError, type NamedTensor } from './adamw.js';

/**
 * |actual − expected| ≤ tolerance · max(|expected|, floor), element by element. A floor at the
 * tensor's scale keeps an element that happens to pass near 0 from demanding more than float32 gives:
 * its rounding errors were made while it was larger.
 */
function expectRelativeClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  floor = 0,
  what = '',
) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const error = Math.abs(a - e);
    if (!(error <= tolerance * Math.max(Math.abs(e), floor))) {
      expect.fail(`${what} index ${i}: ${a} vs ${e} (relative error ${error / Math.abs(e)})`);
    }
  }
}

function gaussianF32(length: number, seed: number, scale = 1): Float32Array {
  const gaussian = seededGaussian(seed);
  return Float32Array.from({ length }, () => scale * gaussian());
}

function clone(tensors: readonly NamedTensor[]): NamedTensor[] {
  return tensors.map(({ name, values, shape }) => ({
    name,
    values: values.slice(),
    ...(shape ? { shape } : {}),
  }));
}

function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

describe('AdamW against arithmetic written out by hand (float64)', () => {
  // Dyadic values, so every input is exactly the float32 the optimiser sees.
  const p0 = [0.5, -1.25, 2];
  const lr = 0.01;
  const wd = 0.1;

  it('one step: p·(1 − lr·wd) − lr·g/(|g| + eps), since m̂ = g and v̂ = g² at t = 1', () => {
    const g = [0.125, -0.375, 0.75];
    const params = [{ name: 'w', values: Float32Array.from(p0) }];
    const adamw = new AdamW(params, { weightDecay: wd });
    adamw.step(params, [{ name: 'w', values: Float32Array.from(g) }], lr);

    // decay factor 1 − 0.01·0.1 = 0.999; m = 0.1·g; v = 0.001·g²; m̂ = m/0.1; v̂ = v/0.001.
    const expected = [
      0.5 * 0.999 -
        (0.01 * (0.1 * 0.125)) / 0.1 / (Math.sqrt(0.001 * 0.125 * 0.125) / Math.sqrt(0.001) + 1e-8),
      -1.25 * 0.999 -
        (0.01 * (0.1 * -0.375)) / 0.1 / (Math.sqrt(0.001 * 0.375 * 0.375) / Math.sqrt(0.001) + 1e-8),
      2 * 0.999 - (0.01 * (0.1 * 0.75)) / 0.1 / (Math.sqrt(0.001 * 0.75 * 0.75) / Math.sqrt(0.001) + 1e-8),
    ];
    // The same numbers, simplified: 0.4995 − 0.01·0.125/(0.125 + 1e-8), …
    expectRelativeClose(
      expected,
      [0.4995 - 0.01 / (1 + 8e-8), -1.24875 + 0.01 / (1 + 1e-8 / 0.375), 1.988],
      1e-8,
    );
    expectRelativeClose(params[0]?.values as Float32Array, expected, 1e-6);

    const state = adamw.exportState();
    expect(state.step).toBe(1);
    expectRelativeClose(state.m[0]?.values as Float32Array, [0.0125, -0.0375, 0.075], 1e-6);
    expectRelativeClose(
      state.v[0]?.values as Float32Array,
      [0.001 * 0.015625, 0.001 * 0.140625, 0.001 * 0.5625],
      1e-6,
    );
  });

  it('three steps with a different learning rate each step', () => {
    const grads = [
      [0.125, -0.375, 0.75],
      [-0.25, -0.5, 0.0625],
      [0.5, 0.25, -1],
    ];
    const lrs = [0.01, 0.02, 0.005];
    // Bias corrections written out: 1 − 0.9ᵗ = 0.1, 0.19, 0.271; 1 − 0.999ᵗ = 0.001, 0.001999, 0.002997001.
    const c1 = [0.1, 0.19, 0.271];
    const c2 = [0.001, 0.001999, 0.002997001];
    const expected: number[] = [];
    for (let i = 0; i < 3; i++) {
      let p = p0[i] as number;
      let m = 0;
      let v = 0;
      for (let t = 0; t < 3; t++) {
        const g = grads[t]?.[i] as number;
        const rate = lrs[t] as number;
        p = p * (1 - rate * wd);
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        p = p - (rate * (m / (c1[t] as number))) / (Math.sqrt(v / (c2[t] as number)) + 1e-8);
      }
      expected.push(p);
    }

    const params = [{ name: 'w', values: Float32Array.from(p0) }];
    const adamw = new AdamW(params, { weightDecay: wd });
    for (let t = 0; t < 3; t++) {
      adamw.step(params, [{ name: 'w', values: Float32Array.from(grads[t] as number[]) }], lrs[t] as number);
    }
    expect(adamw.stepCount).toBe(3);
    expectRelativeClose(params[0]?.values as Float32Array, expected, 1e-6);
  });

  it('at t = 1 without decay every element moves by lr · g/(|g| + eps), whatever the gradient scale', () => {
    const values = gaussianF32(50, 1);
    const gradient = gaussianF32(50, 2, 1e-3);
    const before = values.slice();
    const params = [{ name: 'w', values }];
    new AdamW(params, { weightDecay: 0 }).step(params, [{ name: 'w', values: gradient }], 1e-3);
    const moved = Array.from(values, (p, i) => (before[i] as number) - p);
    const predicted = Array.from(gradient, (g) => (1e-3 * g) / (Math.abs(g) + 1e-8));
    // Float32 storage of p (|p| ≲ 4) limits the step's precision to ~1e-7 absolute.
    moved.forEach((delta, i) => {
      expect(Math.abs(delta - (predicted[i] as number))).toBeLessThan(5e-7);
    });
  });
});

/** torch.optim.AdamW's formula in numpy, float32 arrays, op by op as torch does. */
const NUMPY_ADAMW = `
import sys, json, math, numpy as np
d = json.load(sys.stdin)
b1, b2, eps = d['beta1'], d['beta2'], d['eps']
ps = [np.array(p['values'], dtype=np.float32) for p in d['params']]
ms = [np.zeros_like(p) for p in ps]
vs = [np.zeros_like(p) for p in ps]
for t, (lr, grads) in enumerate(zip(d['lrs'], d['grads']), start=1):
    for i, p in enumerate(ps):
        g = np.array(grads[i], dtype=np.float32)
        wd = d['params'][i]['weightDecay']
        p = p * np.float32(1 - lr * wd)
        ms[i] = ms[i] * np.float32(b1) + g * np.float32(1 - b1)
        vs[i] = vs[i] * np.float32(b2) + g * g * np.float32(1 - b2)
        denom = np.sqrt(vs[i]) / np.float32(math.sqrt(1 - b2 ** t)) + np.float32(eps)
        ps[i] = p + np.float32(-lr / (1 - b1 ** t)) * (ms[i] / denom)
print(json.dumps({'params': [p.tolist() for p in ps], 'm': [m.tolist() for m in ms], 'v': [v.tolist() for v in vs]}))
`;

const TORCH_ADAMW = `
import sys, json, torch
d = json.load(sys.stdin)
ps = [torch.nn.Parameter(torch.tensor(p['values'], dtype=torch.float32)) for p in d['params']]
groups = [{'params': [p], 'weight_decay': spec['weightDecay']} for p, spec in zip(ps, d['params'])]
opt = torch.optim.AdamW(groups, lr=d['lrs'][0], betas=(d['beta1'], d['beta2']), eps=d['eps'], foreach=False)
for lr, grads in zip(d['lrs'], d['grads']):
    for group in opt.param_groups:
        group['lr'] = lr
    for p, g in zip(ps, grads):
        p.grad = torch.tensor(g, dtype=torch.float32)
    opt.step()
out = {'params': [p.detach().tolist() for p in ps],
       'm': [opt.state[p]['exp_avg'].tolist() for p in ps],
       'v': [opt.state[p]['exp_avg_sq'].tolist() for p in ps]}
print(json.dumps(out))
`;

const TORCH_PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe('AdamW against independent references over 5 steps', () => {
  // Two parameters, one excluded from weight decay; the learning rate changes every step.
  const lrs = [1e-3, 2e-3, 1.5e-3, 1e-3, 5e-4];
  const initial: NamedTensor[] = [
    { name: 'embed.weight', values: gaussianF32(12, 10), shape: [4, 3] },
    { name: 'head.weight', values: gaussianF32(6, 11), shape: [2, 3] },
  ];
  const gradients = lrs.map((_, t) =>
    initial.map(({ values }, i) => gaussianF32(values.length, 100 + 10 * t + i, 0.1)),
  );
  const weightDecays = [0.5, 0];

  function runOurs(betas: readonly [number, number]) {
    const params = clone(initial);
    const adamw = new AdamW(params, { betas, weightDecay: 0.5, noWeightDecay: ['head.weight'] });
    lrs.forEach((lr, t) => {
      adamw.step(
        params,
        params.map(({ name }, i) => ({ name, values: gradients[t]?.[i] as Float32Array })),
        lr,
      );
    });
    return { params, state: adamw.exportState() };
  }

  function reference(python: string, script: string, betas: readonly [number, number] = [0.9, 0.999]) {
    const input = {
      beta1: betas[0],
      beta2: betas[1],
      eps: 1e-8,
      lrs,
      params: initial.map(({ values }, i) => ({ values: Array.from(values), weightDecay: weightDecays[i] })),
      grads: gradients.map((step) => step.map((g) => Array.from(g))),
    };
    const out = execFileSync(python, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' });
    return JSON.parse(out) as { params: number[][]; m: number[][]; v: number[][] };
  }

  function compare(
    expected: { params: number[][]; m: number[][]; v: number[][] },
    betas: readonly [number, number] = [0.9, 0.999],
  ) {
    const { params, state } = runOurs(betas);
    const scaleOf = (values: ArrayLike<number>) => Math.max(...Array.from(values, Math.abs));
    initial.forEach(({ name, values }, i) => {
      const p = expected.params[i]?.flat() as number[];
      const m = expected.m[i]?.flat() as number[];
      const v = expected.v[i]?.flat() as number[];
      // p and m are sums of terms that can cancel, so their error is relative to the tensor's scale;
      // v sums non-negative terms, so it is held to 1e-6 of each element.
      expectRelativeClose(params[i]?.values as Float32Array, p, 1e-6, scaleOf(values), `${name} p`);
      expectRelativeClose(state.m[i]?.values as Float32Array, m, 1e-6, scaleOf(m), `${name} m`);
      expectRelativeClose(state.v[i]?.values as Float32Array, v, 1e-6, 0, `${name} v`);
    });
    expect(state.step).toBe(5);
  }

  it('matches a numpy implementation of torch.optim.AdamW to 1e-6 relative', () => {
    compare(reference('python3', NUMPY_ADAMW));
  });

  it.skipIf(!hasTorch)('matches torch.optim.AdamW itself to 1e-6 relative', () => {
    compare(reference(TORCH_PYTHON, TORCH_ADAMW));
  });

  it("with the language models' betas (0.9, 0.95), matches numpy and (when present) torch.optim.AdamW", () => {
    const betas = [0.9, 0.95] as const;
    compare(reference('python3', NUMPY_ADAMW, betas), betas);
    if (hasTorch) compare(reference(TORCH_PYTHON, TORCH_ADAMW, betas), betas);
  });
});

describe('AdamW state and resume', () => {
  const initial: NamedTensor[] = [
    { name: 'a', values: gaussianF32(20, 1) },
    { name: 'b', values: gaussianF32(7, 2) },
  ];
  const gradientAt = (t: number) =>
    initial.map(({ name, values }, i) => ({ name, values: gaussianF32(values.length, 50 + 2 * t + i) }));

  it('stopping after 2 of 5 steps and resuming from exported state gives bit-identical parameters', () => {
    const straight = clone(initial);
    const one = new AdamW(straight, { weightDecay: 0.3 });
    for (let t = 0; t < 5; t++) one.step(straight, gradientAt(t), 1e-2 / (t + 1));

    const first = clone(initial);
    const before = new AdamW(first, { weightDecay: 0.3 });
    for (let t = 0; t < 2; t++) before.step(first, gradientAt(t), 1e-2 / (t + 1));
    const saved = before.exportState();
    const resumedParams = clone(first);
    const after = new AdamW(resumedParams, { weightDecay: 0.3 });
    after.importState(saved);
    expect(after.stepCount).toBe(2);
    for (let t = 2; t < 5; t++) after.step(resumedParams, gradientAt(t), 1e-2 / (t + 1));

    resumedParams.forEach(({ values }, i) => {
      expect(bits(values)).toEqual(bits(straight[i]?.values as Float32Array));
    });
    expect(after.exportState()).toEqual(one.exportState());
  });

  it('exported state is a copy that later steps do not change', () => {
    const params = clone(initial);
    const adamw = new AdamW(params);
    adamw.step(params, gradientAt(0), 1e-3);
    const state = adamw.exportState();
    const m = state.m[0]?.values.slice() as Float32Array;
    adamw.step(params, gradientAt(1), 1e-3);
    expect(state.m[0]?.values).toEqual(m);
    expect(state.step).toBe(1);
  });

  it('rejects imported state with missing moments, wrong lengths or negative second moments', () => {
    const adamw = new AdamW(initial);
    const good = new AdamW(initial).exportState();
    expect(() => adamw.importState({ ...good, v: good.v.slice(0, 1) })).toThrow(/state v lack "b"/);
    expect(() =>
      adamw.importState({
        ...good,
        m: [good.m[0] as NamedTensor, { name: 'b', values: new Float32Array(3) }],
      }),
    ).toThrow(/"b" has 3 values, the parameter has 7/);
    const negative = good.v.map(({ name, values }) => ({ name, values: values.slice() }));
    (negative[1] as NamedTensor).values[4] = -1;
    expect(() => adamw.importState({ ...good, v: negative })).toThrow(/state v of "b" is -1 at index 4/);
    expect(() => adamw.importState({ ...good, step: 1.5 })).toThrow(AdamWError);
  });
});

describe('AdamW weight-decay groups', () => {
  it('first matching group wins; noWeightDecay, patterns and predicates all work', () => {
    const params = ['embed.weight', 'blocks.0.weight', 'blocks.1.weight', 'head.weight'].map((name) => ({
      name,
      values: new Float32Array(2),
    }));
    const adamw = new AdamW(params, {
      weightDecay: 0.5,
      noWeightDecay: ['head.weight'],
      groups: [
        { names: /^blocks\.1\./, weightDecay: 0.1 },
        { names: (name) => name.startsWith('blocks.'), weightDecay: 0.2 },
        { names: ['head.weight'], weightDecay: 9 },
      ],
    });
    expect(params.map(({ name }) => adamw.weightDecayOf(name))).toEqual([0.5, 0.2, 0.1, 0]);
  });

  it('with a zero gradient the only change is the decay p·(1 − lr·wd)', () => {
    const values = Float32Array.from([1, -2, 4]);
    const params = [{ name: 'w', values }];
    new AdamW(params, { weightDecay: 0.5 }).step(params, [{ name: 'w', values: new Float32Array(3) }], 0.1);
    expect(Array.from(values)).toEqual([0.95, -1.9, 3.8].map(Math.fround));
  });
});

describe('AdamW errors', () => {
  const make = () => {
    const params = [
      { name: 'embed.weight', values: new Float32Array(6), shape: [2, 3] },
      { name: 'head.weight', values: new Float32Array(4) },
    ];
    return { params, adamw: new AdamW(params) };
  };

  it('names a missing, unknown or mis-sized gradient', () => {
    const { params, adamw } = make();
    expect(() => adamw.step(params, [{ name: 'embed.weight', values: new Float32Array(6) }], 1e-3)).toThrow(
      /gradients lack "head.weight"/,
    );
    expect(() =>
      adamw.step(
        params,
        [
          { name: 'embed.weight', values: new Float32Array(6) },
          { name: 'head.weight', values: new Float32Array(4) },
          { name: 'blocks.0.weight', values: new Float32Array(4) },
        ],
        1e-3,
      ),
    ).toThrow(/gradients include "blocks.0.weight", which the optimiser does not know/);
    expect(() =>
      adamw.step(
        params,
        [
          { name: 'embed.weight', values: new Float32Array(5) },
          { name: 'head.weight', values: new Float32Array(4) },
        ],
        1e-3,
      ),
    ).toThrow(/"embed.weight" has 5 values, the parameter has 6/);
    expect(() => new AdamW([params[0] as NamedTensor, params[0] as NamedTensor])).toThrow(/given twice/);
  });

  it('names the parameter and index of a non-finite gradient and applies nothing', () => {
    const { params, adamw } = make();
    const gradient = [
      { name: 'embed.weight', values: Float32Array.from([1, 1, 1, 1, Number.NaN, 1]) },
      { name: 'head.weight', values: Float32Array.from([1, 1, 1, 1]) },
    ];
    const error = (() => {
      try {
        adamw.step(params, gradient, 1e-3);
      } catch (caught) {
        return caught as AdamWError;
      }
      throw new Error('expected a throw');
    })();
    expect(error).toBeInstanceOf(AdamWError);
    expect(error.code).toBe('non-finite-gradient');
    expect(error.parameter).toBe('embed.weight');
    expect(error.message).toContain('gradient of "embed.weight" is NaN at index 4 ([1, 1])');
    expect(adamw.stepCount).toBe(0);
    expect(params.every(({ values }) => values.every((x) => x === 0))).toBe(true);
    expect(adamw.exportState().m.every(({ values }) => values.every((x) => x === 0))).toBe(true);

    (gradient[1] as NamedTensor).values[3] = Number.POSITIVE_INFINITY;
    (gradient[0] as NamedTensor).values[4] = 0;
    expect(() => adamw.step(params, gradient, 1e-3)).toThrow(/"head.weight" is Infinity at index 3/);
  });

  it('rejects bad hyperparameters and learning rates', () => {
    const { params, adamw } = make();
    expect(() => new AdamW(params, { betas: [1, 0.999] })).toThrow(/betas\[0\] must be in \[0, 1\)/);
    expect(() => new AdamW(params, { weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => new AdamW(params, { noWeightDecay: ['bias'] })).toThrow(/noWeightDecay names "bias"/);
    const zeros = params.map(({ name, values }) => ({ name, values: new Float32Array(values.length) }));
    expect(() => adamw.step(params, zeros, Number.NaN)).toThrow(/learning rate/);
  });
});
