// Browser-facing security headers on every response (@fastify/helmet), 404s and errors included.
// The API answers JSON, so its Content-Security-Policy allows nothing at all and no page may frame
// it; the swagger-ui pages under /api/docs get a policy of their own from @fastify/swagger-ui
// (openapi.ts: staticCSP), which replaces this one there.
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // HTTPS ends at the load balancer (docs/deploy.md), which knows whether HSTS fits the domain.
    strictTransportSecurity: false,
  });
}
