import { z } from 'zod';

/**
 * Named schemas of the API, by direction. A schema registered here becomes a
 * component of the OpenAPI document (and a named type in the generated
 * client); routes that use it refer to it by `$ref`. Requests are converted
 * as a client writes them (defaults optional), responses as the server sends
 * them.
 */
export const requestSchemas = z.registry<{ id: string; description?: string }>();
export const responseSchemas = z.registry<{ id: string; description?: string }>();

/** Names a request body schema (`CreateComment`). */
export function requestSchema<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  requestSchemas.add(schema, description ? { id, description } : { id });
  return schema;
}

/** Names a response schema (`Video`). */
export function responseSchema<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  responseSchemas.add(schema, description ? { id, description } : { id });
  return schema;
}
