// The server benchmark's job: the engine bench's, so with the units of `writeUnitsCsv` (columns id,
// text) the prompt `Classify: {{text}}` sends the same request bodies as `bench/engine.mjs`.
import { job } from './workload.mjs';

/** The job body every server run posts (besides file, key and concurrency): the engine bench's job. */
export const serverJob = { model: job.model.replace(/^openai:/, ''), prompt: job.prompt };
