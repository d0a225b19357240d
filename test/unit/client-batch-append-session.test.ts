// What the emulator cannot be made to do: answers with unknown or repeated correlation ids, undecodable answers,
// a call that pushes back. The session runs over an in-memory duplex; answers are built with the client's classes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  DeadlineExceededError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { BatchAppendSession } from '../../src/client/batch-append-session.js';
import { streamsPb, sharedPb, statusPb, anyPb } from '../helpers/client-protos.js';

/** An in-memory call: records what the session writes, holds each write's callback until `flush()` when `manual`. */
class FakeCall extends Duplex {
  readonly written: Buffer[] = [];
  cancelled = false;
  private held: (() => void)[] = [];

  constructor(private readonly manual = false) {
    super({ objectMode: true, highWaterMark: 1 });
  }

  override _read(): void {}

  override write(chunk: Buffer): boolean {
    this.written.push(chunk);
    return super.write(chunk);
  }

  override _write(_chunk: Buffer, _enc: BufferEncoding, callback: () => void): void {
    if (this.manual) this.held.push(callback);
    else callback();
  }

  flush(): void {
    const held = this.held;
    this.held = [];
    for (const cb of held) cb();
  }

  cancel(): void {
    this.cancelled = true;
    this.destroy(
      Object.assign(new Error('1 CANCELLED: Cancelled on client'), { code: 1, details: 'Cancelled on client' }),
    );
  }

  answer(buf: Uint8Array): void {
    this.push(Buffer.from(buf));
  }
}

function session(call: FakeCall, timeoutGraceMs?: number): BatchAppendSession {
  return new BatchAppendSession(call as unknown as ClientDuplexStream<Buffer, Buffer>, timeoutGraceMs);
}

function success(id: string, revision: string): Uint8Array {
  return new streamsPb.BatchAppendResp()
    .setCorrelationId(new sharedPb.UUID().setString(id))
    .setSuccess(new streamsPb.BatchAppendResp.Success().setCurrentRevision(revision))
    .serializeBinary();
}

function wrongExpectedVersion(id: string, current: string): Uint8Array {
  const any = new anyPb.Any();
  any.pack(
    new sharedPb.WrongExpectedVersion()
      .setCurrentStreamRevision(current)
      .setExpectedStreamPosition('1')
      .serializeBinary(),
    'event_store.client.WrongExpectedVersion',
  );
  return new streamsPb.BatchAppendResp()
    .setCorrelationId(new sharedPb.UUID().setString(id))
    .setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from('s')))
    .setError(new statusPb.Status().setCode(6).setMessage('WrongExpectedVersion').setDetails(any))
    .serializeBinary();
}

const inAMinute = (): Date => new Date(Date.now() + 60_000);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('BatchAppend session', () => {
  // The session's deadline timers are unref'd (a real gRPC call holds the process open). Over an in-memory call
  // nothing else is pending, and on a busy machine the loop can drain before a 1 ms timer fires: the runner then
  // cancels the test. A ref'd timer for the suite's length keeps the loop alive as a real channel would.
  let keepAlive: NodeJS.Timeout | undefined;
  before(() => {
    keepAlive = setInterval(() => undefined, 60_000);
  });
  after(() => clearInterval(keepAlive));

  it('ignores answers with an unknown or already answered correlation id', async () => {
    const call = new FakeCall();
    const s = session(call);
    const id = randomUUID();
    const pending = s.append(id, 's', [Buffer.from('req')], inAMinute());
    call.answer(success(randomUUID(), '7'));
    await tick();
    assert.equal(s.inFlight, 1, 'a stranger answer settles nothing');
    call.answer(success(id.toUpperCase(), '3'));
    assert.deepEqual(await pending, { nextExpectedRevision: 3n, position: undefined });
    call.answer(success(id, '4'));
    await tick();
    assert.equal(s.inFlight, 0);
    // Still usable afterwards.
    const next = randomUUID();
    const again = s.append(next, 's', [Buffer.from('req')], inAMinute());
    call.answer(wrongExpectedVersion(next, '12345678901234567890'));
    const err = await again.then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WrongExpectedVersionError);
    assert.equal(err.actualVersion, 12345678901234567890n);
    assert.equal(err.expectedVersion, 1n);
  });

  it('gives up an append unanswered past its deadline, and with it the stream; late answers are ignored', async () => {
    const call = new FakeCall();
    const s = session(call, 1);
    const id = randomUUID();
    const other = randomUUID();
    const waiting = s.append(other, 's2', [Buffer.from('b')], inAMinute());
    await assert.rejects(s.append(id, 's', [Buffer.from('a')], new Date(Date.now() - 1)), DeadlineExceededError);
    assert.ok(call.cancelled, 'the silent call is cancelled, so the client opens a new one');
    assert.equal(s.inFlight, 0);
    // The stream no longer answers: the other append is given up too (retried by the caller on a new stream).
    await assert.rejects(waiting, DeadlineExceededError);
    call.answer(success(id, '0'));
    call.answer(success(other, '0'));
    await tick();
    await assert.rejects(s.append(randomUUID(), 's', [Buffer.from('c')], inAMinute()), DeadlineExceededError);
  });

  it('a call error rejects only the appends of this session, with the converted error; later appends fail fast', async () => {
    const call = new FakeCall();
    const other = new FakeCall();
    const s = session(call);
    const t = session(other);
    const a = s.append(randomUUID(), 's', [Buffer.from('a')], inAMinute());
    const b = s.append(randomUUID(), 's', [Buffer.from('b')], inAMinute());
    const otherId = randomUUID();
    const c = t.append(otherId, 's', [Buffer.from('c')], inAMinute());
    call.destroy(Object.assign(new Error('14 UNAVAILABLE: gone'), { code: 14, details: 'gone' }));
    await assert.rejects(a, UnavailableError);
    await assert.rejects(b, UnavailableError);
    await assert.rejects(s.append(randomUUID(), 's', [Buffer.from('d')], inAMinute()), UnavailableError);
    assert.equal(t.inFlight, 1);
    other.answer(success(otherId, '0'));
    assert.equal((await c).nextExpectedRevision, 0n);
  });

  it('a server that ends the call fails its appends as unavailable', async () => {
    const call = new FakeCall();
    const s = session(call);
    const a = s.append(randomUUID(), 's', [Buffer.from('a')], inAMinute());
    call.push(null);
    await assert.rejects(a, UnavailableError);
  });

  it("an undecodable answer fails this session's appends and cancels the call", async () => {
    const call = new FakeCall();
    const s = session(call);
    const a = s.append(randomUUID(), 's', [Buffer.from('a')], inAMinute());
    call.answer(Buffer.from([0x0a, 0x7f, 0x01]));
    await assert.rejects(a, (err: unknown) => err instanceof UnknownError && /undecodable/.test(err.message));
    assert.ok(call.cancelled);
  });

  it('writes the next chunk only after the call drains', async () => {
    const call = new FakeCall(true);
    const s = session(call);
    const id = randomUUID();
    const chunks = [Buffer.from('1'), Buffer.from('2'), Buffer.from('3')];
    const pending = s.append(id, 's', chunks, inAMinute());
    const other = s.append(randomUUID(), 's', [Buffer.from('x')], inAMinute());
    await tick();
    assert.deepEqual(call.written.map(String), ['1'], 'waits for the drain before the second chunk');
    for (let i = 0; i < 5 && call.written.length < 4; i++) {
      call.flush();
      await tick();
    }
    assert.deepEqual(call.written.map(String).sort(), ['1', '2', '3', 'x']);
    assert.deepEqual(
      call.written.map(String).filter((c) => c !== 'x'),
      ['1', '2', '3'],
      'the chunks of one append stay in order',
    );
    call.answer(success(id, '2'));
    assert.equal((await pending).nextExpectedRevision, 2n);
    call.destroy();
    await assert.rejects(other);
  });
});
