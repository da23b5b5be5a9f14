import { LLMBatchError } from '../errors.js';
import { type AnthropicProviderOptions, createAnthropicProvider } from './anthropic.js';
import { createMockProvider, type MockProviderOptions } from './mock.js';
import { createOpenAICompatibleProvider, type OpenAICompatibleProviderOptions } from './openai-compatible.js';
import type { Provider } from './provider.js';

/**
 * Settings to build providers from, by name: what the CLI and the server read from their config files
 * and environment. The engine itself never reads environment variables.
 *
 * @example
 * ```ts
 * const config: ProvidersConfig = {
 *   openai: { apiKey: process.env.OPENAI_API_KEY },
 *   anthropic: { apiKey: process.env.ANTHROPIC_API_KEY },
 *   compatible: { ollama: { baseURL: 'http://127.0.0.1:11434/v1' } },
 * };
 * ```
 */
export interface ProvidersConfig {
  /** OpenAI (or any compatible server at `baseURL`), used by `openai:` models. */
  openai?: OpenAICompatibleProviderOptions;
  /** Anthropic, used by `anthropic:` models; `apiKey` is required to build it. */
  anthropic?: Omit<AnthropicProviderOptions, 'apiKey'> & { apiKey?: string };
  /** The in-process mock, used by `mock:` models. @default {} */
  mock?: MockProviderOptions;
  /** More OpenAI-compatible servers by name, used by `name:` models (e.g. `ollama:llama3.1`). */
  compatible?: Record<string, OpenAICompatibleProviderOptions>;
}

/**
 * A model string taken apart.
 *
 * @example
 * ```ts
 * const parsed: ParsedModel = parseModelString('openai:gpt-4o-mini'); // { provider: 'openai', model: 'gpt-4o-mini' }
 * ```
 */
export interface ParsedModel {
  /** Provider name (`openai`, `anthropic`, `mock`, or a `compatible` name); `undefined` when unknown. */
  provider: string | undefined;
  /** Model name as the provider knows it. */
  model: string;
}

const builtIn = ['openai', 'anthropic', 'mock'];
const openAIModel = /^(gpt-|chatgpt-|o\d|text-embedding-|davinci|babbage)/;

/**
 * Splits `provider:model`. A bare model name gets its provider from its family (`gpt-*`, `o1`… →
 * `openai`; `claude-*` → `anthropic`), else `provider` is `undefined`. Only known provider names count
 * as prefixes, so `llama3.1:8b` stays a bare model name.
 *
 * @example
 * ```ts
 * parseModelString('anthropic:claude-haiku-4-5'); // { provider: 'anthropic', model: 'claude-haiku-4-5' }
 * parseModelString('gpt-4o-mini'); // { provider: 'openai', model: 'gpt-4o-mini' }
 * parseModelString('ollama:llama3.1:8b', ['ollama']); // { provider: 'ollama', model: 'llama3.1:8b' }
 * ```
 */
export function parseModelString(model: string, extraProviders: Iterable<string> = []): ParsedModel {
  const colon = model.indexOf(':');
  if (colon > 0) {
    const prefix = model.slice(0, colon);
    if (builtIn.includes(prefix) || [...extraProviders].includes(prefix)) {
      return { provider: prefix, model: model.slice(colon + 1) };
    }
  }
  if (openAIModel.test(model)) return { provider: 'openai', model };
  if (model.startsWith('claude-')) return { provider: 'anthropic', model };
  return { provider: undefined, model };
}

/**
 * Builds the provider called `name` from `config`, or returns `undefined` when the config cannot
 * build it (an unknown name).
 *
 * @example
 * ```ts
 * const openai = createProviderByName('openai', { openai: { apiKey: 'sk-…' } });
 * ```
 */
export function createProviderByName(name: string, config: ProvidersConfig): Provider | undefined {
  const compatible = config.compatible?.[name];
  if (compatible !== undefined) return createOpenAICompatibleProvider({ name, ...compatible });
  if (name === 'openai') return createOpenAICompatibleProvider({ ...config.openai, name: 'openai' });
  if (name === 'mock') return createMockProvider(config.mock);
  if (name === 'anthropic') {
    const { apiKey, ...rest } = config.anthropic ?? {};
    if (apiKey === undefined || apiKey === '') {
      throw new LLMBatchError({
        code: 'invalid-options',
        message: 'provider anthropic needs an API key (providers config anthropic.apiKey)',
      });
    }
    return createAnthropicProvider({ ...rest, apiKey, name: 'anthropic' });
  }
  return undefined;
}

/**
 * Builds the provider a model string names, from `config`: what a CLI needs for `--model`.
 *
 * @example
 * ```ts
 * const { provider, model } = createProviderFromModel('anthropic:claude-haiku-4-5', {
 *   anthropic: { apiKey: process.env.ANTHROPIC_API_KEY },
 * });
 * const engine = createEngine({ providers: { [provider.name]: provider } });
 * ```
 */
export function createProviderFromModel(
  model: string,
  config: ProvidersConfig,
): { provider: Provider; providerName: string; model: string } {
  const parsed = parseModelString(model, Object.keys(config.compatible ?? {}));
  const provider = parsed.provider === undefined ? undefined : createProviderByName(parsed.provider, config);
  if (provider === undefined || parsed.provider === undefined) {
    throw new LLMBatchError({
      code: 'invalid-options',
      message: `model "${model}" names no known provider; write it as provider:model with one of: ${[...builtIn, ...Object.keys(config.compatible ?? {})].join(', ')}`,
      details: { model },
    });
  }
  return { provider, providerName: parsed.provider, model: parsed.model };
}

/**
 * Builds every provider `config` describes, for `createEngine({ providers })`. Anthropic is built only
 * when it has an API key; OpenAI only when it has a key or a base URL.
 *
 * @example
 * ```ts
 * const engine = createEngine({ providers: createProviders({ openai: { apiKey: process.env.OPENAI_API_KEY } }) });
 * ```
 */
export function createProviders(config: ProvidersConfig): Record<string, Provider> {
  const out: Record<string, Provider> = {};
  if (config.openai?.apiKey !== undefined || config.openai?.baseURL !== undefined) {
    out.openai = createOpenAICompatibleProvider({ ...config.openai, name: 'openai' });
  }
  if (config.anthropic?.apiKey !== undefined && config.anthropic.apiKey !== '') {
    const provider = createProviderByName('anthropic', config);
    if (provider !== undefined) out.anthropic = provider;
  }
  if (config.mock !== undefined) out.mock = createMockProvider(config.mock);
  for (const [name, options] of Object.entries(config.compatible ?? {})) {
    out[name] = createOpenAICompatibleProvider({ name, ...options });
  }
  return out;
}
