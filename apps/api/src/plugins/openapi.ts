// The OpenAPI document (built from the routes' zod schemas) at /api/docs/json and swagger-ui at
// /api/docs. Registered before the routes so that it sees every one of them.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export const DOCS_ROUTE = '/api/docs';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'bilinear-lab API',
        description:
          'Train bilinear MLPs, decompose them exactly into eigen-spectra, and serve the results. ' +
          'Every route but /health and these docs needs `Authorization: Bearer <api key>`.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'bl_… API key' } },
      },
      security: [{ apiKey: [] }],
    },
    transform: createJsonSchemaTransform({ skipList: [] }),
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_ROUTE,
    // What the UI needs: its own scripts (it has no inline ones), its styles (some set inline),
    // images from data: URLs, and calls to this API; framed by no one. No upgrade-insecure-requests:
    // the API speaks plain HTTP, on localhost and behind a load balancer's TLS.
    staticCSP: {
      'default-src': "'self'",
      'base-uri': "'self'",
      'object-src': "'none'",
      'frame-ancestors': "'none'",
      'img-src': "'self' data:",
      'font-src': "'self' data:",
      'script-src': "'self'",
      'style-src': ["'self'", "'unsafe-inline'"],
      'connect-src': "'self'",
    },
  });
}
