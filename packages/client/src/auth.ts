/** The identity endpoints (docs/reference/api.md, "Authentication"; packages/model/src/api/identity.ts). */
export type {
  ApiToken,
  AuditEntry,
  AuditPage,
  CreatedToken,
  CreateTokenRequest,
  CreateUserRequest,
  CookieLoginResult,
  LoginResult,
  Me,
  PublicUser,
  SecretSummary,
  TeamRole,
  UpdateUserRequest,
} from '@gantry/model';
export { TeamRoles } from '@gantry/model/wire-constants';
