import { Flex, Segmented, Typography } from 'antd';
import { useState } from 'react';
import { stringify } from 'yaml';
import { jsonDiff, type DiffLine } from '../lib/json-diff';

const colors = {
  add: { background: '#e6ffec', sign: '+', color: '#116329' },
  remove: { background: '#ffebe9', sign: '-', color: '#82071e' },
  change: { background: '#fff8c5', sign: '~', color: '#7d4e00' },
} as const;

function show(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

/**
 * What changed from `before` to `after`, leaf by leaf (an audited write, two application revisions).
 * When an audit entry carries only a server-made `diff`, that is shown as it is.
 */
export function DiffView({
  before,
  after,
  diff,
  testId = 'audit-diff',
}: {
  before: unknown;
  after: unknown;
  diff: unknown;
  testId?: string;
}) {
  if (before === undefined && after === undefined) {
    if (diff === undefined || diff === null)
      return <Typography.Text type="secondary">No change recorded.</Typography.Text>;
    return <pre style={preStyle}>{typeof diff === 'string' ? diff : stringify(diff)}</pre>;
  }
  return <BeforeAfter before={before} after={after} testId={testId} />;
}

function BeforeAfter({ before, after, testId }: { before: unknown; after: unknown; testId: string }) {
  const [view, setView] = useState<'changes' | 'side-by-side'>('changes');
  const lines = jsonDiff(before ?? {}, after ?? {});
  return (
    <Flex vertical gap={8}>
      <Segmented
        size="small"
        value={view}
        onChange={setView}
        options={[
          { value: 'changes', label: `Changes (${lines.length})` },
          { value: 'side-by-side', label: 'Before / after' },
        ]}
        style={{ alignSelf: 'flex-start' }}
      />
      {view === 'side-by-side' ? (
        <Flex gap={8}>
          <Side title="Before" value={before} />
          <Side title="After" value={after} />
        </Flex>
      ) : lines.length === 0 ? (
        <Typography.Text type="secondary">No difference between before and after.</Typography.Text>
      ) : (
        <DiffLines lines={lines} testId={testId}>
          {before === undefined && <Caption text="Created" />}
          {after === undefined && <Caption text="Deleted" />}
        </DiffLines>
      )}
    </Flex>
  );
}

/** Leaf-level changes, one line each: `+` added, `-` removed, `~` changed (before → after). */
export function DiffLines({
  lines,
  testId,
  children,
}: {
  lines: readonly DiffLine[];
  testId?: string;
  children?: React.ReactNode;
}) {
  return (
    <div style={{ ...preStyle, padding: 0 }} data-testid={testId}>
      {children}
      {lines.map((line) => (
        <Line key={`${line.op}${line.path}`} line={line} />
      ))}
    </div>
  );
}

function Side({ title, value }: { title: string; value: unknown }) {
  return (
    <div style={{ flex: 1, minWidth: 0 }}>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {title}
      </Typography.Text>
      <pre style={preStyle}>{value === undefined ? '(none)' : stringify(value, { lineWidth: 0 })}</pre>
    </div>
  );
}

function Caption({ text }: { text: string }) {
  return (
    <div style={{ padding: '4px 12px', color: '#6e7781', borderBottom: '1px solid #eaeef2' }}>{text}</div>
  );
}

function Line({ line }: { line: DiffLine }) {
  const style = colors[line.op];
  return (
    <div
      style={{
        background: style.background,
        color: style.color,
        padding: '2px 12px',
        whiteSpace: 'pre-wrap',
        wordBreak: 'break-all',
      }}
    >
      <span style={{ display: 'inline-block', width: 16, fontWeight: 600 }}>{style.sign}</span>
      <span style={{ fontWeight: 500 }}>{line.path}</span>
      {': '}
      {line.op === 'add' && show(line.after)}
      {line.op === 'remove' && <span style={{ textDecoration: 'line-through' }}>{show(line.before)}</span>}
      {line.op === 'change' && (
        <>
          <span style={{ textDecoration: 'line-through', opacity: 0.75 }}>{show(line.before)}</span> →{' '}
          {show(line.after)}
        </>
      )}
    </div>
  );
}

const preStyle: React.CSSProperties = {
  margin: 0,
  fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
  fontSize: 12.5,
  background: '#f7f8fa',
  border: '1px solid #eaeef2',
  borderRadius: 6,
  padding: 12,
  maxHeight: 420,
  overflow: 'auto',
};
