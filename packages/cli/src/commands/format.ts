import type { Estimate, RunSummary } from '@llmbatch/core';

const usd = (value: number) => `$${value < 0.01 && value > 0 ? value.toFixed(6) : value.toFixed(4)}`;

/** The estimate as printed by `llmbatch estimate` and before a run. */
export function formatEstimate(estimate: Estimate): string {
  const lines = [
    `Estimate for ${estimate.units} units with ${estimate.model} (prices ${estimate.pricingVersion}, tokens by ${estimate.tokenizer}):`,
    `  input tokens   ${estimate.inputTokens}`,
    `  output tokens  low ${estimate.outputTokens.low}  expected ${estimate.outputTokens.expected}  high ${estimate.outputTokens.high}`,
    estimate.cost === null
      ? '  cost           unknown (no price for this model)'
      : `  cost           low ${usd(estimate.cost.low)}  expected ${usd(estimate.cost.expected)}  high ${usd(estimate.cost.high)}`,
    `  over context   ${estimate.overContextWindow} units${estimate.overContextKeys.length > 0 ? ` (${estimate.overContextKeys.join(', ')})` : ''}`,
  ];
  for (const warning of estimate.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}

/** The closing summary of a run. */
export function formatSummary(summary: RunSummary, previouslyDone: number): string {
  const cost = summary.cost === null ? 'unknown (no price for this model)' : usd(summary.cost);
  const lines = [
    `${summary.reason === 'completed' ? 'Done' : `Stopped (${summary.reason})`}: ${summary.succeeded} ok, ${summary.failed} failed${summary.skipped > 0 ? `, ${summary.skipped} already done` : ''}${summary.notAttempted > 0 ? `, ${summary.notAttempted} not attempted` : ''} in ${(summary.durationMs / 1000).toFixed(1)}s`,
    `Tokens: ${summary.usage.inputTokens} in (${summary.usage.cachedInputTokens} cached), ${summary.usage.outputTokens} out; cost ${cost}; retries ${summary.retries}`,
  ];
  if (previouslyDone > 0) lines.push(`Resumed: ${previouslyDone} units were already in the output.`);
  return lines.join('\n');
}
