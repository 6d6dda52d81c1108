import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiConfig } from '../../env.js';
import { unprocessable } from '../../errors.js';
import { modelFor } from '../../services/resources.js';
import { errorResponses } from '../schemas.js';

const ModelParamsSchema = z.object({ modelId: z.uuid() });
const TokenizeQuerySchema = z
  .object({
    text: z.string().min(1).max(10_000).describe('the text to encode'),
    special: z
      .enum(['true', 'false'])
      .default('false')
      .describe("add the tokenizer's special tokens ([BOS] …) as in training"),
  })
  .strict();
const TokenizedSchema = z.object({
  ids: z.array(z.number().int()),
  tokens: z.array(z.string()),
});
const TokenTextQuerySchema = z
  .object({
    ids: z
      .string()
      .regex(/^\d{1,9}(,\d{1,9}){0,511}$/, 'ids: up to 512 token ids, comma-separated (e.g. 4,99,500)')
      .describe('token ids, comma-separated (at most 512)'),
  })
  .strict();
const TokenTextSchema = z.object({
  ids: z.array(z.number().int()),
  tokens: z.array(z.string().nullable()),
});

/** A language model's tokens: type a word and find the token ids it becomes, to decompose or look up. */
const tokenRoutes: FastifyPluginAsyncZod<{ config: ApiConfig }> = async (app) => {
  app.get(
    '/models/:modelId/tokenize',
    {
      schema: {
        tags: ['models'],
        summary:
          "A text as the language model's tokenizer encodes it: ids and their tokens (special tokens such as [BOS] with special=true)",
        description: 'Answers 422 `no-tokenizer` for a model imported or trained without a tokenizer.json.',
        params: ModelParamsSchema,
        querystring: TokenizeQuerySchema,
        response: { 200: TokenizedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const model = await modelFor(app, request, request.params.modelId, 'read');
      const tokenizer = await app.tokenizers.tokenizer(model.config);
      if (tokenizer === null) {
        throw unprocessable(
          'no-tokenizer',
          `model ${model.id} has no tokenizer: import it with its tokenizer.json (the part "tokenizer") to look tokens up by text`,
        );
      }
      const encoding = await tokenizer.encode(request.query.text, {
        addSpecialTokens: request.query.special === 'true',
      });
      return { ids: Array.from(encoding.ids), tokens: [...encoding.tokens] };
    },
  );

  app.get(
    '/models/:modelId/tokens',
    {
      schema: {
        tags: ['models'],
        summary: "Token ids as the language model's tokenizer writes them (null for an id it does not know)",
        description:
          'For pages that compute token ids themselves (a feature’s logit effect). Answers 422 `no-tokenizer` for a model without a tokenizer.json.',
        params: ModelParamsSchema,
        querystring: TokenTextQuerySchema,
        response: { 200: TokenTextSchema, ...errorResponses },
      },
    },
    async (request) => {
      const model = await modelFor(app, request, request.params.modelId, 'read');
      const text = await app.tokenizers.tokenText(model.config);
      if (text === null) {
        throw unprocessable(
          'no-tokenizer',
          `model ${model.id} has no tokenizer: import it with its tokenizer.json (the part "tokenizer") to read token ids as text`,
        );
      }
      const ids = request.query.ids.split(',').map(Number);
      return { ids, tokens: ids.map((id) => text(id)) };
    },
  );
};

export default tokenRoutes;
