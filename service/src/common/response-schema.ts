import { DECORATORS } from '@nestjs/swagger';
import type { JsonSchema } from './contract-schema.js';

type Dto = new (...args: never[]) => object;

interface ApiPropertyMetadata {
  type?: unknown;
  isArray?: boolean;
  required?: boolean;
  enum?: unknown[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema;
}

const cache = new Map<Dto, JsonSchema>();

function typeSchema(type: unknown, meta: ApiPropertyMetadata): JsonSchema {
  if (meta.enum) return { type: 'string', enum: [...meta.enum] };
  if (meta.oneOf) return { anyOf: meta.oneOf };
  if (type === 'object' && meta.additionalProperties)
    return { type: 'object', additionalProperties: meta.additionalProperties };
  if (type === String) return { type: 'string' };
  if (type === Number) return { type: 'number' };
  if (type === Boolean) return { type: 'boolean' };
  if (typeof type === 'function') return responseSchemaFor(type as Dto);
  throw new Error(`no response schema for property type ${String(type)}`);
}

/**
 * The JSON Schema of a response DTO, from its @ApiProperty decorators (the same metadata the OpenAPI document is
 * built from). Fastify compiles it with fast-json-stringify: a 1,000-prediction answer then serialises without
 * JSON.stringify's generic walk (measured as a tenth of the batch route's main thread).
 */
export function responseSchemaFor(dto: Dto): JsonSchema {
  const known = cache.get(dto);
  if (known) return known;
  const names = (
    (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, dto.prototype) as string[] | undefined) ?? []
  ).map((n) => n.slice(1));
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const name of names) {
    const meta = (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, dto.prototype, name) ??
      {}) as ApiPropertyMetadata;
    let type = meta.oneOf ? undefined : (meta.type ?? Reflect.getMetadata('design:type', dto.prototype, name));
    let isArray = meta.isArray === true;
    if (Array.isArray(type)) {
      isArray = true;
      type = type[0];
    }
    if (
      typeof type === 'function' &&
      !meta.enum &&
      ![String, Number, Boolean].includes(type as never) &&
      (type as Dto).prototype === undefined
    ) {
      type = (type as () => unknown)(); // a lazy type: () => SomeDto
    }
    const item = typeSchema(type, meta);
    properties[name] = isArray ? { type: 'array', items: item } : item;
    if (meta.required !== false) required.push(name);
  }
  const schema: JsonSchema = { type: 'object', properties, required };
  cache.set(dto, schema);
  return schema;
}
