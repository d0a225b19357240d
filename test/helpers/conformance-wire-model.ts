// Builds comparable wire models of the gRPC contract from two sources: the emulator's hand-written `.proto` files
// (through protobufjs) and the client's google-protobuf generated code (`generated/*_pb.js`, parsed as text:
// its `deserializeBinaryFromReader` functions name every field number and reader method). Comparing the two
// catches a client upgrade or a proto edit that changes what goes over the wire.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import protobuf from 'protobufjs';

export interface WireField {
  readonly number: number;
  /** Normalised name (lower case, no underscores): the generated accessors are camel-cased. */
  readonly name: string;
  /** `string`, `uint64`, `message:<full name>`, `enum:<full name>`, `map<string,string>`, ... */
  readonly type: string;
  readonly repeated: boolean;
}

export interface WireMethod {
  /** `/package.Service/Method` */
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestType: string;
  readonly responseType: string;
}

export interface WireModel {
  /** Message full name -> fields by number. */
  readonly messages: Map<string, Map<number, WireField>>;
  /** Enum full name -> value name -> number. */
  readonly enums: Map<string, Map<string, number>>;
  /** RPC path -> method. */
  readonly methods: Map<string, WireMethod>;
}

const normalise = (name: string): string => name.replaceAll('_', '').toLowerCase();
/** google-protobuf upper-cases enum value names (`Forwards` becomes `FORWARDS`). */
const enumKey = (name: string): string => name.replaceAll('_', '').toUpperCase();

const SCALAR_READERS: Record<string, string> = {
  String: 'string',
  Bytes: 'bytes',
  Bool: 'bool',
  Int32: 'int32',
  Int64: 'int64',
  Int64String: 'int64',
  Uint32: 'uint32',
  Uint64: 'uint64',
  Uint64String: 'uint64',
  Sint32: 'sint32',
  Sint64: 'sint64',
  Sint64String: 'sint64',
  Fixed32: 'fixed32',
  Fixed64: 'fixed64',
  Fixed64String: 'fixed64',
  Sfixed32: 'sfixed32',
  Sfixed64: 'sfixed64',
  Sfixed64String: 'sfixed64',
  Double: 'double',
  Float: 'float',
};

// ---------------------------------------------------------------------------------------------------------------
// The emulator side: protobufjs.

/** Loads `.proto` files from `dir` the way the emulator does (keepCase), resolving imports inside `dir` first. */
export function loadProtoRoot(dir: string, files?: string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    const local = join(dir, target);
    if (existsSync(local)) return local;
    // google/protobuf/*.proto come with protobufjs as "common" definitions when not shipped locally.
    return target;
  };
  const list = files ?? readdirSync(dir).filter((f) => f.endsWith('.proto'));
  root.loadSync(list, { keepCase: true });
  root.resolveAll();
  return root;
}

export function modelFromProtoRoot(root: protobuf.Root): WireModel {
  const model: WireModel = { messages: new Map(), enums: new Map(), methods: new Map() };
  const fullName = (o: protobuf.ReflectionObject): string => o.fullName.replace(/^\./, '');
  const typeOf = (field: protobuf.Field): string => {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Enum) return `enum:${fullName(resolved)}`;
    if (resolved instanceof protobuf.Type) return `message:${fullName(resolved)}`;
    return field.type;
  };
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) {
        const fields = new Map<number, WireField>();
        for (const field of nested.fieldsArray) {
          const type = field instanceof protobuf.MapField ? `map<${field.keyType},${typeOf(field)}>` : typeOf(field);
          fields.set(field.id, { number: field.id, name: normalise(field.name), type, repeated: field.repeated });
        }
        model.messages.set(fullName(nested), fields);
      } else if (nested instanceof protobuf.Enum) {
        model.enums.set(fullName(nested), new Map(Object.entries(nested.values).map(([k, v]) => [enumKey(k), v])));
      } else if (nested instanceof protobuf.Service) {
        for (const method of nested.methodsArray) {
          method.resolve();
          const path = `/${fullName(nested)}/${method.name}`;
          model.methods.set(path, {
            path,
            requestStream: method.requestStream === true,
            responseStream: method.responseStream === true,
            requestType: fullName(method.resolvedRequestType!),
            responseType: fullName(method.resolvedResponseType!),
          });
        }
      }
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) visit(nested);
    }
  };
  visit(root);
  return model;
}

// ---------------------------------------------------------------------------------------------------------------
// The client side: google-protobuf generated code, read as text.

export interface GeneratedFile {
  /** File name, e.g. `streams_pb.js` or `streams_grpc_pb.js`. */
  readonly name: string;
  readonly text: string;
}

export function readGeneratedDir(dir: string, names: string[]): GeneratedFile[] {
  return names.map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

/** The proto package a generated `_pb.js` exports (`goog.object.extend(exports, proto.<package>)`). */
function packageOf(file: GeneratedFile): string {
  const match = /goog\.object\.extend\(exports, proto\.([\w.]+)\);/.exec(file.text);
  if (!match) throw new Error(`${file.name}: no "goog.object.extend(exports, proto.<package>)" line`);
  return match[1]!;
}

/** Maps each `var alias = require('...')` of a file to the proto package that module exports. */
function aliasesOf(file: GeneratedFile, packages: Map<string, string>): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const m of file.text.matchAll(/^var (\w+) = require\('([^']+)'\);/gm)) {
    const [, alias, from] = m;
    if (from!.startsWith('google-protobuf/google/protobuf/')) aliases.set(alias!, 'google.protobuf');
    else if (from!.startsWith('.')) {
      const pkg = packages.get(basename(from!));
      if (pkg !== undefined) aliases.set(alias!, pkg);
    }
  }
  return aliases;
}

function resolveTypeExpr(expr: string, aliases: Map<string, string>, where: string): string {
  if (expr.startsWith('proto.')) return expr.slice('proto.'.length);
  const dot = expr.indexOf('.');
  const pkg = dot > 0 ? aliases.get(expr.slice(0, dot)) : undefined;
  if (pkg === undefined) throw new Error(`${where}: cannot resolve type expression ${expr}`);
  return `${pkg}.${expr.slice(dot + 1)}`;
}

function parseField(segment: string, number: number, aliases: Map<string, string>, where: string): WireField {
  const accessor = /msg\.(set|add)(\w+)\(/.exec(segment);
  const mapAccessor = /msg\.get(\w+)Map\(\)/.exec(segment);
  const mapRead =
    /jspb\.Map\.deserializeBinary\(message, reader, jspb\.BinaryReader\.prototype\.read(\w+), jspb\.BinaryReader\.prototype\.read(\w+)(?:, ([\w.]+)\.deserializeBinaryFromReader)?/.exec(
      segment,
    );
  if (mapAccessor && mapRead) {
    const key = SCALAR_READERS[mapRead[1]!];
    const value =
      mapRead[2] === 'Message'
        ? `message:${resolveTypeExpr(mapRead[3]!, aliases, where)}`
        : SCALAR_READERS[mapRead[2]!];
    if (!key || !value) throw new Error(`${where} field ${number}: unknown map reader ${mapRead[0]}`);
    return { number, name: normalise(mapAccessor[1]!), type: `map<${key},${value}>`, repeated: false };
  }
  if (!accessor) throw new Error(`${where} field ${number}: no msg.setX/addX call in\n${segment}`);
  const name = normalise(accessor[2]!);
  const repeated = accessor[1] === 'add' || /readPacked\w+\(\)/.test(segment);
  const message = /var value = new ([\w.]+);\s*reader\.readMessage\(value,/.exec(segment);
  if (message) return { number, name, type: `message:${resolveTypeExpr(message[1]!, aliases, where)}`, repeated };
  const packed = /reader\.readPacked(\w+)\(\)/.exec(segment);
  const scalar = packed ?? /reader\.read(\w+)\(\)/.exec(segment);
  if (!scalar) throw new Error(`${where} field ${number}: no reader call in\n${segment}`);
  if (scalar[1] === 'Enum') {
    const enumType = /@type \{!proto\.([\w.]+)\}/.exec(segment) ?? /@type \{!Array<!proto\.([\w.]+)>\}/.exec(segment);
    if (!enumType) throw new Error(`${where} field ${number}: enum field without a type annotation`);
    return { number, name, type: `enum:${enumType[1]}`, repeated };
  }
  const type = SCALAR_READERS[scalar[1]!];
  if (!type) throw new Error(`${where} field ${number}: unknown reader read${scalar[1]}`);
  return { number, name, type, repeated };
}

/** Builds the client's wire model from its generated `_pb.js` and `_grpc_pb.js` files. */
export function modelFromGenerated(files: GeneratedFile[]): WireModel {
  const model: WireModel = { messages: new Map(), enums: new Map(), methods: new Map() };
  const messageFiles = files.filter((f) => f.name.endsWith('_pb.js') && !f.name.endsWith('_grpc_pb.js'));
  const packages = new Map(messageFiles.map((f) => [f.name, packageOf(f)]));
  for (const file of messageFiles) {
    const aliases = aliasesOf(file, packages);
    const blocks = file.text.matchAll(
      /^proto\.([\w.]+)\.deserializeBinaryFromReader = function\(msg, reader\) \{\n([\s\S]*?)\n {2}return msg;\n\};/gm,
    );
    for (const [, name, body] of blocks) {
      const fields = new Map<number, WireField>();
      const cases = [...body!.matchAll(/^ {4}case (\d+):\n([\s\S]*?)(?=^ {4}case \d+:|^ {4}default:)/gm)];
      for (const [, num, segment] of cases) {
        const number = Number(num);
        fields.set(number, parseField(segment!, number, aliases, `${file.name} ${name}`));
      }
      model.messages.set(name!, fields);
    }
    for (const [, name, body] of file.text.matchAll(/^proto\.([\w.]+) = \{\n((?: {2}\w+: -?\d+,?\n)+)\};/gm)) {
      const values = new Map<string, number>();
      for (const [, key, value] of body!.matchAll(/^ {2}(\w+): (-?\d+)/gm)) values.set(enumKey(key!), Number(value));
      model.enums.set(name!, values);
    }
  }
  for (const file of files.filter((f) => f.name.endsWith('_grpc_pb.js'))) {
    const aliases = aliasesOf(file, packages);
    const methods = file.text.matchAll(
      /path: '([^']+)',\s*requestStream: (true|false),\s*responseStream: (true|false),\s*requestType: ([\w.]+),\s*responseType: ([\w.]+),/g,
    );
    for (const [, path, reqStream, resStream, reqType, resType] of methods) {
      model.methods.set(path!, {
        path: path!,
        requestStream: reqStream === 'true',
        responseStream: resStream === 'true',
        requestType: resolveTypeExpr(reqType!, aliases, file.name),
        responseType: resolveTypeExpr(resType!, aliases, file.name),
      });
    }
  }
  return model;
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison.

export interface CompareOptions {
  /**
   * Messages (full names) the emulator may define with fields the v6 client does not know, by field number:
   * newer-server fields the client skips as unknown.
   */
  readonly emulatorOnlyFields?: ReadonlyMap<string, readonly number[]>;
}

/** Message types that are both empty are interchangeable on the wire (google.protobuf.Empty vs event_store.client.Empty). */
function sameMessageType(a: string, b: string, client: WireModel, emulator: WireModel): boolean {
  if (a === b) return true;
  const na = a.replace(/^message:/, '');
  const nb = b.replace(/^message:/, '');
  if (na === a || nb === b) return false;
  const fa = client.messages.get(na) ?? emulator.messages.get(na);
  const fb = emulator.messages.get(nb) ?? client.messages.get(nb);
  return fa !== undefined && fb !== undefined && fa.size === 0 && fb.size === 0;
}

function sameType(clientType: string, emulatorType: string, client: WireModel, emulator: WireModel): boolean {
  if (sameMessageType(clientType, emulatorType, client, emulator)) return true;
  const mc = /^map<(\w+),(.+)>$/.exec(clientType);
  const me = /^map<(\w+),(.+)>$/.exec(emulatorType);
  return !!mc && !!me && mc[1] === me[1] && sameMessageType(mc[2]!, me[2]!, client, emulator);
}

/**
 * Every difference between what the client expects and what the emulator's protos say, for the messages and
 * services the emulator defines. Messages of the client's packages that the emulator lacks are reported too,
 * when `requiredPackages` lists their package.
 */
export function compareWireModels(
  client: WireModel,
  emulator: WireModel,
  requiredPackages: readonly string[],
  options: CompareOptions = {},
): string[] {
  const problems: string[] = [];
  // Packages are snake_case and messages PascalCase, so `event_store.client` does not swallow
  // `event_store.client.persistent_subscriptions.*`.
  const inRequired = (name: string): boolean =>
    requiredPackages.some((p) => name.startsWith(`${p}.`) && /^[A-Z]/.test(name.slice(p.length + 1)));
  for (const [name, clientFields] of client.messages) {
    const emulatorFields = emulator.messages.get(name);
    if (emulatorFields === undefined) {
      if (inRequired(name)) problems.push(`message ${name}: defined by the client, missing from the emulator protos`);
      continue;
    }
    for (const [number, cf] of clientFields) {
      const ef = emulatorFields.get(number);
      if (ef === undefined) {
        problems.push(`message ${name} field ${number} (${cf.name}, ${cf.type}): missing from the emulator protos`);
        continue;
      }
      if (!sameType(cf.type, ef.type, client, emulator)) {
        problems.push(`message ${name} field ${number} (${cf.name}): client ${cf.type}, emulator ${ef.type}`);
      }
      if (cf.repeated !== ef.repeated) {
        problems.push(
          `message ${name} field ${number} (${cf.name}): client repeated=${cf.repeated}, emulator repeated=${ef.repeated}`,
        );
      }
      if (cf.name !== ef.name) {
        problems.push(`message ${name} field ${number}: client name ${cf.name}, emulator name ${ef.name}`);
      }
    }
    const allowed = options.emulatorOnlyFields?.get(name) ?? [];
    for (const [number, ef] of emulatorFields) {
      if (!clientFields.has(number) && !allowed.includes(number)) {
        problems.push(
          `message ${name} field ${number} (${ef.name}, ${ef.type}): in the emulator protos, unknown to the client`,
        );
      }
    }
  }
  for (const name of emulator.messages.keys()) {
    if (!client.messages.has(name) && !name.startsWith('google.protobuf.')) {
      problems.push(`message ${name}: in the emulator protos, unknown to the client`);
    }
  }
  for (const [name, emulatorValues] of emulator.enums) {
    const clientValues = client.enums.get(name);
    if (clientValues === undefined) continue;
    for (const [key, value] of clientValues) {
      if (emulatorValues.get(key) !== value) {
        problems.push(`enum ${name} value ${key}: client ${value}, emulator ${emulatorValues.get(key) ?? 'missing'}`);
      }
    }
  }
  const emulatorServices = new Set([...emulator.methods.keys()].map((p) => p.split('/')[1]));
  for (const [path, cm] of client.methods) {
    if (!emulatorServices.has(path.split('/')[1])) continue;
    const em = emulator.methods.get(path);
    if (em === undefined) {
      problems.push(`rpc ${path}: called by the client, missing from the emulator protos`);
      continue;
    }
    if (cm.requestStream !== em.requestStream || cm.responseStream !== em.responseStream) {
      problems.push(
        `rpc ${path}: client streaming ${cm.requestStream}/${cm.responseStream}, emulator ${em.requestStream}/${em.responseStream}`,
      );
    }
    if (!sameMessageType(`message:${cm.requestType}`, `message:${em.requestType}`, client, emulator)) {
      problems.push(`rpc ${path}: client request ${cm.requestType}, emulator ${em.requestType}`);
    }
    if (!sameMessageType(`message:${cm.responseType}`, `message:${em.responseType}`, client, emulator)) {
      problems.push(`rpc ${path}: client response ${cm.responseType}, emulator ${em.responseType}`);
    }
  }
  for (const path of emulator.methods.keys()) {
    if (!client.methods.has(path)) problems.push(`rpc ${path}: in the emulator protos, unknown to the client`);
  }
  return problems;
}
