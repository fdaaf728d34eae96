import { Alert, Flex, Switch, Tag, Typography } from 'antd';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { isApiError } from '@gantry/client';
import { readJobOutput } from '../api/jobs';
import { appendOutput, type LogSegment } from '../lib/jobs';

const streamColors: Record<LogSegment['stream'], string> = {
  stdout: '#e6edf3',
  stderr: '#ff7b72',
  system: '#e3b341',
};

/** How long one output request may wait on the server for something new. */
const waitSeconds = 20;
/** After a failed read (the server restarting, a dropped connection), try again this much later. */
const retryMs = 2_000;

type Follow = 'following' | 'ended' | 'error';

/**
 * A target's output as a terminal shows it: monospace on dark, stderr in red, Gantry's own lines (the
 * truncation marker, attempt headers) in yellow. It reads the output API with its cursor, long-polling
 * while the run goes on, until the server says the output is done. With "Follow" on, it keeps the
 * newest line in view; scrolling up turns it off.
 */
export function LogViewer({ runId, target }: { runId: string; target: string }) {
  const [log, setLog] = useState<LogSegment[]>([]);
  const [status, setStatus] = useState<Follow>('following');
  const [error, setError] = useState<unknown>(undefined);
  const [follow, setFollow] = useState(true);
  const screen = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setLog([]);
    setStatus('following');
    setError(undefined);
    const read = async (): Promise<void> => {
      let cursor = 0;
      while (!abort.signal.aborted) {
        try {
          const page = await readJobOutput(runId, {
            after: cursor,
            target,
            waitSeconds,
            signal: abort.signal,
          });
          if (abort.signal.aborted) return;
          setError(undefined);
          if (page.chunks.length > 0) setLog((current) => appendOutput(current, page.chunks));
          cursor = page.cursor;
          if (page.done) {
            setStatus('ended');
            return;
          }
        } catch (failure) {
          if (abort.signal.aborted) return;
          setError(failure);
          setStatus('error');
          // A refusal (unknown run, no access) will not change by asking again.
          if (isApiError(failure) && failure.status >= 400 && failure.status < 500) return;
          await new Promise((resolve) => setTimeout(resolve, retryMs));
          setStatus('following');
        }
      }
    };
    void read();
    return () => abort.abort();
  }, [runId, target]);

  useLayoutEffect(() => {
    const element = screen.current;
    if (follow && element) element.scrollTop = element.scrollHeight;
  }, [log, follow]);

  const onScroll = (): void => {
    const element = screen.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 8;
    if (follow && !atBottom) setFollow(false);
    if (!follow && atBottom) setFollow(true);
  };

  return (
    <div data-testid="log-viewer" data-status={status}>
      <Flex justify="space-between" align="center" style={{ marginBottom: 8 }}>
        <Flex gap={8} align="center">
          <Typography.Text strong style={{ fontFamily: 'ui-monospace, monospace' }}>
            {target}
          </Typography.Text>
          {status === 'following' && (
            <Tag color="processing" data-testid="log-live">
              live
            </Tag>
          )}
          {status === 'ended' && <Tag data-testid="log-ended">end of output</Tag>}
        </Flex>
        <Flex gap={6} align="center">
          <Typography.Text type="secondary">Follow</Typography.Text>
          <Switch size="small" checked={follow} onChange={setFollow} data-testid="log-follow" />
        </Flex>
      </Flex>
      {error !== undefined && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 8 }}
          title={`Reading the output failed: ${error instanceof Error ? error.message : String(error)}`}
        />
      )}
      <pre
        ref={screen}
        onScroll={onScroll}
        data-testid="log-screen"
        style={{
          margin: 0,
          height: 420,
          overflow: 'auto',
          background: '#0d1117',
          color: streamColors.stdout,
          padding: '10px 12px',
          borderRadius: 6,
          fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
          fontSize: 12.5,
          lineHeight: 1.45,
          whiteSpace: 'pre-wrap',
          wordBreak: 'break-all',
        }}
      >
        {log.length === 0 && (
          <span style={{ color: '#7d8590' }}>
            {status === 'ended' ? '(no output)' : 'waiting for output…'}
          </span>
        )}
        {log.map((segment) => (
          <span
            key={segment.id}
            data-stream={segment.stream}
            style={{
              color: streamColors[segment.stream],
              fontStyle: segment.stream === 'system' ? 'italic' : undefined,
            }}
          >
            {segment.text}
          </span>
        ))}
      </pre>
    </div>
  );
}
