/** Why `source` does not compile as a JS regular expression, or undefined when it does. */
export function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
  }
}
