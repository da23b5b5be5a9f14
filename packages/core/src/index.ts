export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { CheckpointStore } from './engine/checkpoint.js';
export { createMemoryCheckpoint } from './engine/checkpoint.js';
export type { Engine } from './engine/create-engine.js';
export { createEngine } from './engine/create-engine.js';
export type { BreakerTransition, EngineEvents, RunEvents } from './engine/events.js';
export type { EngineOptions, JobSpec, RunOptions } from './engine/options.js';
export type { CachedResult, MemoryCacheOptions, ResultCache } from './engine/result-cache.js';
export { createMemoryCache } from './engine/result-cache.js';
export type { Run } from './engine/run.js';
export type { LLMBatchErrorCode, LLMBatchErrorOptions, SerializedError } from './errors.js';
export { LLMBatchError, toLLMBatchError } from './errors.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { ExtractResult } from './output/extract-json.js';
export { extractJson } from './output/extract-json.js';
export type { CompiledOutputSchema, OutputSchema, ValidationIssue } from './output/output-schema.js';
export { compileOutputSchema } from './output/output-schema.js';
export { parseOutput } from './output/parse-output.js';
export type { AdaptiveOptions, ConcurrencyChange } from './policies/adaptive-concurrency.js';
export type {
  BreakerStateChange,
  CircuitBreaker,
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
} from './policies/circuit-breaker.js';
export { createCircuitBreaker } from './policies/circuit-breaker.js';
export type { Policy, PolicyContext } from './policies/policy.js';
export { wrap } from './policies/policy.js';
export type { RateLimiter, RateLimiterOptions } from './policies/rate-limiter.js';
export { createRateLimiter } from './policies/rate-limiter.js';
export type { RetryEvent, RetryPolicyOptions } from './policies/retry.js';
export { createRetryPolicy, parseRetryAfter } from './policies/retry.js';
export type { TimeoutPolicyOptions } from './policies/timeout.js';
export { createTimeoutPolicy } from './policies/timeout.js';
export type { Estimate, EstimateOptions } from './pricing/estimate.js';
export type { ModelPrice, PriceTable, PriceTableOptions } from './pricing/price-table.js';
export { createPriceTable } from './pricing/price-table.js';
export type { TokenCounter } from './pricing/token-counter.js';
export { createTokenCounter } from './pricing/token-counter.js';
export type { MessageBuilder } from './prompt/messages.js';
export { createMessageBuilder } from './prompt/messages.js';
export type { CompiledTemplate, Interpolation } from './prompt/template.js';
export { compileTemplate } from './prompt/template.js';
export type { AnthropicProviderOptions } from './providers/anthropic.js';
export { createAnthropicProvider } from './providers/anthropic.js';
export { readAnthropicRateLimitHeaders } from './providers/anthropic-headers.js';
export { defaultMaxOutputTokens } from './providers/max-tokens.js';
export type { MockProviderOptions } from './providers/mock.js';
export { createMockProvider } from './providers/mock.js';
export type { OpenAICompatibleProviderOptions } from './providers/openai-compatible.js';
export {
  createOpenAICompatibleProvider,
  parseDuration,
  readRateLimitHeaders,
} from './providers/openai-compatible.js';
export type {
  ChatMessage,
  HttpProviderOptions,
  Provider,
  ProviderRequest,
  ProviderResponse,
  RateLimitInfo,
  ResponseFormat,
} from './providers/provider.js';
export type { ParsedModel, ProvidersConfig } from './providers/registry.js';
export {
  createProviderByName,
  createProviderFromModel,
  createProviders,
  parseModelString,
} from './providers/registry.js';
export type {
  AttemptRecord,
  BreakerState,
  BudgetSummary,
  JsonValue,
  RunEndReason,
  RunProgress,
  RunSummary,
  Unit,
  UnitResult,
  Usage,
} from './types.js';
export { addUsage, emptyUsage } from './types.js';
