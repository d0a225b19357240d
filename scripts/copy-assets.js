// Copies non-TypeScript assets (proto files, the status page) next to the compiled code.
import { cpSync, existsSync } from 'node:fs';

const assets = [
  ['src/emulator/protos', 'dist/src/emulator/protos'],
  ['src/observability/page', 'dist/src/observability/page'],
];
for (const [from, to] of assets) {
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
