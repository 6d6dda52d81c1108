// A language model's tokenizer, for the token text the API serves beside token ids (eigenvector
// readings): loaded from its artifact on first use and kept for the few models being read — a
// tokenizer.json is parsed once, not per response.
import type { ArtifactStore } from '@bilinear-lab/db';
import { loadTokenizer, type Tokenizer } from '@bilinear-lab/text';

/** A token's text, or null for an id the tokenizer does not know. */
export type TokenText = (token: number) => string | null;

export class ModelTokenizers {
  /** By artifact id, least recently used first. */
  private readonly loaded = new Map<string, Promise<Tokenizer | null>>();

  constructor(
    private readonly store: ArtifactStore,
    private readonly capacity = 8,
  ) {}

  /** The token text of a model whose record names a tokenizer (Model.config.tokenizer); else null. */
  async tokenText(modelConfig: unknown): Promise<TokenText | null> {
    const tokenizer = await this.tokenizer(modelConfig);
    return tokenizer === null ? null : (token) => tokenizer.idToToken(token);
  }

  /** The tokenizer a model's record names (Model.config.tokenizer), or null when it has none. */
  async tokenizer(modelConfig: unknown): Promise<Tokenizer | null> {
    const artifactId = (modelConfig as { tokenizer?: { artifactId?: unknown } | null } | null)?.tokenizer
      ?.artifactId;
    if (typeof artifactId !== 'string') return null;
    let tokenizer = this.loaded.get(artifactId);
    if (tokenizer === undefined) {
      tokenizer = this.load(artifactId);
      if (this.loaded.size >= this.capacity) {
        const oldest = this.loaded.keys().next().value;
        if (oldest !== undefined) this.loaded.delete(oldest);
      }
    } else this.loaded.delete(artifactId);
    this.loaded.set(artifactId, tokenizer);
    return tokenizer;
  }

  private async load(artifactId: string): Promise<Tokenizer | null> {
    const bytes = await this.store.read(artifactId).catch(() => null);
    // A tokenizer that went missing costs the text, not the response: ids are served alone.
    if (bytes === null) return null;
    return loadTokenizer(Buffer.from(bytes).toString('utf8'), 'tokenizer.json');
  }
}
