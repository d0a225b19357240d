import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configSpec, type FieldSpec } from '../../src/config/config-spec.js';
import { resolveConfig } from '../../src/config/index.js';

type Json = Record<string, unknown>;
const schema = JSON.parse(
  readFileSync(new URL('../../../config/esdb-linker.schema.json', import.meta.url), 'utf8'),
) as Json;

interface Leaf {
  type: string;
  default?: unknown;
  enum?: unknown;
  minimum?: unknown;
  maximum?: unknown;
}

/** Every key path the loader accepts (`links[].batch.maxBytes`, `topology[type=chain].nodes`) with its leaf facts. */
function walkSpec(spec: FieldSpec, path: string, leaves: Map<string, Leaf>, required: Map<string, string[]>): void {
  switch (spec.kind) {
    case 'object':
      required.set(path, [...(spec.required ?? [])].sort());
      for (const [k, f] of Object.entries(spec.fields)) walkSpec(f, path === '' ? k : `${path}.${k}`, leaves, required);
      return;
    case 'array':
      walkSpec(spec.items, `${path}[]`, leaves, required);
      return;
    case 'tagged':
      for (const [tag, v] of Object.entries(spec.variants))
        walkSpec(v, path.replace(/\[\]$/, `[type=${tag}]`), leaves, required);
      return;
    case 'string':
      leaves.set(path, clean({ type: 'string', default: spec.default, enum: spec.enum }));
      return;
    case 'integer':
      leaves.set(path, clean({ type: 'integer', default: spec.default, minimum: spec.min, maximum: spec.max }));
      return;
    case 'boolean':
      leaves.set(path, clean({ type: 'boolean', default: spec.default }));
      return;
    case 'string-list':
    case 'metadata-rules':
      leaves.set(path, clean({ type: 'array', default: spec.default }));
      return;
  }
}

function resolveRef(node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const name = ref.replace('#/$defs/', '');
  const target = resolveRef(((schema.$defs as Json)[name] ?? assert.fail(`dangling ${ref}`)) as Json);
  const { $ref: _ref, ...rest } = node;
  // A referenced list (metadata conditions) has no properties to merge.
  if (target.properties === undefined && rest.properties === undefined) return { ...target, ...rest };
  return {
    ...target,
    ...rest,
    properties: {
      ...(target.properties ?? {}),
      ...(rest.properties ?? {}),
    },
    required: [
      ...((target.required as string[] | undefined) ?? []),
      ...((rest.required as string[] | undefined) ?? []),
    ],
  };
}

function walkSchema(raw: Json, path: string, leaves: Map<string, Leaf>, required: Map<string, string[]>): void {
  const node = resolveRef(raw);
  if (node.properties !== undefined) {
    assert.ok(
      node.additionalProperties === false || node.unevaluatedProperties === false,
      `schema object at "${path}" must reject unknown keys`,
    );
    required.set(path, [...((node.required as string[] | undefined) ?? [])].sort());
    for (const [k, child] of Object.entries(node.properties as Json)) {
      walkSchema(child as Json, path === '' ? k : `${path}.${k}`, leaves, required);
    }
    return;
  }
  const items = node.items as Json | undefined;
  if (node.type === 'array' && items !== undefined) {
    const resolvedItems = resolveRef(items);
    const tagged = (v: Json) => ((resolveRef(v).properties as Json | undefined)?.type as Json | undefined)?.const;
    if (Array.isArray(resolvedItems.oneOf) && (resolvedItems.oneOf as Json[]).every((v) => tagged(v) !== undefined)) {
      for (const variant of resolvedItems.oneOf as Json[]) {
        const v = resolveRef(variant);
        const tag = ((v.properties as Json).type as Json).const as string;
        walkSchema(v, `${path}[type=${tag}]`, leaves, required);
      }
      return;
    }
    if (resolvedItems.properties !== undefined) {
      walkSchema(resolvedItems, `${path}[]`, leaves, required);
      return;
    }
  }
  const type = typeof node.type === 'string' ? node.type : typeof node.const;
  leaves.set(
    path,
    clean({ type, default: node.default, enum: node.enum, minimum: node.minimum, maximum: node.maximum }),
  );
  assert.equal(typeof node.description, 'string', `schema key "${path}" needs a description`);
}

function clean(leaf: Leaf): Leaf {
  return Object.fromEntries(Object.entries(leaf).filter(([, v]) => v !== undefined)) as unknown as Leaf;
}

test('the JSON schema accepts exactly the keys the loader accepts, with the same types, ranges and defaults', () => {
  const specLeaves = new Map<string, Leaf>();
  const specRequired = new Map<string, string[]>();
  walkSpec(configSpec, '', specLeaves, specRequired);
  const schemaLeaves = new Map<string, Leaf>();
  const schemaRequired = new Map<string, string[]>();
  walkSchema(schema, '', schemaLeaves, schemaRequired);

  const onlyInLoader = [...specLeaves.keys()].filter((k) => !schemaLeaves.has(k));
  const onlyInSchema = [...schemaLeaves.keys()].filter((k) => !specLeaves.has(k));
  assert.deepEqual(onlyInLoader, [], 'keys the loader accepts but the schema lacks');
  assert.deepEqual(onlyInSchema, [], 'keys the schema has but the loader rejects');
  for (const [key, leaf] of specLeaves) {
    // A preset's `type` is a const in the schema; the loader treats it as the tag.
    if (key.endsWith('].type')) continue;
    assert.deepEqual(schemaLeaves.get(key), leaf, key);
  }
  assert.deepEqual(schemaRequired, specRequired);
  // Sanity: the walk really covers the format (links, presets, nested groups, defaults).
  assert.ok(specLeaves.has('links[].batch.maxBytes'));
  assert.ok(specLeaves.has('topology[type=fan-in].origins'));
  assert.ok(specLeaves.has('defaults.filter.includeStreamRegex'));
  assert.ok(specLeaves.size > 150, `only ${specLeaves.size} keys walked`);
});

test('schema defaults are the defaults the loader applies', () => {
  const config = resolveConfig(
    {
      nodes: [
        { name: 'a', connectionString: 'esdb://127.0.0.1:1' },
        { name: 'b', connectionString: 'esdb://127.0.0.1:2' },
      ],
      links: [{ origin: 'a', destination: 'b' }],
      http: {},
    },
    { env: {} },
  );
  const defs = schema.$defs as Record<string, { properties: Record<string, { default?: unknown }> }>;
  const link = config.links[0] as unknown as Record<string, Record<string, unknown>>;
  for (const [key, prop] of Object.entries(defs.linkOptions?.properties ?? {})) {
    if (prop.default !== undefined) assert.deepEqual(link[key], prop.default, key);
  }
  for (const group of ['batch', 'buffer', 'retry', 'filter']) {
    for (const [key, prop] of Object.entries(defs[group]?.properties ?? {})) {
      if (prop.default !== undefined) assert.deepEqual(link[group]?.[key], prop.default, `${group}.${key}`);
    }
  }
  const props = schema.properties as Record<
    string,
    { default?: unknown; properties?: Record<string, { default?: unknown }> }
  >;
  assert.equal(config.shutdownGraceMs, props.shutdownGraceMs?.default);
  assert.equal(config.http?.port, props.http?.properties?.port?.default);
  assert.equal(config.http?.host, props.http?.properties?.host?.default);
  assert.equal(config.log.level, props.log?.properties?.level?.default);
  assert.equal(config.log.format, props.log?.properties?.format?.default);
});
