import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSerializerCompiler, documentSchema } from './json-schema.js';

const serializerCompiler = createSerializerCompiler({ checkResponses: false });

describe('response serialisation', () => {
  it('writes only the declared fields, nulls, optional fields and unions', () => {
    const schema = z.object({
      id: z.string(),
      n: z.int().min(0),
      playback: z.object({ hls: z.string().nullable() }).nullable(),
      target: z
        .discriminatedUnion('type', [z.object({ type: z.literal('a'), a: z.string() }), z.object({ type: z.literal('b'), b: z.int() })])
        .nullable(),
      error: z.object({ code: z.string() }).optional(),
    });
    const write = serializerCompiler({ schema });
    const parsed = (data: unknown) => JSON.parse(write(data)) as unknown;
    expect(parsed({ id: 'x', n: 2, playback: null, target: null, hidden: 'secret' })).toEqual({
      id: 'x',
      n: 2,
      playback: null,
      target: null,
    });
    expect(parsed({ id: 'x', n: 2, playback: { hls: null, extra: 1 }, target: { type: 'b', b: 3 }, error: { code: 'c' } })).toEqual({
      id: 'x',
      n: 2,
      playback: { hls: null },
      target: { type: 'b', b: 3 },
      error: { code: 'c' },
    });
  });

  it('refuses an answer missing a required field instead of sending half of it', () => {
    const write = serializerCompiler({ schema: z.object({ id: z.string(), n: z.int() }) });
    expect(() => write({ id: 'x' })).toThrow(/n/);
  });

  it('checks answers against their schema when asked (tests), instead of coercing them', () => {
    const schema = z.object({ n: z.int(), at: z.object({ t: z.string() }).optional() });
    expect(serializerCompiler({ schema })({ n: 1.7 })).toBe('{"n":1}');
    const checked = createSerializerCompiler({ checkResponses: true })({ schema });
    expect(() => checked({ n: 1.7 })).toThrow(/expected int/);
    expect(() => checked({ n: 1, at: null })).toThrow(/at/);
    expect(checked({ n: 1, extra: 'x' })).toBe('{"n":1}');
  });

  it('documents integers without the implicit ±2^53 bounds', () => {
    const json = documentSchema(z.object({ n: z.int(), m: z.int().min(0) }), 'output');
    expect(json).toMatchObject({ properties: { n: { type: 'integer' }, m: { type: 'integer', minimum: 0 } } });
    expect(JSON.stringify(json)).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });
});
