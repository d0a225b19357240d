import { createRequire } from 'node:module';
import type * as GrpcJs from '@grpc/grpc-js';

const require = createRequire(import.meta.url);

/** Loads a module as `@eventstore/db-client` resolves it (its generated code, its grpc-js). */
export const clientRequire = createRequire(require.resolve('@eventstore/db-client'));

/**
 * The client's own grpc-js: its channels, credentials and clients are only usable with the grpc-js that made
 * them, which need not be the one this package resolves.
 */
export const clientGrpc = clientRequire('@grpc/grpc-js') as typeof GrpcJs;
