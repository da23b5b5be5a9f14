/**
 * The @llmbatch/sdk quickstart: sign up, verify the email, log in, create an API token, store provider
 * keys and list them — through the SDK only. Starts an llmbatch server in this process on its
 * embedded default (PGlite, development mail outbox) unless LLMBATCH_BASE_URL points at one.
 *
 *   pnpm tsx examples/sdk-quickstart.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, NotFoundError } from '@llmbatch/sdk';
import { createServer, loadConfig } from '@llmbatch/server';

const dataDirectory = await mkdtemp(join(tmpdir(), 'llmbatch-sdk-quickstart-'));
const server =
  process.env.LLMBATCH_BASE_URL === undefined
    ? await createServer({
        config: await loadConfig({
          NODE_ENV: 'development',
          LLMBATCH_DATA_DIR: dataDirectory,
          PORT: '0',
          LOG_LEVEL: 'warn',
        }),
      })
    : undefined;
const baseUrl = process.env.LLMBATCH_BASE_URL ?? (await server?.start()) ?? '';

try {
  // 1. Sign up and verify. A development server keeps its mails in an outbox readable from this machine.
  const anonymous = createClient({ baseUrl });
  const email = `ada-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  await anonymous.auth.signUp({ email, password, name: 'Ada', orgName: 'Analytical Engines' });
  const outbox = (await (await anonymous.request('/v1/dev/outbox')).json()) as {
    data: { to: string; text: string }[];
  };
  const link = outbox.data.find((mail) => mail.to === email)?.text.match(/https?:\/\/\S+/)?.[0] ?? '';
  const { emailVerified } = await anonymous.auth.verifyEmail({
    token: new URL(link).searchParams.get('token') ?? '',
  });
  console.log(`signed up, email verified: ${emailVerified}`);

  // 2. Log in; getToken is asked before every request, so a refreshed token is picked up.
  const session = await anonymous.auth.logIn({ email, password });
  const user = createClient({ baseUrl, getToken: () => session.accessToken });
  const { data: orgs } = await user.orgs.list();
  const org = orgs[0];
  if (org === undefined) throw new Error('a new account always has an organisation');
  console.log(`logged in; org "${org.name}" (${org.role})`);

  // 3. An API token for scripts and CI: it implies its organisation.
  const { token, apiToken } = await user
    .withOrg(org.id)
    .apiTokens.create({ name: 'quickstart', role: 'admin' });
  console.log(`api token "${apiToken.name}" (${apiToken.role}) ${token.slice(0, 4)}…`);

  // 4. Store provider keys with the API token and list them across pages.
  const client = createClient({ baseUrl, apiKey: token });
  await client.providerKeys.create({
    name: 'openai main',
    provider: 'openai',
    apiKey: 'sk-quickstart-0000000001',
  });
  await client.providerKeys.create({
    name: 'anthropic main',
    provider: 'anthropic',
    apiKey: 'sk-ant-quickstart-0002',
  });
  const names: string[] = [];
  for await (const key of client.providerKeys.list({ limit: 1 })) names.push(`${key.name} (${key.provider})`);
  console.log(`provider keys: ${names.sort().join(', ')}`);

  // 5. Errors are typed, with the server's code and request id.
  try {
    await client.providerKeys.get('00000000-0000-4000-8000-000000000000');
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    console.log(
      `${error.name}: ${error.code} (request id ${error.requestId === undefined ? 'missing' : 'present'})`,
    );
  }
} finally {
  await server?.stop();
  await rm(dataDirectory, { recursive: true, force: true });
}
