import { eigenvectorName } from '@bilinear-lab/contracts/eigenvector-block';
import { classifierLogits } from '@bilinear-lab/core';
import type { NextRequest } from 'next/server';
import { z } from 'zod';
import { PlatformError, platformWithKey } from '@/lib/platform';
import { classifierFor } from '@/lib/server/checkpoints';
import { serverEigenvectors } from '@/lib/server/eigenvectors';
import { testImage } from '@/lib/server/mnist';
import { sessionKey } from '@/lib/session';

// Explains one input on the server: the checkpoint of a d = 512 model is ≈ 3.7 MB (past the 1 MB a
// page's first view may load) and the test images live in a Node-only package, while the answer —
// logits and per-eigenvector contributions — is a few kilobytes.

const BodySchema = z.union([
  z.object({ testIndex: z.number().int().min(0) }).strict(),
  z.object({ pixels: z.array(z.number().min(0).max(1)).length(784) }).strict(),
]);

export interface Contribution {
  name: string;
  eigenvalue: number;
  projection: number;
  contribution: number;
}

export interface ClassExplanation {
  index: number;
  label: string;
  logit: number;
  /** Σ over the stored top-k eigenpairs of λ (vᵀx)². */
  explained: number;
  /** logit − explained: what the eigenpairs beyond the top k add. */
  remainder: number;
  contributions: Contribution[];
}

export interface Explanation {
  input: number[];
  label: number | null;
  testIndex: number | null;
  predicted: number;
  exact: boolean;
  topK: number;
  classes: ClassExplanation[];
}

function failure(status: number, code: string, message: string, details?: unknown) {
  return Response.json({ error: { code, message, details } }, { status });
}

export async function POST(
  request: NextRequest,
  context: RouteContext<'/api/decompositions/[decompositionId]/explain'>,
) {
  const key = await sessionKey();
  if (!key) return failure(401, 'unauthenticated', 'Sign in first.');
  const parsed = BodySchema.safeParse(await request.json().catch(() => null));
  if (!parsed.success) {
    return failure(
      400,
      'bad-input',
      'Send {"testIndex": n} or {"pixels": [784 values in 0…1]}.',
      parsed.error.issues,
    );
  }
  const { decompositionId } = await context.params;
  try {
    const platform = platformWithKey(key);
    const decomposition = await platform.decomposition(decompositionId);
    if (decomposition.status !== 'completed') {
      return failure(
        409,
        'not-ready',
        `The decomposition is ${decomposition.status}; explanations need a completed one.`,
      );
    }
    const model = await platform.model(decomposition.modelId);

    let pixels: Float32Array;
    let label: number | null = null;
    let testIndex: number | null = null;
    if ('testIndex' in parsed.data) {
      try {
        const image = await testImage(parsed.data.testIndex);
        pixels = image.pixels;
        label = image.label;
        testIndex = parsed.data.testIndex;
      } catch (error) {
        return failure(400, 'bad-input', (error as Error).message);
      }
    } else {
      pixels = Float32Array.from(parsed.data.pixels);
    }

    const classifier = await classifierFor(key, model);
    if (classifier.inputDim !== pixels.length) {
      return failure(
        400,
        'bad-input',
        `The model reads ${classifier.inputDim} inputs, the image has ${pixels.length}.`,
      );
    }
    const logits = classifierLogits(classifier, pixels);
    const topK = decomposition.parameters.topK;
    const classes = await Promise.all(
      decomposition.outputs.map(async (output): Promise<ClassExplanation> => {
        const block = await serverEigenvectors(decompositionId, output.index, topK, 'input');
        const contributions: Contribution[] = [];
        for (let row = 0; row < block.rows; row++) {
          let projection = 0;
          const offset = row * block.dimension;
          for (let i = 0; i < block.dimension; i++)
            projection += (block.vectors[offset + i] as number) * (pixels[i] as number);
          const eigenvalue = block.eigenvalues[row] ?? 0;
          contributions.push({
            name: eigenvectorName(block, row),
            eigenvalue,
            projection,
            contribution: eigenvalue * projection * projection,
          });
        }
        contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
        const explained = contributions.reduce((sum, item) => sum + item.contribution, 0);
        const logit = logits[output.index] ?? 0;
        return {
          index: output.index,
          label: output.label,
          logit,
          explained,
          remainder: logit - explained,
          contributions,
        };
      }),
    );
    let predicted = 0;
    for (let c = 1; c < logits.length; c++)
      if ((logits[c] as number) > (logits[predicted] as number)) predicted = c;
    const body: Explanation = {
      input: Array.from(pixels, (value) => Math.round(value * 1000) / 1000),
      label,
      testIndex,
      predicted,
      exact: classifier.blocks.length === 1 && !classifier.residual,
      topK,
      classes,
    };
    return Response.json(body);
  } catch (error) {
    if (error instanceof PlatformError)
      return failure(error.status, error.code, error.message, error.details);
    console.error('explain failed', error);
    return failure(500, 'internal', `The explanation could not be computed: ${(error as Error).message}`);
  }
}
