// The TopK SAE's math: gradients against central differences in float64, the invariants of every
// step (unit decoder columns, exactly k active per row), and recovery of a planted sparse dictionary.
import { seededGaussian, seededRandom } from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { TopKSaeTrainer } from './sae-optimizer.js';
import { decodeTopK, encodeTopK, initialTopKSae, type TopKSaeWeights, topKSaeGradients } from './topk-sae.js';

function gaussians(count: number, seed: number, scale = 1): Float64Array {
  const next = seededGaussian(seed);
  return Float64Array.from({ length: count }, () => scale * next());
}

/** A float64 SAE with random (not unit-column) weights and a non-zero b_dec, so every term is exercised. */
function randomSae(features: number, d: number, seed: number): TopKSaeWeights {
  return {
    features,
    modelDim: d,
    encoder: gaussians(features * d, seed, 0.5),
    decoder: gaussians(d * features, seed + 1, 0.5),
    decoderBias: gaussians(d, seed + 2, 0.3),
  };
}

describe('topKSaeGradients', () => {
  const features = 12;
  const d = 5;
  const rows = 7;
  const k = 3;
  const batch = gaussians(rows * d, 40);

  it('equals central differences of the MSE in float64 (w_enc, w_dec, b_dec)', () => {
    const sae = randomSae(features, d, 30);
    const analytic = topKSaeGradients(sae, batch, rows, k);
    const h = 1e-6;
    const parameters = [
      ['encoder', sae.encoder, analytic.encoder],
      ['decoder', sae.decoder, analytic.decoder],
      ['decoderBias', sae.decoderBias, analytic.decoderBias],
    ] as const;
    let checked = 0;
    for (const [name, values, gradient] of parameters) {
      let largest = 0;
      for (const g of gradient) largest = Math.max(largest, Math.abs(g));
      expect(largest, `${name}: some gradient is not 0`).toBeGreaterThan(1e-3);
      for (let i = 0; i < values.length; i++) {
        const kept = values[i] as number;
        values[i] = kept + h;
        const up = topKSaeGradients(sae, batch, rows, k);
        values[i] = kept - h;
        const down = topKSaeGradients(sae, batch, rows, k);
        values[i] = kept;
        // A selection that flips inside ±h makes the loss non-smooth there; skip such an entry.
        const same = (codes: typeof up.codes) =>
          codes.indices.every((f, j) => f === analytic.codes.indices[j]);
        if (!same(up.codes) || !same(down.codes)) continue;
        const numeric = (up.mse - down.mse) / (2 * h);
        expect(Math.abs((gradient[i] as number) - numeric), `${name}[${i}]`).toBeLessThan(
          1e-7 * Math.max(1, largest),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0.95 * (2 * features * d + d));
  });

  it('gives 0 gradient to the encoder rows of features no input selected', () => {
    const sae = randomSae(features, d, 31);
    const { encoder, codes } = topKSaeGradients(sae, batch, rows, k);
    const used = new Set(codes.indices);
    for (let f = 0; f < features; f++) {
      const row = encoder.subarray(f * d, (f + 1) * d);
      if (used.has(f)) expect(row.some((g) => g !== 0)).toBe(true);
      else expect(row.every((g) => g === 0)).toBe(true);
    }
  });

  it("encodes each row by its k largest pre-activations (a full sort's choice) and decodes to the MSE's x̂", () => {
    const sae = randomSae(features, d, 32);
    const codes = encodeTopK(sae, batch, rows, k);
    const decoded = decodeTopK(sae, codes, rows);
    let squared = 0;
    for (let t = 0; t < rows; t++) {
      const pre = Array.from({ length: features }, (_, f) => {
        let sum = 0;
        for (let i = 0; i < d; i++) {
          sum +=
            (sae.encoder[f * d + i] as number) *
            ((batch[t * d + i] as number) - (sae.decoderBias[i] as number));
        }
        return sum;
      });
      const largest = pre
        .map((value, f) => ({ value, f }))
        .sort((a, b) => b.value - a.value)
        .slice(0, k)
        .map(({ f }) => f)
        .sort((a, b) => a - b);
      expect(Array.from(codes.indices.subarray(t * k, (t + 1) * k))).toEqual(largest);
      for (let i = 0; i < d; i++)
        squared += ((decoded[t * d + i] as number) - (batch[t * d + i] as number)) ** 2;
    }
    expect(topKSaeGradients(sae, batch, rows, k).mse).toBeCloseTo(squared / (rows * d), 12);
  });

  it('rejects k outside 1..F and a batch shorter than its rows', () => {
    const sae = randomSae(features, d, 33);
    expect(() => topKSaeGradients(sae, batch, rows, 0)).toThrow(/k must be/);
    expect(() => topKSaeGradients(sae, batch, rows, features + 1)).toThrow(/k must be/);
    expect(() => topKSaeGradients(sae, batch, rows + 1, k)).toThrow(/fewer than 8 rows/);
  });
});

describe('initialTopKSae', () => {
  it('starts with unit decoder columns, w_enc = w_decᵀ, b_dec = 0; the same seed gives the same weights', () => {
    const sae = initialTopKSae(24, 6, 5);
    for (let f = 0; f < 24; f++) {
      let squares = 0;
      for (let i = 0; i < 6; i++) {
        squares += (sae.decoder[i * 24 + f] as number) ** 2;
        expect(sae.encoder[f * 6 + i]).toBe(sae.decoder[i * 24 + f]);
      }
      expect(Math.sqrt(squares)).toBeCloseTo(1, 6);
    }
    expect(sae.decoderBias.every((b) => b === 0)).toBe(true);
    expect(initialTopKSae(24, 6, 5).decoder).toEqual(sae.decoder);
    expect(initialTopKSae(24, 6, 6).decoder).not.toEqual(sae.decoder);
  });
});

/**
 * Data made as the sparse-dictionary hypothesis says: each input is a sum of `active` of `atoms`
 * known unit directions with positive coefficients, plus a constant offset (for b_dec to find).
 */
function plantedData(atoms: number, d: number, active: number, rows: number, seed: number) {
  const next = seededGaussian(seed);
  const random = seededRandom(seed + 1);
  const directions = new Float64Array(atoms * d);
  for (let a = 0; a < atoms; a++) {
    let squares = 0;
    for (let i = 0; i < d; i++) {
      const value = next();
      directions[a * d + i] = value;
      squares += value * value;
    }
    for (let i = 0; i < d; i++)
      directions[a * d + i] = (directions[a * d + i] as number) / Math.sqrt(squares);
  }
  const offset = Float64Array.from({ length: d }, () => 0.5 * next());
  const data = new Float32Array(rows * d);
  for (let t = 0; t < rows; t++) {
    const chosen = new Set<number>();
    while (chosen.size < active) chosen.add(Math.floor(random() * atoms));
    for (let i = 0; i < d; i++) data[t * d + i] = offset[i] as number;
    for (const a of chosen) {
      const coefficient = 0.5 + random();
      for (let i = 0; i < d; i++) {
        data[t * d + i] = (data[t * d + i] as number) + coefficient * (directions[a * d + i] as number);
      }
    }
  }
  return { directions, data };
}

describe('TopKSaeTrainer on a planted sparse dictionary', () => {
  const atoms = 24;
  const d = 16;
  const active = 3;
  const rows = 256;
  const steps = 800;
  const { directions, data } = plantedData(atoms, d, active, rows * 40, 11);
  const batchAt = (step: number) => {
    const start = (step % 40) * rows;
    return data.subarray(start * d, (start + rows) * d);
  };

  it('keeps decoder columns at unit norm and exactly k active per row after every step, and the MSE falls', () => {
    const sae = initialTopKSae(2 * atoms, d, 3);
    const trainer = new TopKSaeTrainer(sae, active, 1e-2, steps);
    const mses: number[] = [];
    for (let step = 0; step < steps; step++) {
      mses.push(trainer.step(batchAt(step), rows).mse);
      for (let f = 0; f < sae.features; f++) {
        let squares = 0;
        for (let i = 0; i < d; i++) squares += (sae.decoder[i * sae.features + f] as number) ** 2;
        expect(Math.abs(Math.sqrt(squares) - 1)).toBeLessThan(1e-6);
      }
      if (step % 50 === 0) {
        const codes = encodeTopK(sae, batchAt(step), rows, active);
        for (let t = 0; t < rows; t++) {
          const row = codes.indices.subarray(t * active, (t + 1) * active);
          expect(new Set(row).size).toBe(active);
        }
      }
    }
    const first = mses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const last = mses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(last).toBeLessThan(0.1 * first);
    expect(trainer.stepCount).toBe(steps);

    // Each planted direction is found: some decoder column points along it (cosine > 0.9).
    const best = Array.from({ length: atoms }, (_, a) => {
      let max = -1;
      for (let f = 0; f < sae.features; f++) {
        let dot = 0;
        for (let i = 0; i < d; i++)
          dot += (directions[a * d + i] as number) * (sae.decoder[i * sae.features + f] as number);
        max = Math.max(max, dot);
      }
      return max;
    });
    const found = best.filter((cosine) => cosine > 0.9).length;
    expect(found, `max cosines ${best.map((c) => c.toFixed(3)).join(' ')}`).toBeGreaterThanOrEqual(
      0.9 * atoms,
    );
  });
});
