import type { paths } from '../generated/openapi.js';

/** An HTTP method of an operation in the spec. */
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * The JSON request body of `method` on `path`, from the OpenAPI document.
 *
 * @example
 * ```ts
 * const body: JsonBody<'/v1/auth/login', 'post'> = { email, password };
 * ```
 */
export type JsonBody<
  Path extends keyof paths,
  M extends Method & keyof paths[Path],
> = paths[Path][M] extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

/**
 * The query parameters of `method` on `path`, from the OpenAPI document.
 *
 * @example
 * ```ts
 * const query: QueryParameters<'/v1/audit-events', 'get'> = { action: 'api-token.create' };
 * ```
 */
export type QueryParameters<
  Path extends keyof paths,
  M extends Method & keyof paths[Path],
> = paths[Path][M] extends {
  parameters: { query?: infer Query };
}
  ? NonNullable<Query>
  : never;

/**
 * The JSON body of the success response of `method` on `path`.
 *
 * @example
 * ```ts
 * type Tokens = JsonResponse<'/v1/auth/login', 'post'>; // { accessToken, refreshToken, … }
 * ```
 */
export type JsonResponse<
  Path extends keyof paths,
  M extends Method & keyof paths[Path],
> = paths[Path][M] extends {
  responses: infer Responses;
}
  ? {
      [Status in keyof Responses]: Status extends 200 | 201 | 202
        ? Responses[Status] extends { content: { 'application/json': infer Body } }
          ? Body
          : never
        : never;
    }[keyof Responses]
  : never;
