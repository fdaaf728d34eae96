import { useQueries } from '@tanstack/react-query';
import { Card, Input, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Resource } from '@gantry/client';
import { listResources } from '../api/resources';
import type { KindInfo } from '../api/types';
import { ErrorAlert } from '../components/error-alert';
import { LabelsTags } from '../components/labels-tags';
import { PageHeader } from '../components/page-header';
import { detailPath } from '../components/resource-table';
import { useKinds } from '../hooks/use-kinds';
import { formatAge } from '../lib/format';

interface Hit {
  readonly kind: KindInfo;
  readonly resource: Resource;
}

const perKindLimit = 500;

/** Ops search: every kind's list read through the API, matched by name or label on the client. */
export function SearchPage() {
  const kinds = useKinds();
  const [params, setParams] = useSearchParams();
  const term = params.get('q')?.trim() ?? '';
  const [text, setText] = useState(term);

  const lists = useQueries({
    queries: (term ? (kinds.data ?? []) : []).map((kind) => ({
      queryKey: ['resources', kind.plural, 'list', { team: '', labelSelector: '' }, 'search'],
      queryFn: () => listResources(kind, { limit: perKindLimit }),
    })),
  });

  const needle = term.toLowerCase();
  const hits: Hit[] = [];
  (kinds.data ?? []).forEach((kind, index) => {
    for (const resource of lists[index]?.data?.items ?? []) {
      const labels = Object.entries(resource.metadata.labels ?? {}).map(([key, value]) => `${key}=${value}`);
      if (
        resource.metadata.name.toLowerCase().includes(needle) ||
        labels.some((label) => label.toLowerCase().includes(needle))
      ) {
        hits.push({ kind, resource });
      }
    }
  });
  const loading = lists.some((list) => list.isPending);
  const errors = lists.flatMap((list) => (list.error ? [list.error] : []));

  return (
    <>
      <PageHeader
        title="Search"
        subtitle={`Find resources of every kind by name or label (first ${perKindLimit} of each kind).`}
        crumbs={[{ label: 'Service' }, { label: 'Search' }]}
      />
      <Card>
        <Input.Search
          size="large"
          placeholder="Name or label, e.g. checkout or env=prod"
          enterButton="Search"
          value={text}
          onChange={(event) => setText(event.target.value)}
          onSearch={(value) => setParams(value.trim() ? { q: value.trim() } : {}, { replace: true })}
          style={{ maxWidth: 640, marginBottom: 16 }}
          aria-label="Search resources"
        />
        {errors[0] !== undefined && <ErrorAlert error={errors[0]} style={{ marginBottom: 16 }} />}
        {term ? (
          <Table<Hit>
            rowKey={(hit) =>
              `${hit.kind.plural}/${hit.resource.metadata.team ?? ''}/${hit.resource.metadata.name}`
            }
            loading={loading}
            dataSource={hits}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            locale={{ emptyText: `Nothing matches “${term}”` }}
            columns={[
              { title: 'Kind', key: 'kind', render: (_, hit) => <Tag>{hit.kind.kind}</Tag> },
              {
                title: 'Name',
                key: 'name',
                render: (_, hit) => (
                  <Link to={detailPath(hit.kind, hit.resource)}>{hit.resource.metadata.name}</Link>
                ),
              },
              { title: 'Team', key: 'team', render: (_, hit) => hit.resource.metadata.team ?? '—' },
              {
                title: 'Labels',
                key: 'labels',
                render: (_, hit) => <LabelsTags labels={hit.resource.metadata.labels} />,
              },
              {
                title: 'Age',
                key: 'age',
                render: (_, hit) => formatAge(hit.resource.metadata.creationTimestamp),
              },
            ]}
          />
        ) : (
          <Typography.Text type="secondary">Type a name or a label and press Enter.</Typography.Text>
        )}
      </Card>
    </>
  );
}
