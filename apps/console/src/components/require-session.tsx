import { Navigate, Outlet, useLocation } from 'react-router';
import { useSession } from '../session/use-session';

/** Signed-out visitors (or anyone whose token the server refused) go to the login page and come back. */
export function RequireSession() {
  const token = useSession();
  const location = useLocation();
  if (!token) {
    const next = `${location.pathname}${location.search}`;
    const search = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
    return <Navigate to={`/login${search}`} replace />;
  }
  return <Outlet />;
}
