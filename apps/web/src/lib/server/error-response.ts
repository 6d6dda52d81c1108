/** A route handler's refusal, in the platform API's own error shape: {"error": {code, message, details}}. */
export function errorResponse(status: number, code: string, message: string, details?: unknown): Response {
  return Response.json({ error: { code, message, details } }, { status });
}
