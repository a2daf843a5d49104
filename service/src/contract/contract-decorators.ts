import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  IsPositive,
} from 'class-validator';
import {
  ENUM_RULES,
  EnumField,
  GRADE_SUBGRADE_PATTERN,
  NUMBER_RULES,
  NumberField,
  NumberRule,
} from './loan-application.contract.js';

/*
 * One decorator per contract field that states the rule once for both class-validator (validation and
 * messages) and Swagger (schema and example). ValidationPipe runs with stopAtFirstError and class-validator
 * checks in the order applyDecorators registers them, so each list starts with presence, then type, then range.
 */
const required = (name: string) => IsDefined({ message: `${name} is required` });

function rangeText(rule: NumberRule): string {
  const low = rule.exclusive_min !== undefined ? `> ${rule.exclusive_min}` : `>= ${rule.min}`;
  return `${low} and <= ${rule.max}`;
}

export function ContractNumber(name: NumberField, example: number, description: string): PropertyDecorator {
  const rule: NumberRule = NUMBER_RULES[name];
  const range = rangeText(rule);
  const checks: PropertyDecorator[] = [
    required(name),
    rule.type === 'integer'
      ? IsInt({ message: `${name} must be an integer (a JSON number, not a string)` })
      : IsNumber(
          { allowNaN: false, allowInfinity: false },
          { message: `${name} must be a finite number (a JSON number, not a string)` },
        ),
  ];
  if (rule.min !== undefined) checks.push(Min(rule.min, { message: `${name} must be ${range}` }));
  if (rule.exclusive_min === 0) checks.push(IsPositive({ message: `${name} must be ${range}` }));
  checks.push(Max(rule.max, { message: `${name} must be ${range}` }));
  return applyDecorators(
    ApiProperty({
      type: rule.type === 'integer' ? 'integer' : 'number',
      description: `${description} Rule: ${range}.`,
      example,
      minimum: rule.exclusive_min ?? rule.min,
      exclusiveMinimum: rule.exclusive_min !== undefined ? true : undefined,
      maximum: rule.max,
    } as Parameters<typeof ApiProperty>[0]),
    ...checks,
  );
}

export function ContractEnum(name: EnumField, example: string, description: string): PropertyDecorator {
  const values = [...ENUM_RULES[name]];
  return applyDecorators(
    ApiProperty({ enum: values, example, description: `${description} Exact spelling and case.` }),
    required(name),
    IsString({ message: `${name} must be a string, one of: ${values.join(', ')}` }),
    IsIn(values, { message: `${name} must be one of: ${values.join(', ')} (exact spelling and case)` }),
  );
}

export function ContractGrade(example: string): PropertyDecorator {
  const rule = 'a letter A-G followed by a digit 1-5 (A1 ... G5)';
  return applyDecorators(
    ApiProperty({ example, pattern: GRADE_SUBGRADE_PATTERN.source, description: `Loan grade and sub-grade: ${rule}.` }),
    required('grade_subgrade'),
    IsString({ message: `grade_subgrade must be a string, ${rule}` }),
    Matches(GRADE_SUBGRADE_PATTERN, { message: `grade_subgrade must be ${rule}` }),
  );
}

/** application_id's length, stated once for the check and for the OpenAPI document. */
const APPLICATION_ID_LENGTH = { min: 1, max: 128 };

export function OptionalApplicationId(): PropertyDecorator {
  const { min, max } = APPLICATION_ID_LENGTH;
  return applyDecorators(
    ApiPropertyOptional({
      example: 'app-2026-000123',
      minLength: min,
      maxLength: max,
      // IsOptional lets null through as "not sent"; the document says so.
      nullable: true,
      description:
        'Your identifier for the application, echoed back so outcomes can be joined later. null is the same as leaving it out.',
    }),
    IsOptional(),
    IsString({ message: 'application_id must be a string' }),
    Length(min, max, { message: `application_id must be ${min} to ${max} characters` }),
  );
}
