#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm ci` builds it through the prepare script.
// V8's young generation is sized first: loading the CLI's modules would grow it already. Every option
// belongs to a subcommand, so the command is the first argument.
import { applySemiSpaceGrowth } from '../dist/runtime/semi-space-growth.js';

applySemiSpaceGrowth(process.argv[2]);
await import('../dist/cli/main.js');
