import {
  BACKWARDS,
  END,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import { jsonEvent } from '@eventstore/db-client';
import { connectionUser } from '../config/connection-string.js';
import { isAccessDenied, neededRight, tagAccessAttempt, type AccessAttempt } from '../link/recovery/access-errors.js';
import { errorMessage, isLinkerError } from '../shared/errors.js';
import { redactText } from '../shared/redact.js';
import type { AccessCheck, NodePlan } from './plan-checks.js';

export type CheckOutcome =
  | { readonly status: 'ok' }
  | { readonly status: 'denied' | 'auth-failed' | 'unreachable' | 'error'; readonly message: string };

export interface NodeReport {
  readonly node: string;
  readonly user: string | undefined;
  readonly tls: boolean;
  readonly results: { check: AccessCheck; outcome: CheckOutcome }[];
}

/**
 * An expected revision no stream reaches: the server checks the ACL first and then answers
 * WrongExpectedVersion, so a write right is proven without writing anything.
 */
const NEVER_REVISION = 2n ** 62n;

/** Runs a node's checks in order; once the node is unreachable or rejects the credentials, the rest are skipped. */
export async function probeNode(plan: NodePlan, client: EventStoreDBClient): Promise<NodeReport> {
  const results: NodeReport['results'] = [];
  const user = connectionUser(plan.connectionString);
  let blocked: CheckOutcome | undefined;
  for (const check of plan.checks) {
    const outcome = blocked ?? (await probe(client, check, user));
    if (outcome.status === 'unreachable' || outcome.status === 'auth-failed') blocked ??= outcome;
    results.push({ check, outcome });
  }
  return { node: plan.node, user, tls: !/[?&]tls=false\b/i.test(plan.connectionString), results };
}

async function probe(client: EventStoreDBClient, check: AccessCheck, user: string | undefined): Promise<CheckOutcome> {
  const attempt: AccessAttempt = {
    side: check.kind === 'read-all' ? 'origin' : 'destination',
    action: check.kind === 'write-stream' ? 'write' : 'read',
    stream: check.stream.startsWith('$$') ? check.stream.slice(2) : check.stream,
  };
  try {
    switch (check.kind) {
      case 'read-all':
        for await (const _ of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) void _;
        return { status: 'ok' };
      case 'read-stream':
        try {
          for await (const _ of client.readStream(check.stream, {
            direction: BACKWARDS,
            fromRevision: END,
            maxCount: 1,
          }))
            void _;
        } catch (err) {
          if (!(err instanceof StreamNotFoundError)) throw err;
        }
        return { status: 'ok' };
      case 'write-stream':
        try {
          await client.appendToStream(check.stream, jsonEvent({ type: 'esdb-linker-preflight', data: {} }), {
            expectedRevision: NEVER_REVISION,
          });
        } catch (err) {
          if (!(err instanceof WrongExpectedVersionError)) throw err;
        }
        return { status: 'ok' };
    }
  } catch (err) {
    if (isAccessDenied(err)) {
      const tagged = tagAccessAttempt(
        err,
        check.stream.startsWith('$$') ? { ...attempt, action: 'write metadata of' } : attempt,
      );
      if (isLinkerError(tagged, 'ESDBL_AUTH_FAILED')) {
        return {
          status: 'auth-failed',
          message: `the node rejected the credentials of ${who(user)} (16 UNAUTHENTICATED): check the user name and password`,
        };
      }
      const a = (isLinkerError(tagged) ? tagged.details?.attempt : undefined) as AccessAttempt | undefined;
      return { status: 'denied', message: `${who(user)} may not: ${neededRight(a ?? attempt, user)}` };
    }
    const message = redactText(errorMessage(err));
    const type = (err as { type?: unknown }).type;
    if (type === 'unavailable' || type === 'deadline-exceeded' || /UNAVAILABLE|DEADLINE/.test(message)) {
      return { status: 'unreachable', message: `cannot reach the node: ${message}` };
    }
    return { status: 'error', message };
  }
}

function who(user: string | undefined): string {
  return user === undefined ? 'anonymous (no credentials)' : `user '${user}'`;
}
