import { EventEmitter } from 'eventemitter3';
import { systemClock } from '../clock.js';
import { LLMBatchError } from '../errors.js';
import { createDeadlines } from '../internal/deadline-queue.js';
import { silentLogger } from '../logger.js';
import { compileOutputSchema } from '../output/output-schema.js';
import { AdaptiveConcurrency } from '../policies/adaptive-concurrency.js';
import { createBreakerGate } from '../policies/circuit-breaker.js';
import { createRateLimiter } from '../policies/rate-limiter.js';
import { createRetrySchedule } from '../policies/retry.js';
import { parseTimeoutMs } from '../policies/timeout.js';
import { type Estimate, type EstimateOptions, estimateJob } from '../pricing/estimate.js';
import { createPriceTable } from '../pricing/price-table.js';
import { createMessageBuilder } from '../prompt/messages.js';
import { compileTemplate } from '../prompt/template.js';
import { defaultMaxOutputTokens } from '../providers/max-tokens.js';
import { createMockProvider } from '../providers/mock.js';
import type { Provider, ResponseFormat } from '../providers/provider.js';
import { createProviderByName, parseModelString } from '../providers/registry.js';
import type { BreakerState, Unit } from '../types.js';
import { Budget } from './budget.js';
import { DedupIndex } from './dedup.js';
import type { BreakerTransition, EngineEvents } from './events.js';
import {
  type EngineOptions,
  type JobSpec,
  type RunOptions,
  validateEngineOptions,
  validateJob,
  validateRunOptions,
} from './options.js';
import { createRun, type Run, type RunHandle } from './run.js';

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
  /**
   * What `job` over `source` would cost, without calling any provider: streams the source once (bounded
   * memory), renders every prompt and counts its tokens (exactly for OpenAI models), and bounds the
   * output by `maxTokens`. Needs no API key. See docs/cost.md.
   */
  estimate(
    source: AsyncIterable<Unit> | Iterable<Unit>,
    job: JobSpec,
    options?: EstimateOptions,
  ): Promise<Estimate>;
  /** The circuit breaker's current state. */
  breakerState(): BreakerState;
  /** Calls allowed in flight right now: the adaptive controller's limit, or `concurrency`. */
  concurrency(): number;
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
  const config = options.providerConfig;
  const configured = new Set(['openai', 'anthropic', 'mock', ...Object.keys(config?.compatible ?? {})]);

  const events = new EventEmitter<EngineEvents>();
  const activeRuns = new Set<RunHandle>();
  const forward = (
    name: 'breaker-open' | 'breaker-half-open' | 'breaker-close',
    transition: BreakerTransition,
  ) => {
    events.emit(name, transition);
    for (const run of activeRuns) run.emit(name, transition);
  };
  const breaker = createBreakerGate({
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
  const retry = createRetrySchedule({ ...options.retry, clock });
  // The engine runs each attempt's deadline itself (callWithDeadline in unit-call.ts).
  const deadlines = createDeadlines(parseTimeoutMs({ timeoutMs: options.timeoutMs ?? 60_000 }), clock);
  const limiter = createRateLimiter({
    ...(options.requestsPerMinute === undefined ? {} : { requestsPerMinute: options.requestsPerMinute }),
    ...(options.tokensPerMinute === undefined ? {} : { tokensPerMinute: options.tokensPerMinute }),
    clock,
  });
  // Without limits every call may go at once: no promise to await on the hot path.
  const limited = options.requestsPerMinute !== undefined || options.tokensPerMinute !== undefined;
  const admit = limited
    ? (tokens: number, signal: AbortSignal) => limiter.acquire(tokens, signal)
    : () => undefined;
  const adaptive =
    options.adaptive === undefined || options.adaptive === false
      ? undefined
      : new AdaptiveConcurrency(options.adaptive === true ? {} : options.adaptive, {
          maxConcurrency: concurrency,
          clock,
          onChange: (change) => {
            logger.debug({ ...change }, `concurrency ${change.from} -> ${change.to} (${change.reason})`);
            events.emit('concurrency-change', change);
            for (const run of activeRuns) run.setConcurrency(change);
          },
          onPacing: (pacing) =>
            logger.debug(
              { ...pacing },
              pacing === undefined ? 'pacing off' : 'pacing from rate-limit headers',
            ),
        });

  const providerNamed = (name: string): Provider | undefined => {
    const known = providers.get(name);
    if (known !== undefined || config === undefined) return known;
    const built = createProviderByName(name, config);
    if (built !== undefined) providers.set(name, built);
    return built;
  };

  /** Finds the provider of a model string; `build: false` only names it (estimates need no key). */
  const resolveModel = (model: string, build: boolean) => {
    const colon = model.indexOf(':');
    const prefix = colon > 0 ? model.slice(0, colon) : undefined;
    let name: string | undefined;
    let bare = model;
    if (prefix !== undefined && (providers.has(prefix) || (config !== undefined && configured.has(prefix)))) {
      name = prefix;
      bare = model.slice(colon + 1);
    } else if (colon < 0) {
      const candidates = [...providers.keys()].filter((candidate) => candidate !== 'mock');
      const only = candidates.length === 1 ? candidates[0] : undefined;
      name = only ?? (config === undefined ? undefined : parseModelString(model).provider);
    }
    const provider = name === undefined ? undefined : build ? providerNamed(name) : providers.get(name);
    if (name === undefined || (build && provider === undefined)) {
      throw new LLMBatchError({
        code: 'invalid-options',
        message: `job.model "${model}" names no registered provider; use provider:model with one of: ${[...new Set([...providers.keys(), ...(config === undefined ? [] : configured)])].join(', ')}`,
        details: { model, providers: [...providers.keys()] },
      });
    }
    return { name, provider, model: bare, priceKey: `${name}:${bare}` };
  };

  /** Everything about a job that does not depend on the units, checked and compiled once. */
  const prepare = (job: JobSpec, build: boolean) => {
    validateJob(job);
    const resolved = resolveModel(job.model, build);
    const user = compileTemplate(job.prompt, job.interpolation);
    const system = job.system === undefined ? undefined : compileTemplate(job.system, job.interpolation);
    const schema = job.schema === undefined ? undefined : compileOutputSchema(job.schema, job.schemaName);
    const responseFormat: ResponseFormat | undefined =
      job.responseFormat ??
      (schema === undefined
        ? undefined
        : { type: 'json_schema', name: schema.name, schema: schema.jsonSchema, strict: schema.strict });
    const maxRepairAttempts = schema === undefined ? 0 : (job.maxRepairAttempts ?? 1);
    return { ...resolved, user, system, schema, responseFormat, maxRepairAttempts };
  };

  const checkSource = (source: unknown): void => {
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
  };

  return {
    on: events.on.bind(events),
    once: events.once.bind(events),
    off: events.off.bind(events),
    breakerState: () => breaker.state,
    concurrency: () => adaptive?.limit ?? concurrency,
    run(source, job, runOptions = {}) {
      validateRunOptions(runOptions);
      const prepared = prepare(job, true);
      checkSource(source);
      const { provider, schema, responseFormat, maxRepairAttempts } = prepared;
      if (provider === undefined)
        throw new LLMBatchError({ code: 'invalid-options', message: 'no provider' });
      const price = prices.lookup(prepared.priceKey);
      if (runOptions.maxCost !== undefined && price === undefined) {
        throw new LLMBatchError({
          code: 'invalid-options',
          message: `maxCost needs a known price for ${prepared.priceKey}: add a price override`,
          details: { model: prepared.priceKey },
        });
      }
      const dedupOption = runOptions.dedup ?? false;
      const dedupEntries =
        dedupOption === false ? 0 : dedupOption === true ? 10_000 : (dedupOption.maxEntries ?? 10_000);
      const keyed = dedupEntries > 0 || options.cache !== undefined;
      const run = createRun(source, {
        provider,
        model: prepared.model,
        priceKey: prepared.priceKey,
        job,
        builder: createMessageBuilder(prepared.user, prepared.system),
        concurrency,
        reorderWindow: options.reorderWindow ?? Math.max(1024, concurrency * 8),
        ordered: runOptions.ordered ?? true,
        checkpoint: runOptions.checkpoint,
        signal: runOptions.signal,
        breaker,
        retry,
        admit,
        deadlines,
        prices,
        priceKnown: price !== undefined,
        price,
        clock,
        logger,
        progressIntervalMs: options.progressIntervalMs ?? 500,
        breakerState: () => breaker.state,
        schema,
        responseFormat,
        maxRepairAttempts,
        dedup: dedupEntries > 0 ? new DedupIndex(dedupEntries) : undefined,
        cache: options.cache,
        budget: runOptions.maxCost === undefined ? undefined : new Budget(runOptions.maxCost),
        maxOutputTokens: job.maxTokens ?? defaultMaxOutputTokens,
        extraInputBytes: schema === undefined ? 0 : Buffer.byteLength(schema.fingerprint, 'utf8'),
        adaptive,
        fingerprint: keyed
          ? JSON.stringify([
              provider.name,
              prepared.model,
              job.temperature ?? null,
              job.maxTokens ?? null,
              job.seed ?? null,
              responseFormat ?? null,
              job.headers ?? null,
              job.output ?? 'json',
              schema?.fingerprint ?? null,
              maxRepairAttempts,
              // The number of messages, so a request key is read the same way in every run.
              job.system === undefined ? 1 : 2,
            ])
          : '',
      });
      activeRuns.add(run);
      void run.summary.then(() => activeRuns.delete(run));
      return run;
    },
    async estimate(source, job, estimateOptions = {}) {
      const prepared = prepare(job, false);
      checkSource(source);
      return estimateJob(
        source,
        {
          providerName: prepared.name,
          model: prepared.model,
          priceKey: prepared.priceKey,
          job,
          user: prepared.user,
          system: prepared.system,
          schema: prepared.schema,
          maxRepairAttempts: prepared.maxRepairAttempts,
          prices,
        },
        estimateOptions,
      );
    },
    async close() {
      await Promise.all([...providers.values()].map((provider) => provider.close?.()));
    },
  };
}
