// The security cases with `@kurrent/kurrentdb-client`, in its own process (see kurrent-client.test.ts for why),
// through the connection string exactly as the emulator prints it (the client accepts the `esdb` scheme).
import { AccessDeniedError, KurrentDBClient, jsonEvent } from '@kurrent/kurrentdb-client';
import { defineSecurityCases } from '../helpers/security-cases.js';

defineSecurityCases({
  name: '@kurrent/kurrentdb-client',
  connect: (cs) => KurrentDBClient.connectionString(cs),
  event: (type, data) => jsonEvent({ type, data }),
  AccessDeniedError,
  statusInMessages: false,
  bothAppendPaths: false,
});
