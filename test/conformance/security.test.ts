// Security conformance with `@eventstore/db-client` through the printed connection string: TLS, users, ACLs and
// each RPC's access-denied shape. Against a real server: ESDB_SECURE_URL (see docs/conformance.md).
import { AccessDeniedError, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { defineSecurityCases } from '../helpers/security-cases.js';

defineSecurityCases({
  name: '@eventstore/db-client',
  connect: (cs) => EventStoreDBClient.connectionString(cs),
  event: (type, data) => jsonEvent({ type, data }),
  AccessDeniedError,
  statusInMessages: true,
  bothAppendPaths: true,
});
