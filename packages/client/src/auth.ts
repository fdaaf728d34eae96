/** The identity endpoints a client needs to log in and to know who it is (docs/reference/api.md, "Authentication"). */

/** `POST /api/auth/login`. */
export interface LoginResult {
  token: string;
  expiresAt: string;
  user: { username: string; admin: boolean };
}

/** `GET /api/me`. */
export interface Me {
  user: { username: string; admin: boolean };
  teams: { team: string; role: string }[];
}
