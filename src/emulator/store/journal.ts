import type { EventRecord } from './types.js';

/** Where committed records go before a write is acknowledged (a file when persistent, nowhere otherwise). */
export interface Journal {
  /** Durably hands over one commit (all-or-nothing on recovery); throws when it cannot. */
  write(records: readonly EventRecord[]): void;
  close(): void;
}

export const noJournal: Journal = {
  write: () => undefined,
  close: () => undefined,
};
