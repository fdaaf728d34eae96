import { PlusOutlined } from '@ant-design/icons';
import {
  Button,
  Card,
  Flex,
  Input,
  Table,
  Tabs,
  Tag,
  Tooltip,
  Typography,
  type TableColumnsType,
} from 'antd';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { ComponentDefinition, Resource, TraitDefinition } from '@gantry/client';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useComponentDefinitions, useTraitDefinitions } from '../../hooks/use-definitions';
import { useMe } from '../../hooks/use-me';
import { definitionPath, type DefinitionGroup } from '../../lib/delivery-paths';

/** `/delivery/catalog`: the component types and traits operators defined, for developers to pick from. */
export function CatalogPage() {
  const [params, setParams] = useSearchParams();
  const group: DefinitionGroup = params.get('tab') === 'traits' ? 'traits' : 'components';
  const [search, setSearch] = useState('');
  const components = useComponentDefinitions();
  const traits = useTraitDefinitions();
  const me = useMe();
  const isAdmin = me.data?.user.admin ?? false;
  const needle = search.trim().toLowerCase();
  const matches = (definition: Resource & { spec: { description?: string; category?: string } }) =>
    !needle ||
    [definition.metadata.name, definition.spec.description ?? '', definition.spec.category ?? ''].some(
      (text) => text.toLowerCase().includes(needle),
    );

  return (
    <>
      <PageHeader
        title="Catalog"
        subtitle="Component types and traits: what an application's components can be, and what can be attached to them."
        crumbs={[{ label: 'Delivery' }, { label: 'Catalog' }]}
        extra={
          isAdmin && (
            <Link
              to={`/resources/${group === 'components' ? 'componentdefinitions' : 'traitdefinitions'}/new`}
            >
              <Button icon={<PlusOutlined />}>
                New {group === 'components' ? 'component type' : 'trait'}
              </Button>
            </Link>
          )
        }
      />
      <Card styles={{ body: { paddingTop: 8 } }}>
        <Tabs
          activeKey={group}
          onChange={(key) => setParams(key === 'components' ? {} : { tab: key }, { replace: true })}
          tabBarExtraContent={
            <Input.Search
              allowClear
              placeholder="Name, description or category"
              aria-label="Search the catalog"
              style={{ width: 280 }}
              onChange={(event) => setSearch(event.target.value)}
            />
          }
          items={[
            {
              key: 'components',
              label: `Component types${components.data ? ` (${components.data.length})` : ''}`,
              children: (
                <>
                  <ErrorAlert error={components.error} style={{ marginBottom: 16 }} />
                  <Table<ComponentDefinition>
                    size="middle"
                    rowKey={(definition) => definition.metadata.name}
                    loading={components.isPending}
                    dataSource={(components.data ?? []).filter(matches)}
                    columns={componentColumns}
                    pagination={false}
                    data-testid="component-definitions"
                    locale={{ emptyText: 'No component types defined' }}
                  />
                </>
              ),
            },
            {
              key: 'traits',
              label: `Traits${traits.data ? ` (${traits.data.length})` : ''}`,
              children: (
                <>
                  <ErrorAlert error={traits.error} style={{ marginBottom: 16 }} />
                  <Table<TraitDefinition>
                    size="middle"
                    rowKey={(definition) => definition.metadata.name}
                    loading={traits.isPending}
                    dataSource={(traits.data ?? []).filter(matches)}
                    columns={traitColumns}
                    pagination={false}
                    data-testid="trait-definitions"
                    locale={{ emptyText: 'No traits defined' }}
                  />
                </>
              ),
            },
          ]}
        />
      </Card>
    </>
  );
}

function nameColumn<T extends Resource>(group: DefinitionGroup): TableColumnsType<T>[number] {
  return {
    title: 'Name',
    key: 'name',
    width: 180,
    sorter: (a, b) => a.metadata.name.localeCompare(b.metadata.name),
    defaultSortOrder: 'ascend',
    render: (_, definition) => (
      <Link to={definitionPath(group, definition.metadata.name)} style={{ fontWeight: 500 }}>
        {definition.metadata.name}
      </Link>
    ),
  };
}

const versionColumn = {
  title: 'Version',
  key: 'version',
  width: 100,
  render: (_: unknown, definition: Resource & { spec: { version: string } }) => (
    <code>{definition.spec.version}</code>
  ),
};

const categoryColumn = {
  title: 'Category',
  key: 'category',
  width: 130,
  render: (_: unknown, definition: Resource & { spec: { category?: string } }) =>
    definition.spec.category ? <Tag>{definition.spec.category}</Tag> : '—',
};

const descriptionColumn = {
  title: 'Description',
  key: 'description',
  render: (_: unknown, definition: Resource & { spec: { description?: string } }) => (
    <Typography.Text type="secondary">{definition.spec.description || '—'}</Typography.Text>
  ),
};

function Tags({ values, color }: { values: readonly string[] | undefined; color?: string }) {
  if (!values || values.length === 0) return <span style={{ color: '#bfbfbf' }}>—</span>;
  return (
    <>
      {values.map((value) => (
        <Tag key={value} color={color} style={{ marginBottom: 2 }}>
          {value}
        </Tag>
      ))}
    </>
  );
}

const componentColumns: TableColumnsType<ComponentDefinition> = [
  nameColumn<ComponentDefinition>('components'),
  versionColumn,
  categoryColumn,
  {
    title: 'Workload',
    key: 'workload',
    width: 200,
    render: (_, definition) => {
      const workload = definition.spec.workload;
      return (
        <>
          <span>{workload?.kind ?? '—'}</span>
          {definition.spec.helm && (
            <Tag color="purple" style={{ marginLeft: 6 }}>
              helm
            </Tag>
          )}
          <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
            {workload?.apiVersion}
          </Typography.Text>
        </>
      );
    },
  },
  descriptionColumn,
];

const traitColumns: TableColumnsType<TraitDefinition> = [
  nameColumn<TraitDefinition>('traits'),
  versionColumn,
  categoryColumn,
  {
    title: 'Applies to',
    key: 'appliesTo',
    width: 200,
    render: (_, definition) => <Tags values={definition.spec.appliesToWorkloads} color="blue" />,
  },
  {
    title: 'Conflicts with',
    key: 'conflicts',
    width: 160,
    render: (_, definition) => <Tags values={definition.spec.conflictsWith} color="orange" />,
  },
  {
    title: 'Stage',
    key: 'stage',
    width: 90,
    render: (_, definition) => (
      <Flex gap={4} wrap>
        <Tag>{definition.spec.stage ?? 'post'}</Tag>
        {definition.spec.podDisruptive && (
          <Tooltip title="Changing this trait restarts pods">
            <Tag color="red">restarts pods</Tag>
          </Tooltip>
        )}
      </Flex>
    ),
  },
  descriptionColumn,
];
