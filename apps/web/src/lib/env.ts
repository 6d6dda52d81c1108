import { z } from 'zod';

// The dashboard's whole configuration, parsed once on the server. Nothing else reads process.env.
const EnvSchema = z.object({
  API_URL: z.url().default('http://127.0.0.1:4000'),
  /** Set to "true" behind HTTPS so the session cookie is only ever sent encrypted. */
  SESSION_COOKIE_SECURE: z.enum(['true', 'false']).default('false'),
});

let parsed: z.infer<typeof EnvSchema> | undefined;

export function env(): z.infer<typeof EnvSchema> {
  if (!parsed) {
    const result = EnvSchema.safeParse(process.env);
    if (!result.success) {
      throw new Error(`apps/web: invalid environment: ${z.prettifyError(result.error)}`);
    }
    parsed = { ...result.data, API_URL: result.data.API_URL.replace(/\/+$/, '') };
  }
  return parsed;
}
