import {
  AccessDeniedError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type { AppendFailure } from './wire/append-codec.js';

/**
 * The error `@eventstore/db-client` 6.2.1 raises for a refused append (as `unpackToCommandError` in
 * `dist/streams/appendToStream/unpackError.js` and the classic path in `append.js` do), so callers that
 * classify the client's errors (`src/link/recovery/error-kinds.ts`) see the same classes from the raw appender.
 * Unlike the client's BatchAppend path with `throwOnAppendFailure: false`, the current revision of a
 * wrong-expected-version answer is the real one, not `BigInt(hasCurrentStreamRevision())`.
 */
export function appendFailureError(failure: AppendFailure, streamName: string): Error {
  switch (failure.kind) {
    case 'wrong-expected-version':
      return new WrongExpectedVersionError(undefined, {
        streamName,
        current: failure.current,
        expected: failure.expected,
      });
    case 'stream-deleted':
      return StreamDeletedError.fromStreamName(streamName);
    case 'access-denied':
      return new AccessDeniedError();
    case 'timeout':
      return new DeadlineExceededError();
    case 'unknown':
      return new UnknownError();
    case 'maximum-append-size-exceeded':
      return MaxAppendSizeExceededError.fromMaxAppendSize(failure.maxAppendSize);
    case 'unrecognized':
      return new UnknownError(undefined, `Could not recognize ${failure.message}`);
  }
}
