import { describe, expectTypeOf, it } from 'vitest';
import { createClient } from './client.js';
import type { components } from './generated/openapi.js';
import type { JsonBody, QueryParameters } from './http/operation-types.js';

const client = createClient({ baseUrl: 'http://127.0.0.1:8080' });

describe('resources are typed from the OpenAPI document', () => {
  it('method answers are the schemas of the spec', () => {
    expectTypeOf(client.providerKeys.get('id')).resolves.toEqualTypeOf<
      components['schemas']['ProviderKey']
    >();
    expectTypeOf(client.orgs.get('id')).resolves.toEqualTypeOf<components['schemas']['Org']>();
    expectTypeOf(client.auth.logOut()).resolves.toEqualTypeOf<void>();
  });

  it('list methods iterate the items of the spec', () => {
    expectTypeOf(client.apiTokens.list()).toExtend<AsyncIterable<components['schemas']['ApiToken']>>();
    expectTypeOf(client.auditEvents.list().toArray()).resolves.toEqualTypeOf<
      components['schemas']['AuditEvent'][]
    >();
  });

  it('bodies and queries come from the spec and reject what it does not allow', () => {
    expectTypeOf<JsonBody<'/v1/auth/login', 'post'>>().toEqualTypeOf<{ email: string; password: string }>();
    expectTypeOf<QueryParameters<'/v1/api-tokens', 'get'>>().toHaveProperty('limit');
    // @ts-expect-error — `role` must be one of the spec's roles
    void client.apiTokens.create({ name: 'ci', role: 'superuser' });
    // @ts-expect-error — `password` is required
    void client.auth.logIn({ email: 'ada@example.com' });
  });
});
