import { INPUT_FIELDS } from '../contract/loan-application.contract.js';

/**
 * The credit policy's JSON Schema. docs/credit-policy.schema.json is the same document for the people who write
 * policies (a test keeps the two equal); it lives here so the service and the jobs need no file beside their code.
 */
export const CREDIT_POLICY_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://loan-default-platform/credit-policy.schema.json',
  title: 'Credit policy',
  description:
    'Knock-out rules, cut-offs on probability_of_default (approve, refer, decline) by segment, and the examples every version must decide as stated.',
  type: 'object',
  required: ['description', 'knock_outs', 'cutoffs', 'examples'],
  additionalProperties: false,
  properties: {
    policy_version: {
      type: 'string',
      pattern: '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{7}$',
    },
    description: {
      type: 'string',
      minLength: 1,
      maxLength: 2000,
    },
    knock_outs: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        required: ['code', 'field', 'operator', 'value', 'text'],
        additionalProperties: false,
        properties: {
          code: {
            type: 'string',
            pattern: '^K[0-9]{2,3}$',
          },
          field: {
            $ref: '#/definitions/field',
          },
          operator: {
            enum: ['>', '>=', '<', '<=', '==', '!=', 'in', 'not_in'],
          },
          value: {
            oneOf: [
              {
                type: 'number',
              },
              {
                type: 'string',
              },
              {
                type: 'array',
                minItems: 1,
                items: {
                  type: ['number', 'string'],
                },
              },
            ],
          },
          text: {
            type: 'string',
            minLength: 1,
            maxLength: 300,
          },
        },
      },
    },
    cutoffs: {
      type: 'object',
      required: ['default'],
      additionalProperties: false,
      properties: {
        default: {
          $ref: '#/definitions/cutoff',
        },
        segments: {
          type: 'array',
          maxItems: 100,
          items: {
            type: 'object',
            required: ['name', 'field', 'cutoff'],
            additionalProperties: false,
            properties: {
              name: {
                type: 'string',
                pattern: '^[a-z0-9_-]{1,64}$',
              },
              field: {
                $ref: '#/definitions/field',
              },
              in: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'string',
                },
              },
              min: {
                type: 'number',
              },
              max: {
                type: 'number',
              },
              cutoff: {
                $ref: '#/definitions/cutoff',
              },
            },
          },
        },
      },
    },
    examples: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['application', 'probability_of_default', 'decision'],
        additionalProperties: false,
        properties: {
          application: {
            type: 'object',
          },
          probability_of_default: {
            type: 'number',
            minimum: 0,
            maximum: 1,
          },
          model_threshold: {
            type: 'number',
            minimum: 0,
            maximum: 1,
          },
          decision: {
            enum: ['approve', 'refer', 'decline'],
          },
          rules_fired: {
            type: 'array',
            items: {
              type: 'string',
            },
          },
        },
      },
    },
  },
  definitions: {
    // The data contract's inputs, in its order.
    field: { enum: [...INPUT_FIELDS] },
    cutoffValue: {
      oneOf: [
        {
          type: 'number',
          minimum: 0,
          maximum: 1,
        },
        {
          const: 'model_threshold',
        },
      ],
    },
    cutoff: {
      type: 'object',
      required: ['approve_below', 'decline_from'],
      additionalProperties: false,
      properties: {
        approve_below: {
          $ref: '#/definitions/cutoffValue',
        },
        decline_from: {
          $ref: '#/definitions/cutoffValue',
        },
      },
    },
  },
} as const;
