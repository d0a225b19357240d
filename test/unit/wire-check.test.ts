// The emulator's hand-written protos against the wire the client actually speaks: every message's field numbers,
// types and repetition, every enum value, and every RPC (path, streaming, request and response types) must match
// `@eventstore/db-client`'s generated code. A client upgrade or a proto edit that changes the wire fails here.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import {
  compareWireModels,
  loadProtoRoot,
  modelFromGenerated,
  modelFromProtoRoot,
  readGeneratedDir,
  type GeneratedFile,
  type WireModel,
} from '../helpers/conformance-wire-model.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROTO_DIR = join(REPO_ROOT, 'src', 'emulator', 'protos');
const requireHere = createRequire(import.meta.url);
const GENERATED_DIR = join(dirname(requireHere.resolve('@eventstore/db-client/package.json')), 'generated');
const KURRENT_GENERATED_DIR = join(
  dirname(requireHere.resolve('@kurrent/kurrentdb-client/package.json')),
  'generated',
  'kurrentdb',
  'protocols',
  'v1',
);

/**
 * Where `@kurrent/kurrentdb-client`'s v1 protocol differs from the emulator's protos, all wire-safe: newer optional
 * fields of server messages the emulator does not send (the client treats them as absent), and a BatchAppend
 * deadline field the client does not set (it sends field 6, like v6). A new entry means the successor client
 * changed its wire: decide whether the emulator must follow before updating this list.
 */
const KNOWN_KURRENT_DIFFERENCES = [
  'message event_store.client.streams.BatchAppendReq.Options field 6: client name deadline21100, emulator name deadline',
  'message event_store.client.streams.BatchAppendReq.Options field 7 (deadline, message:google.protobuf.Duration): missing from the emulator protos',
  'message event_store.client.streams.ReadResp.CaughtUp field 1 (timestamp, message:google.protobuf.Timestamp): missing from the emulator protos',
  'message event_store.client.streams.ReadResp.CaughtUp field 2 (streamrevision, int64): missing from the emulator protos',
  'message event_store.client.streams.ReadResp.CaughtUp field 3 (position, message:event_store.client.streams.ReadResp.Position): missing from the emulator protos',
  'message event_store.client.streams.ReadResp.Checkpoint field 3 (timestamp, message:google.protobuf.Timestamp): missing from the emulator protos',
  'message event_store.client.streams.ReadResp.FellBehind field 1 (timestamp, message:google.protobuf.Timestamp): missing from the emulator protos',
  'message event_store.client.streams.ReadResp.FellBehind field 2 (streamrevision, int64): missing from the emulator protos',
  'message event_store.client.streams.ReadResp.FellBehind field 3 (position, message:event_store.client.streams.ReadResp.Position): missing from the emulator protos',
  'message event_store.client.streams.ReadResp.Position: defined by the client, missing from the emulator protos',
];

/** Packages whose every message the emulator must define: the services it serves and what they use. */
const REQUIRED_PACKAGES = [
  'event_store.client',
  'event_store.client.streams',
  'event_store.client.server_features',
  'event_store.client.gossip',
  'event_store.client.operations',
  'google.rpc',
];

function generatedFiles(): GeneratedFile[] {
  return readGeneratedDir(
    GENERATED_DIR,
    readdirSync(GENERATED_DIR).filter((f) => f.endsWith('.js')),
  );
}

function clientModel(files = generatedFiles()): WireModel {
  return modelFromGenerated(files);
}

function emulatorModel(dir = PROTO_DIR): WireModel {
  return modelFromProtoRoot(loadProtoRoot(dir));
}

function withProtoEdits(t: { after(fn: () => void): void }, edits: Record<string, [string, string][]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wire-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(PROTO_DIR, dir, { recursive: true });
  for (const [file, replacements] of Object.entries(edits)) {
    let text = readFileSync(join(dir, file), 'utf8');
    for (const [from, to] of replacements) {
      assert.ok(text.includes(from), `${file} no longer contains ${JSON.stringify(from)}: update this test`);
      text = text.replace(from, to);
    }
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

test('the client model is parsed, not empty: known fields of BatchAppendReq and ReadReq.Options come out right', () => {
  const client = clientModel();
  const batch = client.messages.get('event_store.client.streams.BatchAppendReq');
  assert.ok(batch, 'BatchAppendReq parsed');
  assert.deepEqual(
    [...batch.values()].map((f) => [f.number, f.type, f.repeated]),
    [
      [1, 'message:event_store.client.UUID', false],
      [2, 'message:event_store.client.streams.BatchAppendReq.Options', false],
      [3, 'message:event_store.client.streams.BatchAppendReq.ProposedMessage', true],
      [4, 'bool', false],
    ],
  );
  const proposed = client.messages.get('event_store.client.streams.AppendReq.ProposedMessage')!;
  assert.equal(proposed.get(2)?.type, 'map<string,string>');
  const options = client.messages.get('event_store.client.streams.ReadReq.Options')!;
  assert.equal(options.get(5)?.type, 'uint64');
  assert.equal(options.get(3)?.type, 'enum:event_store.client.streams.ReadReq.Options.ReadDirection');
  assert.equal(client.methods.get('/event_store.client.streams.Streams/BatchAppend')?.requestStream, true);
  const prefix = client.messages.get('event_store.client.streams.ReadReq.Options.FilterOptions.Expression')!;
  assert.deepEqual(prefix.get(2), { number: 2, name: 'prefix', type: 'string', repeated: true });
});

test('every message, enum and rpc in the emulator protos matches the client generated code', () => {
  const client = clientModel();
  const emulator = emulatorModel();
  assert.ok(emulator.messages.size > 40, `only ${emulator.messages.size} messages loaded from ${PROTO_DIR}`);
  for (const service of [
    'Streams/Read',
    'Streams/Append',
    'Streams/BatchAppend',
    'Streams/Delete',
    'Streams/Tombstone',
  ]) {
    assert.ok(emulator.methods.has(`/event_store.client.streams.${service}`), `emulator serves ${service}`);
  }
  assert.deepEqual(compareWireModels(client, emulator, REQUIRED_PACKAGES), []);
});

test('@kurrent/kurrentdb-client v1 differs from the emulator protos only by known, wire-safe newer fields', () => {
  const kurrent = modelFromGenerated(
    readGeneratedDir(
      KURRENT_GENERATED_DIR,
      readdirSync(KURRENT_GENERATED_DIR).filter((f) => f.endsWith('.js')),
    ),
  );
  assert.ok(kurrent.messages.has('event_store.client.streams.ReadReq.Options'), 'the successor client model is parsed');
  assert.deepEqual(
    compareWireModels(kurrent, emulatorModel(), REQUIRED_PACKAGES).sort(),
    [...KNOWN_KURRENT_DIFFERENCES].sort(),
  );
});

test('a changed field number or type in a copy of the protos is reported', (t) => {
  const dir = withProtoEdits(t, {
    'shared.proto': [['bytes stream_name = 3;', 'bytes stream_name = 4;']],
    'streams.proto': [['uint64 count = 5;', 'int64 count = 5;']],
  });
  const problems = compareWireModels(clientModel(), emulatorModel(dir), REQUIRED_PACKAGES);
  assert.ok(
    problems.some((p) =>
      p.startsWith(
        'message event_store.client.StreamIdentifier field 3 (streamname, bytes): missing from the emulator',
      ),
    ),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) =>
      p.startsWith('message event_store.client.StreamIdentifier field 4 (streamname, bytes): in the emulator protos'),
    ),
    problems.join('\n'),
  );
  assert.ok(
    problems.includes(
      'message event_store.client.streams.ReadReq.Options field 5 (count): client uint64, emulator int64',
    ),
    problems.join('\n'),
  );
});

test('a changed field in a copy of the client generated code is reported', () => {
  const files = generatedFiles().map((f) => {
    if (f.name !== 'streams_pb.js') return f;
    const start = f.text.indexOf(
      'proto.event_store.client.streams.ReadReq.Options.deserializeBinaryFromReader = function',
    );
    assert.ok(start >= 0, 'ReadReq.Options reader present');
    const head = f.text.slice(0, start);
    const tail = f.text
      .slice(start)
      .replace(
        'reader.readBool());\n      msg.setResolveLinks(value);',
        'reader.readString());\n      msg.setResolveLinks(value);',
      )
      .replace('    case 9:\n', '    case 19:\n');
    return { name: f.name, text: head + tail };
  });
  const problems = compareWireModels(clientModel(files), emulatorModel(), REQUIRED_PACKAGES);
  assert.ok(
    problems.includes(
      'message event_store.client.streams.ReadReq.Options field 4 (resolvelinks): client string, emulator bool',
    ),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => p.startsWith('message event_store.client.streams.ReadReq.Options field 19 (uuidoption')),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => p.startsWith('message event_store.client.streams.ReadReq.Options field 9 (uuidoption')),
    problems.join('\n'),
  );
});

test('a changed rpc shape or enum value in a copy of the protos is reported', (t) => {
  const dir = withProtoEdits(t, {
    'streams.proto': [
      ['rpc Append (stream AppendReq) returns (AppendResp);', 'rpc Append (AppendReq) returns (AppendResp);'],
      ['Backwards = 1;', 'Backwards = 2;'],
    ],
  });
  const problems = compareWireModels(clientModel(), emulatorModel(dir), REQUIRED_PACKAGES);
  assert.ok(
    problems.includes(
      'rpc /event_store.client.streams.Streams/Append: client streaming true/false, emulator false/false',
    ),
    problems.join('\n'),
  );
  assert.ok(
    problems.includes(
      'enum event_store.client.streams.ReadReq.Options.ReadDirection value BACKWARDS: client 1, emulator 2',
    ),
    problems.join('\n'),
  );
});
