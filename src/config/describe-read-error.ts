/** Why a file could not be read, in words a user acts on (config files and secret files alike). */
export function describeReadError(err: unknown, fallback = 'unreadable'): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return code ?? fallback;
}
