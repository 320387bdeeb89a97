import fastJson from 'fast-json-stringify';
import { z } from 'zod';
import { requestSchemas, responseSchemas } from '../lib/http/schema-registry.js';

type Json = Record<string, unknown>;

export const COMPONENT = (id: string): string => `#/components/schemas/${id}`;

/** z.int()'s implicit ±2^53 bounds say nothing to a reader: drop them (explicit bounds such as `min(0)` stay). */
function tidy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tidy);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    if (k === '$schema' || k === '$id') continue;
    if ((k === 'maximum' && v === Number.MAX_SAFE_INTEGER) || (k === 'minimum' && v === Number.MIN_SAFE_INTEGER)) continue;
    out[k] = tidy(v);
  }
  return out;
}

/**
 * A schema for the OpenAPI document (JSON Schema 2020-12): registered
 * schemas become `$ref`s to components, the rest is inline.
 */
export function documentSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const registry = io === 'input' ? requestSchemas : responseSchemas;
  const meta = registry.get(schema);
  if (meta) return { $ref: COMPONENT(meta.id) };
  // Field descriptions come from Zod's global metadata (`.describe()`); named schemas inside become `$ref`s.
  const json = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    override: (ctx) => {
      const inner = ctx.zodSchema as unknown as z.ZodType;
      const named = inner === schema ? undefined : registry.get(inner);
      if (!named) return;
      // The converter hands its own object to fill: empty it in place, leaving only the reference.
      const target = ctx.jsonSchema as Json;
      for (const key of Object.keys(target)) Reflect.deleteProperty(target, key);
      target.$ref = COMPONENT(named.id);
    },
  }) as Json;
  return tidy(json) as Json;
}

/** Every named request and response schema, as OpenAPI components. */
export function componentSchemas(): Json {
  const convert = (registry: typeof requestSchemas, io: 'input' | 'output') => {
    const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: COMPONENT }) as { schemas: Record<string, Json> };
    // Zod leaves examples out of input schemas that contain transforms (a caption's clean-up): put them back.
    const examplesOf = (id: string) => {
      const schema = registry._idmap.get(id);
      return schema ? registry.get(schema)?.examples : undefined;
    };
    return Object.fromEntries(
      Object.entries(schemas).map(([id, s]) => {
        const examples = s.examples ?? examplesOf(id);
        return [id, tidy(examples ? { ...s, examples } : s)];
      }),
    );
  };
  return { ...convert(responseSchemas, 'output'), ...convert(requestSchemas, 'input') };
}

/** fast-json-stringify reads `nullable` only beside a `type`: a nullable union becomes a union with null. */
function nullableUnions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullableUnions);
  if (value === null || typeof value !== 'object') return value;
  const node: Json = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, nullableUnions(v)]));
  if (node.nullable === true && node.type === undefined) {
    const { nullable: _n, ...rest } = node;
    return Array.isArray(rest.anyOf)
      ? { ...rest, anyOf: [...(rest.anyOf as Json[]), { type: 'null' }] }
      : { anyOf: [rest, { type: 'null' }] };
  }
  return node;
}

/**
 * Fastify's serializer compiler for Zod response schemas: the schema becomes
 * JSON Schema once, and fast-json-stringify compiles it into a serializer
 * that writes only the declared fields (anything else a service returns
 * never leaves the server). A schema shared by many routes is compiled once.
 * fast-json-stringify coerces rather than refuses (1.7 written as an
 * integer is 1), so with `checkResponses` (tests) every answer is first
 * parsed with its schema and a mismatch is a 500 that names the field.
 * Non-Zod response entries (documented byte or stream answers) are never
 * serialised; plain JSON.stringify covers them should one be.
 */
export function createSerializerCompiler(opts: { checkResponses: boolean }): (route: { schema: unknown }) => (data: unknown) => string {
  const compiled = new WeakMap<z.ZodType, (data: unknown) => string>();
  const compile = (schema: z.ZodType) => {
    // OpenAPI 3.0's `nullable` is the form fast-json-stringify writes fastest.
    const json = nullableUnions(tidy(z.toJSONSchema(schema, { io: 'output', target: 'openapi-3.0', unrepresentable: 'any' }))) as Json;
    const write = fastJson(json as unknown as Parameters<typeof fastJson>[0]);
    return opts.checkResponses ? (data: unknown) => write(schema.parse(data)) : write;
  };
  return ({ schema }) => {
    if (!(schema instanceof z.ZodType)) return (data) => JSON.stringify(data);
    let write = compiled.get(schema);
    if (!write) compiled.set(schema, (write = compile(schema)));
    return write;
  };
}
