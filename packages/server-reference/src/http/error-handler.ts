import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ApiError, type ApiErrorCode, apiErrorStatus } from './api-error.js';

interface ErrorBody {
  error: { code: ApiErrorCode; message: string; requestId: string; details?: Record<string, unknown> };
}

const fastifyStatusCodes: Partial<Record<number, { code: ApiErrorCode; message: string }>> = {
  400: { code: 'invalid-request', message: 'The request is malformed' },
  404: { code: 'not-found', message: 'Not found' },
  405: { code: 'method-not-allowed', message: 'Method not allowed' },
  413: { code: 'payload-too-large', message: 'The request body is too large' },
  415: { code: 'unsupported-media-type', message: 'Send the body as application/json' },
};

function body(
  request: FastifyRequest,
  code: ApiErrorCode,
  message: string,
  details?: Record<string, unknown>,
): ErrorBody {
  return { error: { code, message, requestId: request.id, ...(details === undefined ? {} : { details }) } };
}

/**
 * Turns any thrown error into the one error shape. Known errors keep their code and message;
 * validation errors list the failing fields (never their values); anything else is a 500 whose
 * stack trace goes to the log only.
 *
 * @example
 * ```ts
 * app.setErrorHandler(handleError);
 * ```
 */
export function handleError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (ApiError.isInstance(error)) {
    if (error.retryAfterSeconds !== undefined)
      void reply.header('retry-after', String(error.retryAfterSeconds));
    const level = error.statusCode >= 500 ? 'error' : 'info';
    request.log[level](
      { code: error.code, ...(error.statusCode >= 500 ? { err: error } : {}) },
      error.message,
    );
    return reply.status(error.statusCode).send(body(request, error.code, error.message, error.details));
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => ({
      location: error.validationContext ?? 'body',
      path: issue.instancePath,
      message: issue.message,
    }));
    request.log.info({ code: 'invalid-request', issues }, 'request validation failed');
    return reply.status(400).send(body(request, 'invalid-request', 'The request is not valid', { issues }));
  }
  const statusCode = (error as FastifyError).statusCode;
  const known =
    statusCode === undefined || isResponseSerializationError(error)
      ? undefined
      : fastifyStatusCodes[statusCode];
  if (known !== undefined) {
    // Fastify's own messages can quote the body (JSON parse errors do); ours never echo input.
    request.log.info({ code: known.code, fastifyCode: (error as FastifyError).code }, known.message);
    return reply.status(apiErrorStatus[known.code]).send(body(request, known.code, known.message));
  }
  request.log.error({ err: error }, 'request failed');
  return reply.status(500).send(body(request, 'internal', 'Internal server error'));
}

/**
 * The 404 for a path no route serves, in the one error shape.
 *
 * @example
 * ```ts
 * app.setNotFoundHandler(handleNotFound);
 * ```
 */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.status(404).send(body(request, 'not-found', 'No such route'));
}
