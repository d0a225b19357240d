/**
 * Connection strings may carry `user:password@`; nothing we log, print, expose in status or metrics may
 * show it. Every place that renders a connection string goes through this function.
 */
export function redactConnectionString(cs: string): string {
  return cs.replace(/^([a-z+]+:\/\/)([^@/?#]*)@/i, (_m, scheme: string) => `${scheme}***:***@`);
}

/** Replaces every credential-looking `scheme://user:pass@` inside free text (error messages). */
export function redactText(text: string): string {
  return text.replace(/([a-z+]+:\/\/)([^@/\s?#]*)@/gi, (_m, scheme: string) => `${scheme}***:***@`);
}
