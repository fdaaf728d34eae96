import { Type, type Static } from '@sinclair/typebox';
import { ErrorCodes } from '../errors.ts';
import { StringEnum } from '../resource.ts';

/** The body of every 4xx and 5xx answer; the codes are those of `ErrorCodes` (docs/reference/errors.md). */
export const ErrorBody = Type.Object(
  {
    code: StringEnum(Object.values(ErrorCodes), {
      description: 'A stable code from docs/reference/errors.md.',
    }),
    message: Type.String(),
    details: Type.Array(
      Type.Object(
        {
          path: Type.String({ description: 'JSON pointer into the input; empty for the whole input.' }),
          message: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBody>;
