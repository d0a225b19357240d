#!/usr/bin/env node
// Thin shim: the CLI lives in the compiled sources so `npx esdb-linker` and `node bin/esdb-linker.js` agree.
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`esdb-linker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
