import { eigenvectorName } from '@bilinear-lab/contracts/eigenvector-block';
import { AnalysisInputError, textContributions } from '@bilinear-lab/core';
import type { NextRequest } from 'next/server';
import { z } from 'zod';
import { PlatformError, platformWithKey } from '@/lib/platform';
import { languageModelFor } from '@/lib/server/checkpoints';
import { serverEigenvectors } from '@/lib/server/eigenvectors';
import { errorResponse } from '@/lib/server/error-response';
import { outputDirection } from '@/lib/server/output-direction';
import { sessionKey } from '@/lib/session';

// "Try your own text" on the server: the text through the model's tokenizer and forward pass, read
// at the decomposed layer along one output's direction — per token the MLP's output along it and what
// each of its stored top eigenpairs adds there (the core's textContributions). The checkpoint stays
// on the server; the answer is a few kilobytes.

const BodySchema = z
  .object({
    text: z.string().min(1).max(4000),
    output: z.number().int().min(0),
  })
  .strict();

export interface TextActivations {
  tokens: string[];
  ids: number[];
  /** uᵀ MLP(x_t) per token. */
  outputs: number[];
  /** Σ over the stored top-k eigenpairs, per token; outputs − explained is what the others add. */
  explained: number[];
  eigenvectors: { name: string; eigenvalue: number; contributions: number[] }[];
}

export async function POST(
  request: NextRequest,
  context: RouteContext<'/api/decompositions/[decompositionId]/text'>,
) {
  const key = await sessionKey();
  if (!key) return errorResponse(401, 'unauthenticated', 'Sign in first.');
  const parsed = BodySchema.safeParse(await request.json().catch(() => null));
  if (!parsed.success) {
    return errorResponse(
      400,
      'bad-input',
      'Send {"text": "…" (up to 4000 characters), "output": a token or feature id}.',
    );
  }
  const { text, output } = parsed.data;
  const { decompositionId } = await context.params;
  try {
    const platform = platformWithKey(key);
    const decomposition = await platform.decomposition(decompositionId);
    if (decomposition.status !== 'completed') {
      return errorResponse(
        409,
        'not-ready',
        `The decomposition is ${decomposition.status}; try text on a completed one.`,
      );
    }
    if (decomposition.parameters.saeIn !== undefined) {
      return errorResponse(
        422,
        'not-applicable',
        "This decomposition reads the MLP's input through an SAE's features (DᵀQD); try text on a decomposition over the residual stream.",
      );
    }
    const model = await platform.model(decomposition.modelId);
    const languageModel = await languageModelFor(key, model);
    const encoded = await platform.tokenize(model.id, text, true);
    const context = (model.config as { context?: unknown }).context;
    if (typeof context === 'number' && encoded.ids.length > context) {
      return errorResponse(
        400,
        'too-long',
        `The text is ${encoded.ids.length} tokens; the model reads at most ${context} (its context).`,
      );
    }
    const direction = await outputDirection(key, decomposition, languageModel, output);
    const block = await serverEigenvectors(decompositionId, output, decomposition.parameters.topK, 'model');
    const d = block.dimension;
    const rows = block.positiveCount + block.negativeCount;
    const eigenpairs = Array.from({ length: rows }, (_, row) => ({
      vector: block.vectors.subarray(row * d, (row + 1) * d),
      eigenvalue: block.eigenvalues[row] as number,
    }));
    const result = textContributions(
      languageModel,
      decomposition.parameters.layer ?? 0,
      encoded.ids,
      direction,
      eigenpairs,
    );
    const count = encoded.ids.length;
    const answer: TextActivations = {
      tokens: encoded.tokens,
      ids: encoded.ids,
      outputs: Array.from(result.outputs),
      explained: Array.from({ length: count }, (_, t) =>
        eigenpairs.reduce((sum, _pair, j) => sum + (result.contributions[t * rows + j] as number), 0),
      ),
      eigenvectors: eigenpairs.map((pair, j) => ({
        name: eigenvectorName(block, j),
        eigenvalue: pair.eigenvalue,
        contributions: Array.from({ length: count }, (_, t) => result.contributions[t * rows + j] as number),
      })),
    };
    return Response.json(answer);
  } catch (error) {
    if (error instanceof PlatformError) return errorResponse(error.status, error.code, error.message);
    if (error instanceof AnalysisInputError) return errorResponse(400, 'bad-input', error.message);
    throw error;
  }
}
