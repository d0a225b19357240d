import type { Logger } from 'pino';
import { openLogFile } from '../persistence/log-file.js';
import { EventStore } from './event-store.js';
import { noJournal, type Journal } from './journal.js';

export interface OpenedStore {
  readonly store: EventStore;
  /** Flushes and closes the log file (when persistent). */
  close(): void;
}

/** The log every node of one emulator serves: memory only, or recovered from and journaled to `dataDir`. */
export function openStore(dataDir: string | undefined, logger: Logger): OpenedStore {
  let journal: Journal = noJournal;
  const store = new EventStore({
    journal: { write: (r) => journal.write(r), close: () => journal.close() },
    now: Date.now,
  });
  if (dataDir !== undefined) {
    const opened = openLogFile(dataDir, logger);
    store.load(opened.records);
    journal = opened.journal;
  }
  return { store, close: () => journal.close() };
}
