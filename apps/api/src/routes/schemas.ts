import { ErrorBodySchema } from '@bilinear-lab/contracts';

/** Documented on every route: the shape of every 4xx/5xx body. */
export const errorResponses = { '4xx': ErrorBodySchema, '5xx': ErrorBodySchema } as const;
