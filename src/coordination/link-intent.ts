/**
 * What an operator wants of a link, stored on the coordinator so it outlives any owner: whichever member
 * holds the link applies it, and a new owner applies it before starting the link.
 */
export interface LinkIntent {
  paused: boolean;
}

export function intentOf(value: unknown): LinkIntent {
  return { paused: typeof value === 'object' && value !== null && (value as { paused?: unknown }).paused === true };
}
