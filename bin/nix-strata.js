#!/usr/bin/env node
// Entry point of the compiled builder (run `npm run build` first).
import { main } from '../dist/cli/main.js';

await main(process.argv);
