import { Input, Table, Tag } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router';
import type { KindInfo } from '../../api/types';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useKinds } from '../../hooks/use-kinds';

/** Every resource kind the server serves (GET /api/kinds), each opening its generic browser. */
export function KindsPage() {
  const kinds = useKinds();
  const [search, setSearch] = useState('');
  const needle = search.trim().toLowerCase();
  const rows = (kinds.data ?? []).filter(
    (kind) => !needle || kind.kind.toLowerCase().includes(needle) || kind.plural.includes(needle),
  );

  return (
    <>
      <PageHeader
        title="Resources"
        subtitle="All declarative resource kinds served by this Gantry server."
        crumbs={[{ label: 'Administration' }, { label: 'Resources' }]}
        extra={
          <Input.Search
            placeholder="Filter kinds"
            allowClear
            onChange={(event) => setSearch(event.target.value)}
            style={{ width: 240 }}
          />
        }
      />
      <ErrorAlert error={kinds.error} style={{ marginBottom: 16 }} />
      <Table<KindInfo>
        rowKey="plural"
        loading={kinds.isPending}
        dataSource={rows}
        pagination={false}
        data-testid="kinds-table"
        columns={[
          {
            title: 'Kind',
            dataIndex: 'kind',
            render: (kind: string, row) => <Link to={`/resources/${row.plural}`}>{kind}</Link>,
          },
          { title: 'Plural', dataIndex: 'plural', render: (plural: string) => <code>{plural}</code> },
          { title: 'API version', key: 'apiVersion', render: (_, row) => `${row.group}/${row.version}` },
          {
            title: 'Scope',
            dataIndex: 'scope',
            render: (scope: string) => <Tag color={scope === 'Global' ? 'purple' : 'blue'}>{scope}</Tag>,
          },
        ]}
      />
    </>
  );
}
