/**
 * Output tokens assumed when a job sets no `maxTokens`: what the Anthropic provider sends as
 * `max_tokens`, the worst case a `maxCost` budget reserves per call, and the `high` bound of an
 * estimate.
 *
 * @example
 * ```ts
 * const reserved = job.maxTokens ?? defaultMaxOutputTokens; // 4096
 * ```
 */
export const defaultMaxOutputTokens = 4096;
