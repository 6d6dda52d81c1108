// One error handler and one 404 handler: every error body is {"error": {code, message, details}}.
// 4xx say what was wrong with the input; 5xx hide internals, are logged with the request id and
// carry it in the body so a user can quote it.
import type { ErrorBody } from '@bilinear-lab/contracts';
import { isDatabaseUnavailable } from '@bilinear-lab/db';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { globalPlugin } from './global-plugin.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
}

/** Fastify's own 4xx errors, in words. */
const FASTIFY_MESSAGES: Record<string, (error: FastifyError) => { code: string; message: string }> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: () => ({
    code: 'invalid-body',
    message: 'the body is empty but Content-Type is application/json: send a JSON object',
  }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (error) => ({ code: 'unsupported-media-type', message: error.message }),
  FST_ERR_CTP_BODY_TOO_LARGE: () => ({ code: 'payload-too-large', message: 'the request body is too large' }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (error) => ({ code: 'invalid-body', message: error.message }),
};

const DATABASE_RETRY_AFTER_SECONDS = 5;

export const errorsPlugin = globalPlugin('errors', async (app) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      return send(reply, error.statusCode, error.code, error.message, error.details);
    }
    if (error.validation) {
      const where = error.validationContext ?? 'request';
      const issues = (error.validation as ValidationIssue[]).map((issue) => ({
        path: `${where}${(issue.instancePath ?? '').replaceAll('/', '.').replace(/\.$/, '')}`,
        message: issue.message ?? 'invalid',
        code: issue.keyword ?? 'invalid',
      }));
      const summary = issues
        .slice(0, 5)
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join('; ');
      return send(reply, 400, 'invalid-request', summary, { issues });
    }
    // Postgres refusing or cutting connections (down, restarting) is not a bug of this request: the
    // same request succeeds once it is back, which is what 503 and Retry-After tell a client.
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error, reqId: request.id }, 'the database is unavailable');
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      return send(
        reply,
        503,
        'unavailable',
        `the database is not reachable right now; try again in ${DATABASE_RETRY_AFTER_SECONDS} s`,
      );
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const known = error.code ? FASTIFY_MESSAGES[error.code]?.(error) : undefined;
      if (known) return send(reply, status, known.code, known.message);
      if (status === 429) return send(reply, 429, 'rate-limited', error.message);
      if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        return send(reply, 400, 'invalid-json', `the body is not valid JSON: ${error.message}`);
      }
      return send(reply, status, codeFrom(error), error.message);
    }
    request.log.error({ err: error, reqId: request.id }, 'request failed');
    return reply.status(500).send({
      error: {
        code: 'internal',
        message: `internal error; quote request id ${request.id} when reporting it`,
        requestId: request.id,
      },
    } satisfies ErrorBody);
  });

  app.setNotFoundHandler((request: FastifyRequest, reply) =>
    send(
      reply,
      404,
      'route-not-found',
      `no route ${request.method} ${request.url.split('?')[0]}; the routes are listed at /api/docs`,
    ),
  );
});

function send(reply: FastifyReply, status: number, code: string, message: string, details?: unknown) {
  const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}

function codeFrom(error: FastifyError): string {
  return (error.code ?? 'bad-request')
    .replace(/^FST_(ERR_)?/, '')
    .toLowerCase()
    .replaceAll('_', '-');
}
