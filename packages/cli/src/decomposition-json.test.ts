import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decomposeModel, importModel, parseSafetensors } from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { decompositionJson, decompositionJsonChunks } from './decomposition-json.js';
import { classifierTensors, temporaryDirectory, writeModel } from './testing/cli.js';

describe('decompositionJson', () => {
  it('writes every float64 so that it reads back bit for bit', () => {
    const directory = temporaryDirectory();
    try {
      const path = writeModel(
        join(directory.path, 'm.safetensors'),
        classifierTensors({ inputDim: 25, d: 10, classes: 4 }),
      );
      const decomposition = decomposeModel(importModel(parseSafetensors(readFileSync(path))), { topK: 3 });
      const parsed = JSON.parse(decompositionJson(decomposition, { seconds: 0.5 }));
      decomposition.outputs.forEach((output, j) => {
        const json = parsed.outputs[j];
        expect(json.eigenvalues).toEqual(Array.from(output.eigenvalues));
        expect(json.effective_rank).toBe(output.effectiveRank);
        output.topPositive.forEach((pair, i) => {
          expect(json.top_positive[i].vector_model).toEqual(Array.from(pair.vectorModel));
          expect(json.top_positive[i].vector_input).toEqual(Array.from(pair.vectorInput ?? []));
        });
        expect(json.top_negative).toHaveLength(output.topNegative.length);
      });
      expect(parsed.timing).toEqual({ seconds: 0.5 });
      expect(parsed.exactness.max_rel_error).toBe(decomposition.exactness?.maxRelError);
    } finally {
      directory.remove();
    }
  });
});

describe('decompositionJsonChunks', () => {
  it('joins to exactly the one-string document', () => {
    const directory = temporaryDirectory();
    try {
      const path = writeModel(
        join(directory.path, 'm.safetensors'),
        classifierTensors({ inputDim: 16, d: 6, classes: 3 }),
      );
      const decomposition = decomposeModel(importModel(parseSafetensors(readFileSync(path))), { topK: 2 });
      const chunks = [...decompositionJsonChunks(decomposition, { seconds: 1.25 })];
      expect(chunks).toHaveLength(decomposition.outputs.length + 2);
      expect(chunks.join('')).toBe(decompositionJson(decomposition, { seconds: 1.25 }));
    } finally {
      directory.remove();
    }
  });
});
