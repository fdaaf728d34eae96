import { Alert } from 'antd';
import { isApiError } from '@gantry/client';

/** An API error as the server worded it, with its code and the per-field details. */
export function ErrorAlert({
  error,
  title,
  style,
}: {
  error: unknown;
  title?: string;
  style?: React.CSSProperties;
}) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const details = isApiError(error) ? error.details : [];
  return (
    <Alert
      type="error"
      showIcon
      style={style}
      data-testid="error-alert"
      title={title ?? message}
      description={
        <>
          {title && <div>{message}</div>}
          {details.length > 0 && (
            <ul style={{ margin: '4px 0 0', paddingLeft: 18 }}>
              {details.map((detail, index) => (
                <li key={`${detail.path}-${index}`}>
                  {detail.path && <code>{detail.path}</code>} {detail.message}
                </li>
              ))}
            </ul>
          )}
          {isApiError(error) && (
            <div style={{ color: '#8c8c8c', fontSize: 12, marginTop: 4 }}>{error.code}</div>
          )}
        </>
      }
    />
  );
}
