#!/usr/bin/env node
// Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`).
//
//   node bench/lib/profile-summary.mjs FILE.cpuprofile [--top 25] [--filter packages/core] [--inclusive]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Sums self time per function (name + script + line) and returns the largest first, with each one's
 * share of the sampled time.
 *
 * @example
 * summariseProfile(JSON.parse(readFileSync('CPU.cpuprofile', 'utf8'))).slice(0, 10);
 */
export function summariseProfile(profile, { inclusive = false } = {}) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const selfMicros = new Map();
  let totalMicros = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    totalMicros += delta;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  });
  const byFunction = new Map();
  for (const [id, micros] of selfMicros) {
    // Self time counts the sampled frame only; inclusive time counts every distinct function on its stack.
    const labels = new Set();
    for (let current = id; current !== undefined; current = inclusive ? parents.get(current) : undefined) {
      const frame = nodes.get(current)?.callFrame;
      if (frame !== undefined) labels.add(frameLabel(frame));
    }
    for (const label of labels) byFunction.set(label, (byFunction.get(label) ?? 0) + micros);
  }
  return [...byFunction]
    .map(([label, micros]) => ({ label, ms: micros / 1000, share: micros / totalMicros }))
    .sort((a, b) => b.ms - a.ms);
}

function frameLabel(frame) {
  const where = frame.url === '' ? '' : `${frame.url.replace(/^file:\/\//, '')}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'} ${where}`.trim();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    options: {
      top: { type: 'string', default: '25' },
      filter: { type: 'string' },
      inclusive: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  for (const file of positionals) {
    const rows = summariseProfile(JSON.parse(readFileSync(file, 'utf8')), { inclusive: values.inclusive });
    const shown =
      values.filter === undefined ? rows : rows.filter((row) => row.label.includes(values.filter));
    process.stdout.write(`${file}\n`);
    for (const row of shown.slice(0, Number(values.top))) {
      process.stdout.write(
        `${(row.share * 100).toFixed(1).padStart(5)}%  ${row.ms.toFixed(0).padStart(7)} ms  ${row.label}\n`,
      );
    }
  }
}
