import { EventEmitter } from 'eventemitter3';
import { systemClock } from '../clock.js';
import { LLMBatchError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { createCircuitBreaker } from '../policies/circuit-breaker.js';
import { wrap } from '../policies/policy.js';
import { createRateLimiter } from '../policies/rate-limiter.js';
import { createRetryPolicy } from '../policies/retry.js';
import { createTimeoutPolicy } from '../policies/timeout.js';
import { createPriceTable } from '../pricing/price-table.js';
import { createMessageBuilder } from '../prompt/messages.js';
import { compileTemplate } from '../prompt/template.js';
import { createMockProvider } from '../providers/mock.js';
import type { Provider } from '../providers/provider.js';
import type { BreakerState, Unit } from '../types.js';
import type { BreakerTransition, EngineEvents } from './events.js';
import {
  type EngineOptions,
  type JobSpec,
  type RunOptions,
  validateEngineOptions,
  validateJob,
} from './options.js';
import { createRun, type Run } from './run.js';

/**
 * The batch engine: runs jobs over sources of units, sharing one breaker, one rate limiter and the
 * providers' connection pools across runs.
 */
export interface Engine extends Pick<EventEmitter<EngineEvents>, 'on' | 'once' | 'off'> {
  /**
   * Runs `job` over every unit of `source` (any iterable or async iterable of plain objects, read
   * lazily — never materialised). Nothing happens until you iterate the returned {@link Run} (or call
   * `drain()`).
   */
  run(source: AsyncIterable<Unit> | Iterable<Unit>, job: JobSpec, options?: RunOptions): Run;
  /** The circuit breaker's current state. */
  breakerState(): BreakerState;
  /** Closes the providers' connection pools. */
  close(): Promise<void>;
}

/**
 * Creates an engine. Everything that touches the outside world (providers and their HTTP
 * dispatcher, clock, logger, prices) is injected; there are no globals.
 *
 * @example
 * ```ts
 * import { createEngine, createOpenAICompatibleProvider } from '@llmbatch/core';
 *
 * const engine = createEngine({
 *   providers: { openai: createOpenAICompatibleProvider({ apiKey: process.env.OPENAI_API_KEY }) },
 *   concurrency: 32,
 * });
 * const run = engine.run([{ text: 'I loved it' }, { text: 'Meh.' }], {
 *   model: 'openai:gpt-4o-mini',
 *   prompt: 'Return {"sentiment": "positive"|"negative"|"neutral"} for the review {{text}}',
 * });
 * for await (const result of run) console.log(result.index, result.value, result.error);
 * console.log(await run.summary);
 * ```
 */
export function createEngine(options: EngineOptions = {}): Engine {
  validateEngineOptions(options);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const prices = options.prices ?? createPriceTable();
  const concurrency = options.concurrency ?? 16;
  const providers = new Map<string, Provider>([['mock', createMockProvider()]]);
  for (const [name, provider] of Object.entries(options.providers ?? {})) providers.set(name, provider);

  const events = new EventEmitter<EngineEvents>();
  const activeRuns = new Set<Run & EventEmitter<EngineEvents>>();
  const forward = (name: keyof EngineEvents, transition: BreakerTransition) => {
    events.emit(name, transition);
    for (const run of activeRuns) run.emit(name, transition);
  };
  const breaker = createCircuitBreaker({
    failureThreshold: options.breaker?.failureThreshold ?? 5,
    resetTimeoutMs: options.breaker?.resetTimeoutMs ?? 30_000,
    whenOpen: options.breaker?.whenOpen ?? 'wait',
    clock,
    onStateChange: (transition) => {
      const name =
        transition.to === 'open'
          ? 'breaker-open'
          : transition.to === 'half-open'
            ? 'breaker-half-open'
            : 'breaker-close';
      if (transition.to === 'open')
        logger.warn({ ...transition }, 'circuit breaker opened: provider looks unavailable');
      forward(name, transition);
    },
  });
  const retry = createRetryPolicy({ ...options.retry, clock });
  const timeout = createTimeoutPolicy({ timeoutMs: options.timeoutMs ?? 60_000, clock });
  const limiter = createRateLimiter({
    ...(options.requestsPerMinute === undefined ? {} : { requestsPerMinute: options.requestsPerMinute }),
    ...(options.tokensPerMinute === undefined ? {} : { tokensPerMinute: options.tokensPerMinute }),
    clock,
  });
  const policy = wrap(breaker, retry);

  const resolveModel = (model: string): { provider: Provider; model: string; priceKey: string } => {
    const colon = model.indexOf(':');
    if (colon > 0) {
      const provider = providers.get(model.slice(0, colon));
      if (provider !== undefined) return { provider, model: model.slice(colon + 1), priceKey: model };
    }
    const candidates = [...providers.entries()].filter(([name]) => name !== 'mock');
    const only = candidates.length === 1 ? candidates[0] : undefined;
    if (colon < 0 && only !== undefined) return { provider: only[1], model, priceKey: `${only[0]}:${model}` };
    throw new LLMBatchError({
      code: 'invalid-options',
      message: `job.model "${model}" names no registered provider; use provider:model with one of: ${[...providers.keys()].join(', ')}`,
      details: { model, providers: [...providers.keys()] },
    });
  };

  return {
    on: events.on.bind(events),
    once: events.once.bind(events),
    off: events.off.bind(events),
    breakerState: () => breaker.state,
    run(source, job, runOptions = {}) {
      validateJob(job);
      if (
        source === null ||
        typeof source !== 'object' ||
        !(Symbol.asyncIterator in source || Symbol.iterator in source)
      ) {
        throw new LLMBatchError({
          code: 'invalid-options',
          message: 'source must be an iterable or async iterable of units',
        });
      }
      const resolved = resolveModel(job.model);
      const user = compileTemplate(job.prompt, job.interpolation);
      const system = job.system === undefined ? undefined : compileTemplate(job.system, job.interpolation);
      const run = createRun(source, {
        ...resolved,
        job,
        builder: createMessageBuilder(user, system),
        concurrency,
        reorderWindow: options.reorderWindow ?? Math.max(1024, concurrency * 8),
        ordered: runOptions.ordered ?? true,
        checkpoint: runOptions.checkpoint,
        signal: runOptions.signal,
        policy,
        admit: (tokens, signal) => limiter.acquire(tokens, signal),
        timeout,
        prices,
        clock,
        logger,
        progressIntervalMs: options.progressIntervalMs ?? 500,
        breakerState: () => breaker.state,
      }) as Run & EventEmitter<EngineEvents>;
      activeRuns.add(run);
      void run.summary.then(() => activeRuns.delete(run));
      return run;
    },
    async close() {
      await Promise.all([...providers.values()].map((provider) => provider.close?.()));
    },
  };
}
