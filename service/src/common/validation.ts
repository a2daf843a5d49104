import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';

export interface FieldProblem {
  field: string;
  message: string;
}

const UNKNOWN_FIELD = 'whitelistValidation';

/** Flattens class-validator's tree into one problem per offending field, named by its path. */
export function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    const keys = Object.keys(constraints);
    if (keys.length > 0) {
      const key = keys.includes(UNKNOWN_FIELD) ? UNKNOWN_FIELD : keys[0];
      const message =
        key === UNKNOWN_FIELD
          ? `${field} is not a field of this request (unknown fields are rejected)`
          : constraints[key];
      problems.push({ field, message: parent && key !== UNKNOWN_FIELD ? `${parent}.${message}` : message });
    }
    if (error.children?.length) problems.push(...fieldProblems(error.children, field));
  }
  return problems;
}

export function validationException(errors: ValidationError[]): BadRequestException {
  const problems = fieldProblems(errors);
  return badRequest(problems.length > 0 ? problems : [NOT_AN_OBJECT]);
}

/**
 * The global pipe: class-validator decorators on the DTOs are the rules; nothing is coerced (a number sent
 * as a string is an error), unknown fields are rejected, and each field reports its first broken rule.
 */
/** One problem per offending field of `value` against the DTO's rules (empty when it is valid). */
export async function validateAgainstDto(dto: new () => object, value: unknown): Promise<FieldProblem[]> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [NOT_AN_OBJECT];
  try {
    return fieldProblems(await validate(plainToInstance(dto, value), VALIDATOR_OPTIONS));
  } catch (error) {
    // class-transformer recurses into every value: a deeply nested one overflows the stack.
    if (error instanceof RangeError) return [{ field: 'body', message: 'the body is nested too deeply' }];
    throw error;
  }
}

const NOT_AN_OBJECT: FieldProblem = { field: 'body', message: 'the body must be a JSON object' };
const VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
};

export function badRequest(problems: FieldProblem[]): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: problems.map((p) => p.message),
    errors: problems,
  });
}

class ContractValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // class-transformer would turn an array into an array of DTOs and a primitive into nothing useful:
    // a body must be one JSON object before its fields are checked.
    if (metadata.type === 'body' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw badRequest([NOT_AN_OBJECT]);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new ContractValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: validationException,
  });
}
