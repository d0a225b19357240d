#!/usr/bin/env node
// Thin shim: the CLI lives in the compiled sources so `npx esdb-linker` and `node bin/esdb-linker.js` agree.
import { main } from '../dist/src/cli/main.js';

// Exit explicitly once the command is done and stdout/stderr are flushed, instead of letting the loop run
// dry: Node can spin forever in its exit clean-up (100 % CPU, never exiting) when an HTTP/2 stream was
// destroyed mid-write (nodejs/node#58252), and grpc-js streams die that way whenever a server or the
// network drops a connection. Seen in the chaos harness, whose clients live through hundreds of such drops.
function exitWith(code) {
  process.exitCode = code;
  let pending = 2;
  const flushed = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}

main(process.argv).then(exitWith, (err) => {
  process.stderr.write(`esdb-linker: ${err instanceof Error ? err.message : String(err)}\n`);
  exitWith(1);
});
