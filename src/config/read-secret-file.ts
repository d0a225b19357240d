import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { describeReadError } from './describe-read-error.js';

/** Reads a secret from a file (mounted Kubernetes/Docker secret), trimmed. Errors never include the content. */
export function readSecretFile(file: string, baseDir: string): { value: string } | { error: string } {
  const full = isAbsolute(file) ? file : resolve(baseDir, file);
  const shown = full === file ? JSON.stringify(file) : `${JSON.stringify(file)} (${full})`;
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    const reason = describeReadError(err);
    return { error: `cannot read ${shown}: ${reason}` };
  }
  const value = text.trim();
  if (value === '') return { error: `${shown} is empty` };
  return { value };
}
