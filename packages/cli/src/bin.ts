#!/usr/bin/env node
import { applyNodeFlags } from './node-flags.js';

// First, before the command line's modules load: this may restart the process with tuned V8 flags.
applyNodeFlags();
const { runCli } = await import('./cli.js');
const { processIO } = await import('./io.js');
process.exitCode = await runCli(process.argv.slice(2), processIO());
