import { z } from 'zod';

/**
 * Named schemas of the API, by direction. A schema registered here becomes a
 * component of the OpenAPI document (and a named type in the generated
 * client); routes that use it refer to it by `$ref`. Requests are converted
 * as a client writes them (defaults optional), responses as the server sends
 * them.
 */
type Meta = { id: string; description?: string; examples?: unknown[] };
export const requestSchemas = z.registry<Meta>();
export const responseSchemas = z.registry<Meta>();

/** The component's metadata: its name, plus what `.describe()` / `.meta()` put on the schema (examples). */
function metaOf(id: string, schema: z.ZodType, description: string | undefined): Meta {
  const global = z.globalRegistry.get(schema);
  const examples = global?.examples;
  return {
    id,
    ...((description ?? global?.description) ? { description: description ?? global?.description } : {}),
    ...(Array.isArray(examples) ? { examples } : {}),
  };
}

/** Names a request body schema (`CreateComment`). */
export function requestSchema<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  requestSchemas.add(schema, metaOf(id, schema, description));
  return schema;
}

/** Names a response schema (`Video`). */
export function responseSchema<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  responseSchemas.add(schema, metaOf(id, schema, description));
  return schema;
}
