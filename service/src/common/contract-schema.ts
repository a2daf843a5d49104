import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import { getMetadataStorage, ValidationTypes } from 'class-validator';

/*
 * JSON Schema derived from the DTOs' class-validator decorators, so the decorators stay the one statement of
 * the rules while Fastify's compiled validator (ajv) checks valid requests without class-validator's cost.
 * Only the decorators the DTOs use are translated; any other one throws here, at startup, rather than being
 * silently left out of the fast path.
 */
export type JsonSchema = Record<string, unknown>;
type Dto = new (...args: never[]) => object;

const schemaOwners = new WeakMap<object, Dto>();
const cache = new Map<Dto, JsonSchema>();

function propertySchema(
  target: Dto,
  property: string,
  metas: ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>,
) {
  const schema: JsonSchema = {};
  const items: JsonSchema = {};
  let defined = false;
  let optional = false;
  for (const meta of metas) {
    const key = meta.type === ValidationTypes.CUSTOM_VALIDATION ? meta.name : meta.type;
    const [first, second] = meta.constraints ?? [];
    const into = meta.each && key !== ValidationTypes.NESTED_VALIDATION ? items : schema;
    switch (key) {
      case ValidationTypes.IS_DEFINED:
        defined = true;
        break;
      case ValidationTypes.CONDITIONAL_VALIDATION:
        optional = true;
        break;
      case ValidationTypes.NESTED_VALIDATION: {
        const typeMeta = defaultMetadataStorage.findTypeMetadata(target, property);
        if (!typeMeta) throw new Error(`${target.name}.${property}: @ValidateNested needs @Type`);
        Object.assign(items, schemaFor(typeMeta.typeFunction() as Dto));
        break;
      }
      case 'isNumber':
        into.type = 'number';
        break;
      case 'isInt':
        into.type = 'integer';
        break;
      case 'isString':
        into.type = 'string';
        break;
      case 'isObject':
        into.type = 'object';
        break;
      case 'isArray':
        into.type = 'array';
        break;
      case 'isPositive':
        into.exclusiveMinimum = 0;
        break;
      case 'min':
        into.minimum = first;
        break;
      case 'max':
        into.maximum = first;
        break;
      case 'isIn':
        into.enum = [...(first as unknown[])];
        break;
      case 'matches':
        into.pattern = (first as RegExp).source;
        break;
      case 'isLength':
        into.minLength = first;
        into.maxLength = second;
        break;
      case 'arrayMinSize':
        into.minItems = first;
        break;
      case 'arrayMaxSize':
        into.maxItems = first;
        break;
      case ValidationTypes.WHITELIST:
        break;
      default:
        throw new Error(`${target.name}.${property}: no JSON Schema translation for @${key}`);
    }
  }
  if (Object.keys(items).length > 0) schema.items = items;
  // @IsOptional lets null through as "absent", as class-validator does.
  if (optional && typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  return { schema, required: defined && !optional };
}

/** The JSON Schema of a DTO class: its properties, which are required, and nothing else allowed. */
export function schemaFor(dto: Dto): JsonSchema {
  const known = cache.get(dto);
  if (known) return known;
  const metas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const property of [...new Set(metas.map((m) => m.propertyName))]) {
    const result = propertySchema(
      dto,
      property,
      metas.filter((m) => m.propertyName === property),
    );
    properties[property] = result.schema;
    if (result.required) required.push(property);
  }
  const schema: JsonSchema = { type: 'object', properties, required, additionalProperties: false };
  cache.set(dto, schema);
  schemaOwners.set(schema, dto);
  return schema;
}

/** The DTO a body schema was derived from (to explain a failed body with class-validator's messages). */
export const dtoOfSchema = (schema: unknown): Dto | undefined =>
  schema && typeof schema === 'object' ? schemaOwners.get(schema) : undefined;
