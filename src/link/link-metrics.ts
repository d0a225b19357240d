import type { ConflictPolicy } from './link-options.js';
import type { LinkState } from './link-status.js';

/**
 * What a link reports as it works. src/observability implements it over prom-client with the link,
 * origin and destination labels already bound; tests and tools that need no metrics use `noopLinkMetrics`.
 */
export interface LinkMetrics {
  replicated(events: number, bytes: number): void;
  appendLatency(seconds: number): void;
  batchSize(events: number): void;
  bufferFill(events: number, bytes: number): void;
  conflict(policy: ConflictPolicy): void;
  retry(reason: string): void;
  checkpoint(commitPosition: bigint): void;
  lag(events: number, seconds: number): void;
  state(state: LinkState): void;
}

export const noopLinkMetrics: LinkMetrics = {
  replicated: () => {},
  appendLatency: () => {},
  batchSize: () => {},
  bufferFill: () => {},
  conflict: () => {},
  retry: () => {},
  checkpoint: () => {},
  lag: () => {},
  state: () => {},
};

export type LinkMetricsFactory = (labels: { link: string; origin: string; destination: string }) => LinkMetrics;
