import type { Logger } from 'pino';
import type { EmulatorSecureOptions, EmulatorSecurityInfo } from './security/secure-mode.js';

/** Options of an embedded emulator. Every field is optional: `startEmulator()` gives a memory-only server on a free loopback port. */
export interface EmulatorOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  /** Directory for the append-only log; memory only when unset. */
  dataDir?: string;
  /** Advertise BatchAppend in ServerFeatures (the client then uses it). @defaultValue true */
  batchAppend?: boolean;
  /** The real server's MaxAppendSize. @defaultValue 1_048_576 */
  maxAppendSize?: number;
  /**
   * Secure mode: TLS, users (`admin`/`ops`, password `changeit`) and ACLs, as a real secure node. `true` makes a
   * development CA and node certificate (in `dataDir/certs`, or a temporary folder). @defaultValue false
   */
  secure?: boolean | EmulatorSecureOptions;
  logger?: Logger;
}

/** Error kinds `failNextAppends` can inject; each is signalled exactly as the real server signals it. */
export type InjectedAppendError = 'unavailable' | 'deadline' | 'not-leader' | 'cancelled' | 'internal';

/** Test hooks. Every fault stays until it expires, is released, or `reset()` is called. */
export interface EmulatorFaults {
  /** Closes every open gRPC call and connection now (clients see UNAVAILABLE and reconnect). */
  dropConnections(): void;
  /** Answers every call with UNAVAILABLE for `ms` milliseconds. */
  unavailableFor(ms: number): void;
  /** Adds `ms` of latency before every append is processed (0 removes it). */
  setAppendLatency(ms: number): void;
  /** Appends received from now on wait until the returned function is called (or `reset()`). */
  hangAppends(): () => void;
  /** The next `n` appends (Append or BatchAppend requests) fail with `error` and write nothing. */
  failNextAppends(n: number, error?: InjectedAppendError): void;
  /** Removes every fault. */
  reset(): void;
}

export interface Emulator {
  readonly host: string;
  readonly port: number;
  /** `esdb://HOST:PORT?tls=false`, or `esdb://admin:changeit@HOST:PORT?tls=true&tlsCAFile=/abs/ca.crt` when secure */
  readonly connectionString: string;
  /** The CA file and a user-certificate issuer in secure mode; undefined when insecure. */
  readonly security: EmulatorSecurityInfo | undefined;
  readonly faults: EmulatorFaults;
  /**
   * Streaming calls open now (subscriptions, reads, BatchAppend streams): a client that forgets to close its
   * streams shows here, as it would in the real server's open HTTP/2 streams.
   */
  readonly openCalls: number;
  /** Stops accepting calls, ends open calls, flushes the log (when persistent) and closes. Idempotent. */
  stop(): Promise<void>;
}
