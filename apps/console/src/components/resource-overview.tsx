import { Card, Descriptions, Flex, Typography } from 'antd';
import { stringify } from 'yaml';
import type { Resource } from '@gantry/client';
import { formatTime } from '../lib/format';
import { conditionsOf } from '../lib/conditions';
import { ConditionsTable } from './conditions-table';
import { LabelsTags } from './labels-tags';

/** Metadata, conditions, spec and status of one resource, read-only. */
export function ResourceOverview({ resource }: { resource: Resource }) {
  const { metadata } = resource;
  const status = resource.status;
  const observed =
    typeof status === 'object' && status !== null && 'observedGeneration' in status
      ? String(status.observedGeneration)
      : '—';
  return (
    <Flex vertical gap={16}>
      <Card title="Metadata" size="small">
        <Descriptions
          size="small"
          column={{ xs: 1, md: 2, xl: 3 }}
          items={[
            { key: 'name', label: 'Name', children: metadata.name },
            { key: 'team', label: 'Team', children: metadata.team ?? '—' },
            { key: 'uid', label: 'UID', children: <code>{metadata.uid ?? '—'}</code> },
            {
              key: 'rv',
              label: 'Resource version',
              children: <code>{metadata.resourceVersion ?? '—'}</code>,
            },
            {
              key: 'generation',
              label: 'Generation',
              children: `${metadata.generation ?? '—'} (observed ${observed})`,
            },
            { key: 'created', label: 'Created', children: formatTime(metadata.creationTimestamp) },
            { key: 'updated', label: 'Updated', children: formatTime(metadata.updatedTimestamp) },
            { key: 'labels', label: 'Labels', span: 2, children: <LabelsTags labels={metadata.labels} /> },
            {
              key: 'annotations',
              label: 'Annotations',
              span: 3,
              children: <LabelsTags labels={metadata.annotations} />,
            },
          ]}
        />
      </Card>
      <Card title="Conditions" size="small">
        <ConditionsTable conditions={conditionsOf(status)} />
      </Card>
      <Flex gap={16} wrap>
        <Card title="Spec" size="small" style={{ flex: '1 1 380px', minWidth: 0 }}>
          <YamlBlock value={resource.spec} />
        </Card>
        <Card title="Status" size="small" style={{ flex: '1 1 380px', minWidth: 0 }}>
          <YamlBlock value={status} empty="No status reported yet" />
        </Card>
      </Flex>
    </Flex>
  );
}

function YamlBlock({ value, empty = '—' }: { value: unknown; empty?: string }) {
  if (value === undefined || value === null)
    return <Typography.Text type="secondary">{empty}</Typography.Text>;
  return (
    <pre
      style={{
        margin: 0,
        fontSize: 12.5,
        background: '#f7f8fa',
        padding: 12,
        borderRadius: 6,
        overflow: 'auto',
        maxHeight: 420,
      }}
    >
      {stringify(value, { lineWidth: 0 })}
    </pre>
  );
}
