export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { LLMBatchErrorCode, LLMBatchErrorOptions, SerializedError } from './errors.js';
export { LLMBatchError, toLLMBatchError } from './errors.js';
export type { Policy, PolicyContext } from './policies/policy.js';
export { wrap } from './policies/policy.js';
export type {
  ChatMessage,
  HttpProviderOptions,
  Provider,
  ProviderRequest,
  ProviderResponse,
  RateLimitInfo,
  ResponseFormat,
} from './providers/provider.js';
export type {
  AttemptRecord,
  BreakerState,
  JsonValue,
  RunEndReason,
  RunProgress,
  RunSummary,
  Unit,
  UnitResult,
  Usage,
} from './types.js';
export { addUsage, emptyUsage } from './types.js';
