import { systemClock } from '../clock.js';
import type { Usage } from '../types.js';
import type { Provider, ProviderRequest, ProviderResponse } from './provider.js';

/** Options of {@link createMockProvider}. */
export interface MockProviderOptions {
  /** Provider name used in `name:model` strings. @default 'mock' */
  name?: string;
  /** Milliseconds to wait before answering (honours the request's signal). @default 0 */
  latencyMs?: number;
  /**
   * Produces the answer. The default echoes the last user message as `{"echo": <text>}` whatever the
   * model name, so runs are deterministic.
   */
  respond?: (request: ProviderRequest) => string | ProviderResponse | Promise<string | ProviderResponse>;
}

/**
 * A deterministic in-process provider for tests and demos: no network, no cost.
 * Usage counts are `ceil(characters / 4)` of the prompt and the answer.
 *
 * @example
 * ```ts
 * const engine = createEngine({ providers: { mock: createMockProvider({ latencyMs: 5 }) } });
 * for await (const result of engine.run([{ text: 'hi' }], { model: 'mock:echo', prompt: '{{text}}' })) {
 *   console.log(result.value); // { echo: '"hi"' }
 * }
 * ```
 */
export function createMockProvider(options: MockProviderOptions = {}): Provider {
  const latencyMs = options.latencyMs ?? 0;
  return {
    name: options.name ?? 'mock',
    async complete(request: ProviderRequest): Promise<ProviderResponse> {
      if (latencyMs > 0) await systemClock.sleep(latencyMs, request.signal);
      request.signal.throwIfAborted();
      const answer = options.respond === undefined ? echo(request) : await options.respond(request);
      if (typeof answer !== 'string') return answer;
      return { text: answer, usage: estimateUsage(request, answer), finishReason: 'stop' };
    },
  };
}

function echo(request: ProviderRequest): string {
  const last = request.messages.findLast((message) => message.role === 'user');
  return JSON.stringify({ echo: last?.content ?? '' });
}

function estimateUsage(request: ProviderRequest, answer: string): Usage {
  let promptChars = 0;
  for (const message of request.messages) promptChars += message.content.length;
  return {
    inputTokens: Math.ceil(promptChars / 4),
    outputTokens: Math.ceil(answer.length / 4),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
  };
}
