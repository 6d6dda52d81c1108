import {
  type BilinearLayer,
  decoderColumn,
  FeatureInteractions,
  InteractionMatrixBuilder,
  logitEffect,
  type SparseAutoencoder,
} from '@bilinear-lab/core';
import { PlatformError, platformWithKey } from '../platform';
import type { Decomposition, Model } from '../types';
import { languageModelFor, saeFor } from './checkpoints';
import { outputDirection } from './output-direction';

// A feature page's panels read straight from the weights (no corpus): the logit effect of an output and,
// over an input SAE, the strongest entries of its DᵀQD. Both come from the parsed checkpoints the web
// server keeps (checkpoints.ts); the answers (a few kilobytes) are kept per output, since a finished
// decomposition's weights never change.

/** Tokens per side of a logit effect, input features in a DᵀQD block, tokens naming each feature. */
export const LOGIT_TOKENS = 10;
export const HEATMAP_FEATURES = 12;
const LABEL_TOKENS = 2;

export interface TokenWeight {
  index: number;
  /** The token's text, or null without a tokenizer. */
  token: string | null;
  value: number;
}

export interface FeatureWeightsView {
  /**
   * What the output writes to (an SAE feature's decoder column, w_dec[:, f] · W_Uᵀ) or, for a token
   * direction, which tokens' logits read along it (W_U u: the token itself and its look-alikes, or a
   * contrast's two sides) — a token direction is read out, not written.
   */
  logits: { source: 'decoder' | 'direction'; top: TokenWeight[]; bottom: TokenWeight[] };
  /** Over an input SAE: the input features with the largest rows of DᵀQD and their block. */
  interactions: {
    features: { index: number; rowNorm: number; tokens: TokenWeight[] }[];
    /** n × n, row-major, symmetric. */
    values: number[];
    frobenius: number;
  } | null;
}

const CACHE_LIMIT = 64;
const views = new Map<string, Promise<FeatureWeightsView>>();
const interactionsBySae = new WeakMap<SparseAutoencoder, FeatureInteractions>();
const buildersByLayer = new WeakMap<BilinearLayer, InteractionMatrixBuilder>();

/** The weight-read panels of one output of a language model's decomposition. */
export function featureWeights(
  key: string,
  decomposition: Decomposition,
  model: Model,
  output: number,
): Promise<FeatureWeightsView> {
  // Keyed by the key too: a user only ever sees what the API showed them.
  const cacheKey = `${key}\n${decomposition.id}\n${output}`;
  let pending = views.get(cacheKey);
  if (!pending) {
    pending = compute(key, decomposition, model, output);
    views.set(cacheKey, pending);
    pending.catch(() => views.delete(cacheKey));
    if (views.size > CACHE_LIMIT) views.delete(views.keys().next().value as string);
  }
  return pending;
}

async function compute(
  key: string,
  decomposition: Decomposition,
  model: Model,
  output: number,
): Promise<FeatureWeightsView> {
  const { saeOut, saeIn, layer } = decomposition.parameters;
  const [languageModel, outputSae, inputSae] = await Promise.all([
    languageModelFor(key, model),
    saeOut === undefined ? null : saeFor(key, saeOut),
    saeIn === undefined ? null : saeFor(key, saeIn),
  ]);
  const direction = await outputDirection(key, decomposition, languageModel, output);
  const written = outputSae === null ? direction : decoderColumn(outputSae.decoder, output);
  const effect = logitEffect(languageModel.unembedding, written, LOGIT_TOKENS);

  let block: ReturnType<FeatureInteractions['strongest']> | null = null;
  let labels: ReturnType<typeof logitEffect>[] = [];
  if (inputSae !== null) {
    const mlpLayer = languageModel.layers[layer ?? 0];
    if (mlpLayer === undefined) throw new Error(`the model has no layer ${layer}`);
    const q = builderOf(mlpLayer.mlp).forDirection(mlpLayer.down, direction);
    block = interactionsOf(inputSae).strongest(q, HEATMAP_FEATURES);
    labels = block.features.map((f) =>
      logitEffect(languageModel.unembedding, decoderColumn(inputSae.decoder, f), LABEL_TOKENS),
    );
  }

  const ids = [...effect.top, ...effect.bottom, ...labels.flatMap((label) => label.top)].map(
    (entry) => entry.index,
  );
  const text = await tokenTexts(key, model.id, ids);
  const named = (entries: { index: number; value: number }[]): TokenWeight[] =>
    entries.map((entry) => ({ ...entry, token: text.get(entry.index) ?? null }));
  return {
    logits: {
      source: outputSae === null ? 'direction' : 'decoder',
      top: named(effect.top),
      bottom: named(effect.bottom),
    },
    interactions:
      block === null
        ? null
        : {
            features: block.features.map((index, a) => ({
              index,
              rowNorm: block.rowNorms[a] as number,
              tokens: named(labels[a]?.top ?? []),
            })),
            values: Array.from(block.values),
            frobenius: block.frobenius,
          },
  };
}

function interactionsOf(sae: SparseAutoencoder): FeatureInteractions {
  let interactions = interactionsBySae.get(sae);
  if (!interactions) {
    interactions = new FeatureInteractions(sae.decoder);
    interactionsBySae.set(sae, interactions);
  }
  return interactions;
}

function builderOf(layer: BilinearLayer): InteractionMatrixBuilder {
  let builder = buildersByLayer.get(layer);
  if (!builder) {
    builder = new InteractionMatrixBuilder(layer);
    buildersByLayer.set(layer, builder);
  }
  return builder;
}

/** Token text by id; none (ids shown as #id) when the model has no tokenizer. */
async function tokenTexts(key: string, modelId: string, ids: number[]): Promise<Map<number, string | null>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  try {
    const answer = await platformWithKey(key).tokenTexts(modelId, unique);
    return new Map(answer.ids.map((id, i) => [id, answer.tokens[i] ?? null]));
  } catch (error) {
    if (error instanceof PlatformError && error.status === 422) return new Map();
    throw error;
  }
}
