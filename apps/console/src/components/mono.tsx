import type { CSSProperties, ReactNode } from 'react';
import { Link } from 'react-router';

/** How ids, versions and paths are set in tables: a monospace a little smaller than the text. */
export const MONO: CSSProperties = { fontFamily: 'ui-monospace, monospace', fontSize: 12.5 };

/** A link to a record by its id (a run, a host), in monospace. */
export function IdLink({ to, children, testId }: { to: string; children: ReactNode; testId?: string }) {
  return (
    <Link to={to} style={MONO} data-testid={testId}>
      {children}
    </Link>
  );
}
