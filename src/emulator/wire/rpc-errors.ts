import { Metadata, status, type StatusObject } from '@grpc/grpc-js';

/**
 * gRPC errors shaped like the real server's `RpcExceptions` (status code, message and the `exception`
 * trailer family from KurrentDB's `Constants.cs`), which the client's `convertToCommandError` maps.
 */
export type RpcError = StatusObject;

function make(code: status, details: string, trailers: Record<string, string> = {}): RpcError {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
  return { code, details, metadata };
}

export const rpcErrors = {
  streamDeleted: (streamName: string): RpcError =>
    make(status.FAILED_PRECONDITION, `Event stream '${streamName}' is deleted.`, {
      exception: 'stream-deleted',
      'stream-name': streamName,
    }),
  wrongExpectedVersion: (streamName: string, expected: bigint, actual: bigint): RpcError =>
    make(
      status.FAILED_PRECONDITION,
      `Append failed due to WrongExpectedVersion. Stream: ${streamName}, Expected version: ${expected}, Actual version: ${actual}`,
      {
        exception: 'wrong-expected-version',
        'stream-name': streamName,
        'expected-version': expected.toString(),
        // The real server leaves it empty for "no stream"; the client reads empty as `no_stream`.
        'actual-version': actual < 0n ? '' : actual.toString(),
      },
    ),
  maxAppendSize: (maxAppendSize: number): RpcError =>
    make(status.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendSize} Exceeded.`, {
      exception: 'maximum-append-size-exceeded',
      'maximum-append-size': String(maxAppendSize),
    }),
  missingMetadata: (property: string): RpcError =>
    make(status.INVALID_ARGUMENT, `Required Metadata Property '${property}' is missing`, {
      exception: 'missing-required-metadata-property',
      'required-metadata-properties': 'type,content-type',
    }),
  notLeader: (host: string, port: number): RpcError =>
    make(status.NOT_FOUND, 'Leader info available', {
      exception: 'not-leader',
      'leader-endpoint-host': host,
      'leader-endpoint-port': String(port),
    }),
  unavailable: (): RpcError => make(status.UNAVAILABLE, 'Server Is Not Ready'),
  /** `RpcExceptions.AccessDenied()`: an authorization failure. */
  accessDenied: (): RpcError => make(status.PERMISSION_DENIED, 'Access Denied', { exception: 'access-denied' }),
  /** The authentication middleware's answer to bad credentials: no `exception` trailer. */
  unauthenticated: (): RpcError => make(status.UNAUTHENTICATED, 'Unauthenticated'),
  deadline: (): RpcError => make(status.DEADLINE_EXCEEDED, 'Operation timed out'),
  cancelled: (): RpcError => make(status.CANCELLED, 'Operation was cancelled'),
  internal: (message = 'Internal emulator error'): RpcError => make(status.INTERNAL, message),
  /** What ASP.NET gRPC answers when a handler throws (e.g. `Guid.Parse` on a malformed UUID). */
  handlerThrew: (): RpcError => make(status.UNKNOWN, 'Exception was thrown by handler.'),
  invalidArgument: (message: string): RpcError => make(status.INVALID_ARGUMENT, message),
};
