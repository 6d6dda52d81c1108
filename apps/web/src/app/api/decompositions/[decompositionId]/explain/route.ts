import { eigenvectorName } from '@bilinear-lab/contracts/eigenvector-block';
import { AnalysisInputError, explainInput, notBilinearReason } from '@bilinear-lab/core';
import { centreLikeMnist, MNIST_SIDE } from '@bilinear-lab/datasets';
import type { NextRequest } from 'next/server';
import { z } from 'zod';
import { PlatformError, platformWithKey } from '@/lib/platform';
import { classifierFor } from '@/lib/server/checkpoints';
import { serverEigenvectors } from '@/lib/server/eigenvectors';
import { errorResponse } from '@/lib/server/error-response';
import { bundledTestSet, testImage } from '@/lib/server/mnist';
import { sessionKey } from '@/lib/session';

// Explains one input on the server: the checkpoint of a d = 512 model is ≈ 3.7 MB (past the 1 MB a
// page's first view may load) and the test images live in a Node-only package, while the answer —
// logits and per-eigenvector contributions — is a few kilobytes. The arithmetic is the core's
// explainInput; this route fetches what it needs with the user's key.

const BodySchema = z.union([
  z.object({ testIndex: z.number().int().min(0) }).strict(),
  z
    .object({
      pixels: z
        .array(z.number().min(0).max(1))
        .min(1)
        .max(1 << 16),
    })
    .strict(),
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
  /** aᵀx, the linear term of a residual block; null when the logit is a pure quadratic form. */
  linear: number | null;
  /** logit − explained − linear: exactly what the eigenpairs beyond the top k add. */
  remainder: number;
  contributions: Contribution[];
}

export interface Explanation {
  input: number[];
  label: number | null;
  testIndex: number | null;
  predicted: number;
  topK: number;
  /** The decomposed layer has this many eigenpairs per class; topK of each sign are shown. */
  dimension: number;
  classes: ClassExplanation[];
}

export async function POST(
  request: NextRequest,
  context: RouteContext<'/api/decompositions/[decompositionId]/explain'>,
) {
  const key = await sessionKey();
  if (!key) return errorResponse(401, 'unauthenticated', 'Sign in first.');
  const parsed = BodySchema.safeParse(await request.json().catch(() => null));
  if (!parsed.success) {
    return errorResponse(
      400,
      'bad-input',
      'Send {"testIndex": n} or {"pixels": [one value in 0…1 per input of the model]}.',
      parsed.error.issues,
    );
  }
  const { decompositionId } = await context.params;
  try {
    const platform = platformWithKey(key);
    const decomposition = await platform.decomposition(decompositionId);
    if (decomposition.status !== 'completed') {
      return errorResponse(
        409,
        'not-ready',
        `The decomposition is ${decomposition.status}; explanations need a completed one.`,
      );
    }
    const model = await platform.model(decomposition.modelId);
    const classifier = await classifierFor(key, model);
    const notBilinear = notBilinearReason(classifier.gate);
    if (notBilinear !== null)
      return errorResponse(422, 'not-bilinear', `Model ${model.name}: ${notBilinear}.`);

    let pixels: Float32Array;
    let label: number | null = null;
    let testIndex: number | null = null;
    if ('testIndex' in parsed.data) {
      const testSet = await bundledTestSet(model);
      if ('reason' in testSet) return errorResponse(422, 'no-test-images', `${testSet.reason}.`);
      try {
        const image = await testImage(testSet.dataset, parsed.data.testIndex);
        pixels = image.pixels;
        label = image.label;
        testIndex = parsed.data.testIndex;
      } catch (error) {
        return errorResponse(400, 'bad-input', (error as Error).message);
      }
    } else {
      // A drawn digit is framed as MNIST's were (20 × 20 box, centre of mass in the middle) before
      // the model reads it; the answer's `input` is that framed image, so the page shows what was read.
      pixels =
        parsed.data.pixels.length === MNIST_SIDE * MNIST_SIDE
          ? centreLikeMnist(parsed.data.pixels)
          : Float32Array.from(parsed.data.pixels);
    }
    if (classifier.inputDim !== pixels.length) {
      return errorResponse(
        400,
        'bad-input',
        `The model reads ${classifier.inputDim} inputs, the image has ${pixels.length}.`,
      );
    }

    const topK = decomposition.parameters.topK;
    // Model-space eigenvectors: the decomposed block's input x is exact for any number of blocks.
    const blocks = await Promise.all(
      decomposition.outputs.map((output) => serverEigenvectors(decompositionId, output.index, topK, 'model')),
    );
    const result = explainInput(
      classifier,
      pixels,
      decomposition.outputs.map((output, i) => ({
        index: output.index,
        eigenvalues: blocks[i]?.eigenvalues ?? [],
        vectors: blocks[i]?.vectors ?? new Float32Array(),
        linearModel: output.linear_model,
      })),
    );
    const classes = result.outputs.map((explained, i): ClassExplanation => {
      const output = decomposition.outputs[i];
      const block = blocks[i];
      if (!output || !block) throw new Error(`class ${explained.index} has no eigenvectors`);
      return {
        index: explained.index,
        label: output.label,
        logit: explained.logit,
        explained: explained.explained,
        linear: explained.linear,
        remainder: explained.remainder,
        contributions: explained.contributions.map((entry) => ({
          name: eigenvectorName(block, entry.row),
          eigenvalue: entry.eigenvalue,
          projection: entry.projection,
          contribution: entry.contribution,
        })),
      };
    });
    const body: Explanation = {
      input: Array.from(pixels, (value) => Math.round(value * 1000) / 1000),
      label,
      testIndex,
      predicted: result.predicted,
      topK,
      dimension: classifier.embed.rows,
      classes,
    };
    return Response.json(body);
  } catch (error) {
    if (error instanceof PlatformError)
      return errorResponse(error.status, error.code, error.message, error.details);
    if (error instanceof AnalysisInputError) return errorResponse(422, 'bad-input', error.message);
    console.error('explain failed', error);
    return errorResponse(
      500,
      'internal',
      `The explanation could not be computed: ${(error as Error).message}`,
    );
  }
}
