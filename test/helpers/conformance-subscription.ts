// Records what a catch-up subscription delivers, in order, through `on('data')` (not `for await`, whose early
// return cancels the call and loses later checkpoints), so tests can assert on the sequence afterwards.
import type { Readable } from 'node:stream';
import type { Position } from '@eventstore/db-client';
import { waitUntil } from './conformance-server.js';

export type SubscriptionItem<E> =
  | { readonly kind: 'event'; readonly event: E }
  | { readonly kind: 'caughtUp' }
  | { readonly kind: 'checkpoint'; readonly position: Position };

export class SubscriptionRecorder<E> {
  readonly items: SubscriptionItem<E>[] = [];
  error: unknown = undefined;
  ended = false;
  confirmed = false;

  /** Pass as a filter's `checkpointReached`. */
  readonly checkpointReached = (_sub: unknown, position: Position): void => {
    this.items.push({ kind: 'checkpoint', position });
  };

  attach<S extends Readable>(subscription: S): S {
    subscription.on('data', (event: E) => this.items.push({ kind: 'event', event }));
    subscription.on('confirmation', () => {
      this.confirmed = true;
    });
    subscription.on('caughtUp', () => this.items.push({ kind: 'caughtUp' }));
    subscription.on('error', (err: unknown) => {
      this.error = err;
    });
    subscription.on('end', () => {
      this.ended = true;
    });
    subscription.on('close', () => {
      this.ended = true;
    });
    return subscription;
  }

  get events(): E[] {
    return this.items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));
  }

  get checkpoints(): Position[] {
    return this.items.flatMap((item) => (item.kind === 'checkpoint' ? [item.position] : []));
  }

  get caughtUp(): boolean {
    return this.items.some((item) => item.kind === 'caughtUp');
  }

  /** Waits until `check` holds, failing early (with the subscription's error) if the subscription broke. */
  async waitFor(check: (recorder: this) => boolean, what: string, timeoutMs?: number): Promise<void> {
    await waitUntil(
      () => {
        if (this.error !== undefined)
          throw new Error(`subscription failed while waiting for ${what}`, { cause: this.error });
        return check(this);
      },
      what,
      timeoutMs,
    );
  }

  async waitForError(what: string, timeoutMs?: number): Promise<unknown> {
    await waitUntil(() => this.error !== undefined, what, timeoutMs);
    return this.error;
  }
}
