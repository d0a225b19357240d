import { redactConnectionString, redactText } from '../shared/redact.js';

const MAX_SHOWN = 80;

/**
 * Renders a bad value for a problem message. Secrets are never echoed; connection strings lose their
 * credentials; any other string is scrubbed of `scheme://user:pass@` in case a credential landed in the wrong key.
 */
export function describeValue(value: unknown, options: { secret?: boolean; connectionString?: boolean } = {}): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    if (options.connectionString === true) return quote(redactConnectionString(value));
    if (options.secret === true) return `a ${value.length}-character secret (not shown)`;
    return quote(redactText(value));
  }
  return String(value);
}

function quote(text: string): string {
  const shown = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
  return JSON.stringify(shown);
}
