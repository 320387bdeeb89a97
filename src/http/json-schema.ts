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
  const { $defs: _defs, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any', metadata: registry }) as Json;
  // Registered schemas nested inside come out as `$defs`: point them at the components instead.
  const text = JSON.stringify(tidy(json)).replace(/"#\/\$defs\/([^"]+)"/g, (_m, id: string) => JSON.stringify(COMPONENT(id)));
  return JSON.parse(text) as Json;
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
 * JSON Schema once, at start-up, and fast-json-stringify compiles it into a
 * serializer that writes only the declared fields (anything else a service
 * returns never leaves the server). Non-Zod response entries (documented
 * byte or stream answers) are never serialised; plain JSON.stringify covers
 * them should one be.
 */
export function serializerCompiler({ schema }: { schema: unknown }): (data: unknown) => string {
  if (!(schema instanceof z.ZodType)) return (data) => JSON.stringify(data);
  // OpenAPI 3.0's `nullable` is the form fast-json-stringify writes fastest.
  const json = nullableUnions(tidy(z.toJSONSchema(schema, { io: 'output', target: 'openapi-3.0', unrepresentable: 'any' }))) as Json;
  return fastJson(json as unknown as Parameters<typeof fastJson>[0]);
}
