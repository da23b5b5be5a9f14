/**
 * Counts prompt tokens for estimates: exactly with OpenAI's own encodings where they are public, by
 * a documented characters-per-token ratio elsewhere.
 *
 * @example
 * ```ts
 * const counter = await createTokenCounter('openai', 'gpt-4o-mini');
 * counter.tokenizer; // 'o200k_base'
 * counter.count('hello world'); // 2
 * ```
 */
export interface TokenCounter {
  /** `o200k_base`, `cl100k_base`, or `approximate (N chars/token)`. */
  readonly tokenizer: string;
  /** Whether counts come from the model's real tokenizer. */
  readonly exact: boolean;
  /** Tokens of `text` (special-token strings count as ordinary text, as the APIs treat them). */
  count(text: string): number;
}

type Encoding = 'o200k_base' | 'cl100k_base';

const o200kModels = /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|chatgpt-4o|gpt-oss|o1|o3|o4|codex)/;
const cl100kModels = /^(gpt-4|gpt-3\.5|text-embedding-3|text-embedding-ada)/;

/** The OpenAI encoding of `model` (a vendor prefix like `openai/` is ignored), if it has a public one. */
export function encodingFor(providerName: string, model: string): Encoding | undefined {
  if (providerName === 'anthropic' || providerName === 'mock') return undefined;
  const bare = model.slice(model.lastIndexOf('/') + 1);
  if (o200kModels.test(bare)) return 'o200k_base';
  if (cl100kModels.test(bare)) return 'cl100k_base';
  return undefined;
}

// Loaded on first use only: the encodings are megabytes that a run never needs.
const loaded = new Map<Encoding, Promise<(text: string) => number>>();

function load(encoding: Encoding): Promise<(text: string) => number> {
  let promise = loaded.get(encoding);
  if (promise === undefined) {
    const options = { disallowedSpecial: new Set<string>() };
    promise =
      encoding === 'o200k_base'
        ? import('gpt-tokenizer/encoding/o200k_base').then(
            (module) => (text: string) => module.countTokens(text, options),
          )
        : import('gpt-tokenizer/encoding/cl100k_base').then(
            (module) => (text: string) => module.countTokens(text, options),
          );
    loaded.set(encoding, promise);
  }
  return promise;
}

function approximate(charactersPerToken: number): TokenCounter {
  return {
    tokenizer: `approximate (${charactersPerToken} chars/token)`,
    exact: false,
    count: (text) => Math.ceil(text.length / charactersPerToken),
  };
}

/**
 * A token counter for a model: OpenAI models with a public encoding (`gpt-4o*`, `gpt-4.1*`, `gpt-5*`,
 * `o1`/`o3`/`o4*` → `o200k_base`; `gpt-4`, `gpt-3.5*` → `cl100k_base`) count exactly with the pure-JS
 * `gpt-tokenizer`; Anthropic models are approximated at 3.5 characters per token (Claude's tokenizer is
 * not public and produces more tokens than OpenAI's on English text); anything else at 4.
 *
 * @example
 * ```ts
 * (await createTokenCounter('anthropic', 'claude-haiku-4-5')).tokenizer; // 'approximate (3.5 chars/token)'
 * ```
 */
export async function createTokenCounter(providerName: string, model: string): Promise<TokenCounter> {
  const encoding = encodingFor(providerName, model);
  if (encoding === undefined) return approximate(providerName === 'anthropic' ? 3.5 : 4);
  const count = await load(encoding);
  return { tokenizer: encoding, exact: true, count };
}
