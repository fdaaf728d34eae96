import { Table, Tooltip, type TableColumnsType } from 'antd';
import { Link } from 'react-router';
import type { Resource } from '@gantry/client';
import type { KindInfo } from '../api/types';
import { resourceKey } from '../hooks/use-resource-list';
import { formatAge, formatTime } from '../lib/format';
import { LabelsTags } from './labels-tags';

/** Where a resource's detail page lives in the console. */
export function detailPath(kind: Pick<KindInfo, 'plural' | 'scope'>, resource: Resource): string {
  const name = encodeURIComponent(resource.metadata.name);
  if (kind.scope === 'Global') return `/resources/${kind.plural}/${name}`;
  return `/resources/${kind.plural}/${encodeURIComponent(resource.metadata.team ?? '')}/${name}`;
}

export interface ResourceTableProps {
  readonly kind: KindInfo;
  readonly items: readonly Resource[];
  readonly loading: boolean;
  readonly extraColumns?: TableColumnsType<Resource>;
  readonly linkTo?: (resource: Resource) => string;
}

/** The generic resource table: name, team, labels, age, resourceVersion. */
export function ResourceTable({ kind, items, loading, extraColumns = [], linkTo }: ResourceTableProps) {
  const columns: TableColumnsType<Resource> = [
    {
      title: 'Name',
      key: 'name',
      render: (_, resource) => (
        <Link to={linkTo ? linkTo(resource) : detailPath(kind, resource)} style={{ fontWeight: 500 }}>
          {resource.metadata.name}
        </Link>
      ),
      sorter: (a, b) => a.metadata.name.localeCompare(b.metadata.name),
    },
    ...(kind.scope === 'Team'
      ? [
          {
            title: 'Team',
            key: 'team',
            render: (_: unknown, resource: Resource) => resource.metadata.team ?? '—',
          },
        ]
      : []),
    ...extraColumns,
    {
      title: 'Labels',
      key: 'labels',
      render: (_, resource) => <LabelsTags labels={resource.metadata.labels} />,
    },
    {
      title: 'Age',
      key: 'age',
      width: 90,
      render: (_, resource) => (
        <Tooltip title={formatTime(resource.metadata.creationTimestamp)}>
          {formatAge(resource.metadata.creationTimestamp)}
        </Tooltip>
      ),
    },
    {
      title: 'Resource version',
      key: 'resourceVersion',
      width: 150,
      render: (_, resource) => (
        <code style={{ color: '#6e7781' }}>{resource.metadata.resourceVersion ?? '—'}</code>
      ),
    },
  ];
  return (
    <Table<Resource>
      rowKey={resourceKey}
      size="middle"
      loading={loading}
      dataSource={[...items]}
      columns={columns}
      pagination={false}
      data-testid="resource-table"
      locale={{ emptyText: `No ${kind.plural} found` }}
    />
  );
}
