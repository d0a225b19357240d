import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { decodeBatchAppendReq } from './wire/batch-append-decoder.js';

/** The directory holding the emulator's hand-written `.proto` files (copied next to the compiled code). */
export const PROTO_DIR = fileURLToPath(new URL('./protos/', import.meta.url));

const FILES = [
  'shared.proto',
  'status.proto',
  'streams.proto',
  'serverfeatures.proto',
  'gossip.proto',
  'operations.proto',
];

export interface EmulatorServices {
  streams: ServiceDefinition;
  serverFeatures: ServiceDefinition;
  gossip: ServiceDefinition;
  operations: ServiceDefinition;
}

// Parsed once per process: the definitions are immutable and parsing costs tens of ms per emulator start.
let cached: PackageDefinition | undefined;

export function loadPackageDefinition(): PackageDefinition {
  cached ??= loadSync(FILES, {
    keepCase: true,
    longs: String,
    enums: Number,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  return cached;
}

/**
 * Service definitions whose response serializers let pre-encoded Buffers through untouched, so the hot
 * paths (events on reads and subscriptions) can send cached encodings.
 */
export function loadServices(): EmulatorServices {
  const pkg = loadPackageDefinition();
  return {
    streams: withFastBatchAppendDecoder(
      passThroughBuffers(pkg['event_store.client.streams.Streams'] as ServiceDefinition),
    ),
    serverFeatures: pkg['event_store.client.server_features.ServerFeatures'] as ServiceDefinition,
    gossip: pkg['event_store.client.gossip.Gossip'] as ServiceDefinition,
    operations: pkg['event_store.client.operations.Operations'] as ServiceDefinition,
  };
}

function passThroughBuffers(service: ServiceDefinition): ServiceDefinition {
  const result: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    const serialize = method.responseSerialize;
    result[name] = {
      ...method,
      responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : serialize(value)),
    };
  }
  return result as ServiceDefinition;
}

/** BatchAppend requests go through the hand-written decoder; anything it rejects gets the generic one. */
function withFastBatchAppendDecoder(service: ServiceDefinition): ServiceDefinition {
  const method = service.BatchAppend;
  if (method === undefined) return service;
  const generic = method.requestDeserialize;
  return {
    ...service,
    BatchAppend: {
      ...method,
      requestDeserialize: (buf: Buffer) => {
        try {
          return decodeBatchAppendReq(buf);
        } catch {
          return generic(buf);
        }
      },
    },
  };
}
