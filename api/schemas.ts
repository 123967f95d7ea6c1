// The pieces every response schema of the admin API is built from, and the problem body every
// error answer carries. A schema given `.meta({ id })` becomes one entry of the OpenAPI document's
// `components.schemas`, referenced wherever it is used (api/openapi.ts).
import { z } from 'zod';
import { ROLES } from '../domain/model.js';

/** An instant as the API writes it: ISO 8601 in UTC (`2026-03-01T09:00:00.000Z`). */
export const Instant = z.string().meta({ format: 'date-time', examples: ['2026-03-01T09:00:00.000Z'] });
/** A calendar date in the contract's time zone (`2026-01-01`). */
export const CalendarDate = z.string().meta({ format: 'date', examples: ['2026-01-01'] });
/** A row id: a whole number from 1. */
export const RowId = z.number().int().min(1);
export const RoleName = z.enum(ROLES);
/** An ISO 4217 code (`EUR`). */
export const Currency = z.string().meta({ examples: ['EUR'] });
/** Integer minor units of the currency (cents): 250000 is 2,500.00 EUR. */
export const Minor = z.number().int();

/** Problem details (RFC 9457) with the stable `code`; some problems add members named in docs/api.md. */
export const Problem = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string().meta({ description: 'Stable, machine-readable reason.' }),
    requiredRole: RoleName.optional().meta({ description: 'On 403: the lowest role that may do this.' }),
    errors: z
      .array(
        z.looseObject({
          in: z.enum(['body', 'query', 'path', 'header']),
          pointer: z.string(),
          detail: z.string(),
        }),
      )
      .optional()
      .meta({
        description:
          'On 400: each offending field, as a JSON Pointer (RFC 6901) into the body, query or path.',
      }),
  })
  .meta({
    id: 'Problem',
    description: 'Problem details (RFC 9457).',
    examples: [
      {
        type: 'urn:seatkeeper:problem:seats_exhausted',
        title: 'No seat available',
        status: 409,
        detail: 'No premium seat is free: an owner must add premium seats.',
        code: 'seats_exhausted',
      },
    ],
  });

/** A page of a paged listing: the page asked for, its size, and how many match in all. */
export const PageInfo = {
  total: z.number().int().min(0),
  page: z.number().int().min(1),
  perPage: z.number().int().min(1),
};
