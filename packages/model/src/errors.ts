/**
 * The small set of errors that business code throws. One HTTP layer maps them to a status code and the
 * body `{code, message, details}`; every code is listed in docs/reference/errors.md.
 */
export const ErrorCodes = {
  invalid: 'GANTRY_E_INVALID',
  malformed: 'GANTRY_E_MALFORMED',
  unknownKind: 'GANTRY_E_UNKNOWN_KIND',
  badSelector: 'GANTRY_E_BAD_SELECTOR',
  badRequest: 'GANTRY_E_BAD_REQUEST',
  unauthenticated: 'GANTRY_E_UNAUTHENTICATED',
  forbidden: 'GANTRY_E_FORBIDDEN',
  notFound: 'GANTRY_E_NOT_FOUND',
  methodNotAllowed: 'GANTRY_E_METHOD_NOT_ALLOWED',
  alreadyExists: 'GANTRY_E_ALREADY_EXISTS',
  conflict: 'GANTRY_E_CONFLICT',
  expired: 'GANTRY_E_EXPIRED',
  payloadTooLarge: 'GANTRY_E_PAYLOAD_TOO_LARGE',
  unsupportedMediaType: 'GANTRY_E_UNSUPPORTED_MEDIA_TYPE',
  rateLimited: 'GANTRY_E_RATE_LIMITED',
  unavailable: 'GANTRY_E_UNAVAILABLE',
  internal: 'GANTRY_E_INTERNAL',
  traitCheck: 'GANTRY_E_TRAIT_CHECK',
  definitionInUse: 'GANTRY_E_DEFINITION_IN_USE',
  conversion: 'GANTRY_E_CONVERSION',
  immutable: 'GANTRY_E_IMMUTABLE',
  tooDeep: 'GANTRY_E_TOO_DEEP',
  yamlAliases: 'GANTRY_E_YAML_ALIASES',
  teamNotEmpty: 'GANTRY_E_TEAM_NOT_EMPTY',
  tooManyWatches: 'GANTRY_E_TOO_MANY_WATCHES',
  csrf: 'GANTRY_E_CSRF',
  jobNoTargets: 'GANTRY_E_JOB_NO_TARGETS',
  jobOutsideTouches: 'GANTRY_E_JOB_OUTSIDE_TOUCHES',
  jobEnded: 'GANTRY_E_JOB_ENDED',
  joinTokenExpired: 'GANTRY_E_JOIN_TOKEN_EXPIRED',
  joinTokenUsedUp: 'GANTRY_E_JOIN_TOKEN_USED_UP',
  joinTokenRevoked: 'GANTRY_E_JOIN_TOKEN_REVOKED',
  exceptionState: 'GANTRY_E_EXCEPTION_STATE',
  metricsSourceFailed: 'GANTRY_E_METRICS_SOURCE_FAILED',
  changePlan: 'GANTRY_E_CHANGE_PLAN',
  changeStarted: 'GANTRY_E_CHANGE_STARTED',
  changeState: 'GANTRY_E_CHANGE_STATE',
  changeGate: 'GANTRY_E_CHANGE_GATE',
  changeNoInverse: 'GANTRY_E_CHANGE_NO_INVERSE',
  unknownWindow: 'GANTRY_E_UNKNOWN_WINDOW',
  windowNeverOpens: 'GANTRY_E_WINDOW_NEVER_OPENS',
  databaseTimeout: 'GANTRY_E_DATABASE_TIMEOUT',
  idempotencyKeyReused: 'GANTRY_E_IDEMPOTENCY_KEY_REUSED',
  healingPolicy: 'GANTRY_E_HEALING_POLICY',
  diagnosisTree: 'GANTRY_E_DIAGNOSIS_TREE',
  healingRunState: 'GANTRY_E_HEALING_RUN_STATE',
  windowClosed: 'GANTRY_E_WINDOW_CLOSED',
  budgetExhausted: 'GANTRY_E_BUDGET_EXHAUSTED',
  definitionUpgrade: 'GANTRY_E_DEFINITION_UPGRADE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface ErrorDetail {
  /** JSON pointer into the offending input, e.g. `/spec/members/0/role`; `''` for the whole input. */
  readonly path: string;
  readonly message: string;
}

export class GantryError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: readonly ErrorDetail[];

  constructor(status: number, code: ErrorCode, message: string, details: readonly ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The caller sent something we cannot accept (400). */
export class InputError extends GantryError {
  constructor(message: string, details: readonly ErrorDetail[] = [], code: ErrorCode = ErrorCodes.invalid) {
    super(400, code, message, details);
  }
}

/** Well-formed input that fails a semantic check, e.g. an application's trait check (422). */
export class UnprocessableError extends GantryError {
  constructor(message: string, details: readonly ErrorDetail[], code: ErrorCode) {
    super(422, code, message, details);
  }
}

export class NotFoundError extends GantryError {
  constructor(message: string) {
    super(404, ErrorCodes.notFound, message);
  }
}

/** A write lost a race or collides with existing state (409). */
export class ConflictError extends GantryError {
  constructor(message: string, code: ErrorCode = ErrorCodes.conflict, details: readonly ErrorDetail[] = []) {
    super(409, code, message, details);
  }
}

export class AuthenticationError extends GantryError {
  constructor(message = 'missing, invalid or expired credentials') {
    super(401, ErrorCodes.unauthenticated, message);
  }
}

export class NotAllowedError extends GantryError {
  constructor(message: string) {
    super(403, ErrorCodes.forbidden, message);
  }
}

/** A watch asked for history the server no longer keeps (410). */
export class ExpiredError extends GantryError {
  constructor(message: string) {
    super(410, ErrorCodes.expired, message);
  }
}

export class RateLimitedError extends GantryError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(429, ErrorCodes.rateLimited, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isGantryError(error: unknown): error is GantryError {
  return error instanceof GantryError;
}

/** Turns a JSON pointer into a dotted path for humans: `/spec/members/0/role` → `spec.members[0].role`. */
export function pointerToDotted(pointer: string): string {
  if (pointer === '' || pointer === '/') return '(root)';
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`),
      '',
    );
}
