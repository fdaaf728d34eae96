import { Tag } from 'antd';

export function LabelsTags({ labels }: { labels: Record<string, string> | undefined }) {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return <span style={{ color: '#bfbfbf' }}>—</span>;
  return (
    <>
      {entries.map(([key, value]) => (
        <Tag key={key} style={{ marginBottom: 2 }}>
          {key}={value}
        </Tag>
      ))}
    </>
  );
}
