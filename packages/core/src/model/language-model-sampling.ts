// Text from a language model, as a sanity view of what it learned: each next token drawn from
// softmax(logits / temperature) restricted to the top k, with the project's seeded generator.
import { seededRandom } from '../random/seeded-random.js';
import { LanguageModelForwardError, languageModelLogits } from './language-model-forward.js';
import type { LanguageModel } from './types.js';

export interface SamplingOptions {
  /** Tokens to add (default 50). */
  count?: number;
  /** 0 takes the most likely token every time; default 1. */
  temperature?: number;
  /** Draw among the k most likely tokens only (default: all). */
  topK?: number;
  seed?: number;
  /** Stop after this token (e.g. [EOS]); it is included. */
  stopToken?: number;
}

/** The prompt's continuation (the new tokens only). The model sees at most its context (n_ctx). */
export function sampleTokens(
  model: LanguageModel,
  prompt: readonly number[],
  options: SamplingOptions = {},
): number[] {
  const count = options.count ?? 50;
  const temperature = options.temperature ?? 1;
  if (!(temperature >= 0 && Number.isFinite(temperature))) {
    throw new LanguageModelForwardError(`temperature must be a finite number ≥ 0, got ${temperature}`);
  }
  if (prompt.length === 0) throw new LanguageModelForwardError('the prompt has no tokens');
  const vocab = model.vocabSize;
  const topK = Math.min(options.topK ?? vocab, vocab);
  const context = model.config?.context ?? Number.POSITIVE_INFINITY;
  const random = seededRandom(options.seed ?? 0);
  const tokens = [...prompt];
  const added: number[] = [];
  for (let n = 0; n < count; n++) {
    const window = tokens.slice(Math.max(0, tokens.length - context));
    const logits = languageModelLogits(model, window);
    const last = logits.subarray((window.length - 1) * vocab, window.length * vocab);
    const candidates = Array.from({ length: vocab }, (_, v) => v)
      .sort((a, b) => (last[b] as number) - (last[a] as number))
      .slice(0, topK);
    let next: number;
    if (temperature === 0) {
      next = candidates[0] as number;
    } else {
      const largest = last[candidates[0] as number] as number;
      const weights = candidates.map((v) => Math.exp(((last[v] as number) - largest) / temperature));
      const total = weights.reduce((sum, w) => sum + w, 0);
      let draw = random() * total;
      let chosen = candidates.length - 1;
      for (let i = 0; i < weights.length; i++) {
        draw -= weights[i] as number;
        if (draw < 0) {
          chosen = i;
          break;
        }
      }
      next = candidates[chosen] as number;
    }
    tokens.push(next);
    added.push(next);
    if (next === options.stopToken) break;
  }
  return added;
}
