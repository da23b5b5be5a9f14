import {
  createAnthropicProvider,
  createMockProvider,
  createOpenAICompatibleProvider,
  createPriceTable,
  type Provider,
} from '@llmbatch/core';
import { CliError } from './internal/cli-error.js';
import type { RunSettings } from './settings.js';

/** Providers the command line knows, and the environment variable each reads its key from. */
export const knownProviders = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  mock: undefined,
} as const;

type ProviderName = keyof typeof knownProviders;

/** A model string split into provider and model, with the provider built from flags and environment. */
export interface ResolvedModel {
  /** `provider:model`. */
  model: string;
  providerName: ProviderName;
  provider: Provider;
}

/**
 * Turns `--model` into a provider. A bare model name (`gpt-4o-mini`) is looked up in the price table.
 * Keys come only from the environment (`--api-key-env` or the provider's default variable); they are
 * never written to the state file or printed.
 */
export function resolveModel(
  settings: RunSettings,
  env: NodeJS.ProcessEnv,
  requirements: { requireApiKey?: boolean } = {},
): ResolvedModel {
  const prices = createPriceTable();
  let model = settings.model;
  if (!model.includes(':')) {
    const provider = (['openai', 'anthropic'] as const).find((name) => prices.lookup(`${name}:${model}`));
    if (provider === undefined) {
      throw new CliError(
        `unknown model "${model}": write it as provider:model (providers: ${Object.keys(knownProviders).join(', ')}); known models: ${knownModels().join(', ')}`,
      );
    }
    model = `${provider}:${model}`;
  }
  const colon = model.indexOf(':');
  const providerName = model.slice(0, colon);
  const modelName = model.slice(colon + 1);
  if (!Object.hasOwn(knownProviders, providerName)) {
    throw new CliError(
      `unknown provider "${providerName}" in --model ${model}; known providers: ${Object.keys(knownProviders).join(', ')}`,
    );
  }
  const name = providerName as ProviderName;
  if (name === 'mock') return { model, providerName: name, provider: createMockProvider() };
  if (settings.baseUrl === undefined && prices.lookup(model) === undefined) {
    throw new CliError(
      `unknown model "${model}"; known ${name} models: ${knownModels(name).join(', ')} (with --base-url any model name is accepted)`,
    );
  }
  const variable = settings.apiKeyEnv ?? knownProviders[name];
  const apiKey = env[variable];
  if (
    (apiKey === undefined || apiKey === '') &&
    settings.baseUrl === undefined &&
    requirements.requireApiKey !== false
  ) {
    throw new CliError(
      `missing API key: set the environment variable ${variable} (or name another with --api-key-env)`,
    );
  }
  const options = {
    ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
    ...(settings.baseUrl === undefined ? {} : { baseURL: settings.baseUrl }),
    // One connection per request in flight: an unlimited pool opens new sockets while finished ones
    // wait an event-loop turn before reuse (about twice the concurrency on a busy run).
    maxConnections: settings.concurrency,
  };
  const provider =
    name === 'anthropic'
      ? createAnthropicProvider({ ...options, apiKey: apiKey ?? '' })
      : createOpenAICompatibleProvider({ ...options, name });
  return { model: `${name}:${modelName}`, providerName: name, provider };
}

function knownModels(provider?: ProviderName): string[] {
  const names = createPriceTable()
    .models()
    .filter((name) => !name.startsWith('mock:'));
  if (provider === undefined) return names;
  return names
    .filter((name) => name.startsWith(`${provider}:`))
    .map((name) => name.slice(provider.length + 1));
}
