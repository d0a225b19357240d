import { createRequire } from 'node:module';
import type * as AnyPb from 'google-protobuf/google/protobuf/any_pb.js';
import type * as EmptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import type * as SharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type * as StatusPb from '@eventstore/db-client/generated/status_pb.js';
import type * as StreamsPb from '@eventstore/db-client/generated/streams_pb.js';

/**
 * The client's own generated google-protobuf classes, loaded the way the client loads them (its copy of
 * google-protobuf), so the hand-written wire codecs are cross-checked against exactly what it speaks.
 */
const clientRequire = createRequire(createRequire(import.meta.url).resolve('@eventstore/db-client'));

export const streamsPb = clientRequire('../generated/streams_pb.js') as typeof StreamsPb;
export const sharedPb = clientRequire('../generated/shared_pb.js') as typeof SharedPb;
export const statusPb = clientRequire('../generated/status_pb.js') as typeof StatusPb;
export const anyPb = clientRequire('google-protobuf/google/protobuf/any_pb.js') as typeof AnyPb;
export const emptyPb = clientRequire('google-protobuf/google/protobuf/empty_pb.js') as typeof EmptyPb;
