import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import scalarReference from '@scalar/fastify-api-reference';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { RouteAccess } from '../auth/principal.js';
import { accessControl, orgHeader } from './access-control.js';
import type { AppContext } from './app-context.js';
import { handleError, handleNotFound } from './error-handler.js';
import { errorResponseSchema } from './schemas.js';

/** The Fastify instance of the API, typed for zod schemas. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Registers routes on the API; each route declares `config.access`. */
export type RouteModule = (app: ApiApp, context: AppContext) => void;

/** One registered route, as listed by {@link createApp} (used by tests and docs). */
export interface RouteSummary {
  method: string;
  url: string;
  access: RouteAccess;
}

/**
 * Version of the HTTP API described by the OpenAPI document (`info.version`).
 *
 * @example
 * ```ts
 * console.log(`llmbatch API ${apiVersion}`);
 * ```
 */
export const apiVersion = '1.0.0';

const referencePrefix = '/v1/reference';
const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The zod provider emits an `…Input` twin of every named schema; drop the twins nothing refers
 * to, so the document (and the SDK generated from it) lists each shape once.
 */
function withoutUnusedInputSchemas<Document extends object>(document: Document): Document {
  const components = (document as { components?: { schemas?: Record<string, unknown> } }).components;
  const schemas = components?.schemas;
  if (schemas === undefined) return document;
  const text = JSON.stringify(document);
  for (const name of Object.keys(schemas)) {
    if (name.endsWith('Input') && !text.includes(`"#/components/schemas/${name}"`)) delete schemas[name];
  }
  return document;
}

/** Options for {@link createApp}. */
export interface CreateAppOptions {
  /** Shared dependencies of all routes. */
  context: AppContext;
  /** The pino logger every request logs through (a child per request carries its id). */
  logger: Logger;
  /** Route modules, registered in order. */
  routes: readonly RouteModule[];
}

/**
 * Builds the Fastify application: request ids, structured logs, the one error shape, access control
 * on every route, zod validation, and OpenAPI 3.1 at `/v1/openapi.json` with a reference page at
 * `/v1/reference`. It does not listen; {@link createServer} does.
 *
 * @example
 * ```ts
 * const { app } = createApp({ context, logger, routes: [healthRoutes, authRoutes] });
 * const response = await app.inject({ method: 'GET', url: '/healthz' });
 * ```
 */
export function createApp(options: CreateAppOptions): { app: ApiApp; routes: RouteSummary[] } {
  const { context } = options;
  const fastify = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Accept a caller's request id only when it is short and plain, so it cannot forge log lines.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    trustProxy: context.config.trustProxy,
    bodyLimit: 1024 * 1024,
    exposeHeadRoutes: false,
    // While draining, a request that still arrives on an open connection is served like any other
    // (Fastify's own 503 would not use the API's error shape); idle connections are closed by stop().
    return503OnClosing: false,
  });
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const routes: RouteSummary[] = [];

  // The API speaks JSON only; any other body type is refused with 415 before a handler runs.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  app.decorateRequest('org', null);

  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (url.startsWith(referencePrefix)) {
      route.config = { ...route.config, access: { auth: 'public' } };
    }
    const access = route.config?.access;
    if (access === undefined)
      throw new Error(`Route ${String(route.method)} ${url} declares no config.access`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method: String(method), url, access });
    if (route.schema === undefined || route.schema.hide === true) return;
    route.schema = {
      ...route.schema,
      response: {
        ...(route.schema.response as object | undefined),
        '4xx': errorResponseSchema,
        '5xx': errorResponseSchema,
      },
      ...(access.auth === 'public' ? {} : { security: [{ bearerAuth: [] }] }),
    };
  });

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onRequest', accessControl(context));
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'llmbatch API',
        version: apiVersion,
        description: `The llmbatch HTTP API. Authenticate with "Authorization: Bearer <token>": a JWT access token from /v1/auth/login or an API token (lbk_…). Routes under an organisation take it from the {orgId} path parameter, from the API token, or from the "${orgHeader}" header.`,
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'JWT access token or lbk_ API token' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (documentObject) => withoutUnusedInputSchemas(jsonSchemaTransformObject(documentObject)),
  });
  void app.register(scalarReference, {
    routePrefix: referencePrefix,
    configuration: { url: '/v1/openapi.json', withDefaultFonts: false, title: 'llmbatch API reference' },
    logLevel: 'warn',
  });

  void app.register(async (scoped) => {
    const typed = scoped.withTypeProvider<ZodTypeProvider>();
    typed.get(
      '/v1/openapi.json',
      { config: { access: { auth: 'public' } }, schema: { hide: true } },
      async () => app.swagger(),
    );
    for (const module of options.routes) module(typed, context);
  });

  return { app, routes };
}
