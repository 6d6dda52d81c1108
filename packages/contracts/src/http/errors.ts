import { z } from 'zod';

/** Every 4xx/5xx body. `details` says which input was wrong where that helps (e.g. zod issues). */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    requestId: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
