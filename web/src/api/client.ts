/**
 * The typed API client: openapi-fetch over the types generated from the
 * server's OpenAPI document (openapi.gen.ts, `npm run gen:api`). Paths,
 * parameters, bodies and answers are checked against the routes the server
 * declares, so the page and the server cannot drift apart unnoticed.
 */
import createClient from 'openapi-fetch';
import type { components, operations, paths } from './openapi.gen.js';

export type { components, operations, paths };
export type Schemas = components['schemas'];

/**
 * `no-cache`: the browser asks again every time (a shared cache/CDN in front
 * of the API still answers from its copy). Public answers are cacheable for a
 * few seconds, and a viewer who just published a video must not be shown the
 * feed from before it.
 */
export const client = createClient<paths>({ baseUrl: '', cache: 'no-cache' });
