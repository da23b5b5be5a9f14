// The server benchmark's input: the engine bench's units written as a CSV file (columns id, text), so
// the job's prompt `Classify: {{text}}` sends the same request bodies as `bench/engine.mjs`.
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { generateUnits, job } from './workload.mjs';

/** The job body every server run posts (besides file, key and concurrency): the engine bench's job. */
export const serverJob = { model: job.model.replace(/^openai:/, ''), prompt: job.prompt };

/**
 * Writes `units` rows of {@link generateUnits} to `path` as CSV with a header line, streaming.
 *
 * @example
 * await writeUnitsCsv('/tmp/data.csv', 100_000);
 */
export async function writeUnitsCsv(path, units) {
  const out = createWriteStream(path);
  out.write('id,text\n');
  for (const unit of generateUnits(units)) {
    // The text holds commas but never quotes, so quoting it is enough.
    if (!out.write(`${unit.id},"${unit.text}"\n`)) await new Promise((resolve) => out.once('drain', resolve));
  }
  out.end();
  await finished(out);
}
