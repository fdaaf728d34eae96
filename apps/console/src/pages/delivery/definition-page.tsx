import { EditOutlined, UndoOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Card, Col, Collapse, Descriptions, Flex, Input, Row, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { stringify } from 'yaml';
import type { ComponentDefinition, TraitDefinition } from '@gantry/client';
import { componentDefinitionKind, traitDefinitionKind } from '../../api/delivery';
import { getResource } from '../../api/resources';
import { CopyButton } from '../../components/copy-button';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { SchemaForm, useSchemaForm } from '../../components/schema-form';
import { resourceQueryKey } from '../../hooks/use-resource';
import { catalogPath, type DefinitionGroup } from '../../lib/delivery-paths';
import { componentSnippet, traitSnippet } from '../../lib/schema-form';
import { NotFoundPage } from '../not-found-page';

type Definition = ComponentDefinition | TraitDefinition;

/**
 * `/delivery/catalog/:group/:name`: one component type or trait, its properties as a form generated from
 * its schema, and the YAML a developer pastes into an application to use it with those properties.
 */
export function DefinitionPage() {
  const { group, name = '' } = useParams();
  if (group !== 'components' && group !== 'traits') return <NotFoundPage />;
  return <DefinitionView group={group} name={name} />;
}

function DefinitionView({ group, name }: { group: DefinitionGroup; name: string }) {
  const kind = group === 'components' ? componentDefinitionKind : traitDefinitionKind;
  const definition = useQuery({
    queryKey: resourceQueryKey(kind.plural, undefined, name),
    queryFn: ({ signal }) => getResource({ kind, name }, signal) as Promise<Definition>,
  });
  const crumbs = [
    { label: 'Delivery' },
    { label: 'Catalog', to: group === 'traits' ? `${catalogPath}?tab=traits` : catalogPath },
    { label: name },
  ];
  if (definition.isPending) return <PageLoading />;
  if (!definition.data)
    return (
      <>
        <PageHeader title={name} crumbs={crumbs} />
        <ErrorAlert error={definition.error ?? new Error('Not found')} />
      </>
    );
  const data = definition.data;
  return (
    <>
      <PageHeader
        title={
          <Flex align="center" gap={8} wrap>
            <span>{name}</span>
            <Tag>{group === 'components' ? 'component type' : 'trait'}</Tag>
            <Tag color="blue">v{data.spec.version}</Tag>
            {data.spec.category && <Tag>{data.spec.category}</Tag>}
          </Flex>
        }
        subtitle={data.spec.description || undefined}
        crumbs={crumbs}
        extra={
          <Link to={`/resources/${kind.plural}/${encodeURIComponent(name)}?tab=yaml`}>
            <Button icon={<EditOutlined />}>Edit definition</Button>
          </Link>
        }
      />
      <Flex vertical gap={16}>
        <Card size="small">
          <DefinitionFacts group={group} definition={data} />
        </Card>
        {/* Keyed by generation: a changed schema starts a fresh form. */}
        <PropertiesPlayground key={data.metadata.generation ?? 0} group={group} definition={data} />
        <Collapse
          items={[
            { key: 'schema', label: 'JSON Schema', children: <YamlBlock value={data.spec.schema} /> },
            ...definitionInternals(group, data),
          ]}
        />
      </Flex>
    </>
  );
}

function DefinitionFacts({ group, definition }: { group: DefinitionGroup; definition: Definition }) {
  if (group === 'components') {
    const spec = (definition as ComponentDefinition).spec;
    return (
      <Descriptions
        size="small"
        column={{ xs: 1, md: 2, xl: 3 }}
        items={[
          {
            key: 'workload',
            label: 'Workload',
            children: `${spec.workload?.kind ?? '—'} (${spec.workload?.apiVersion ?? '—'})`,
          },
          {
            key: 'pod',
            label: 'Pod template',
            children: <code>{spec.workload?.podTemplatePath ?? '—'}</code>,
          },
          {
            key: 'render',
            label: 'Rendered by',
            children: spec.helm
              ? `helm chart ${spec.helm.chart}`
              : `${spec.templates?.length ?? 0} template(s)`,
          },
          {
            key: 'health',
            label: 'Health policy',
            span: 3,
            children: spec.health ? <code>{spec.health.policy}</code> : 'default',
          },
        ]}
      />
    );
  }
  const spec = (definition as TraitDefinition).spec;
  return (
    <Descriptions
      size="small"
      column={{ xs: 1, md: 2, xl: 3 }}
      items={[
        {
          key: 'applies',
          label: 'Applies to',
          children: (spec.appliesToWorkloads ?? ['*']).map((workload) => (
            <Tag key={workload} color="blue">
              {workload}
            </Tag>
          )),
        },
        {
          key: 'conflicts',
          label: 'Conflicts with',
          children:
            (spec.conflictsWith ?? []).length > 0
              ? spec.conflictsWith.map((trait) => (
                  <Tag key={trait} color="orange">
                    {trait}
                  </Tag>
                ))
              : '—',
        },
        {
          key: 'stage',
          label: 'Stage',
          children: spec.stage === 'pre' ? 'pre (before the workload)' : 'post (after the workload)',
        },
        { key: 'disruptive', label: 'Restarts pods', children: spec.podDisruptive ? 'yes' : 'no' },
        {
          key: 'does',
          label: 'Does',
          span: 2,
          children:
            [
              spec.patch && 'patches the workload',
              spec.podPatch && 'patches the pod template',
              (spec.outputs ?? []).length > 0 && `adds ${spec.outputs.length} object(s)`,
            ]
              .filter(Boolean)
              .join(', ') || '—',
        },
      ]}
    />
  );
}

function definitionInternals(group: DefinitionGroup, definition: Definition) {
  if (group === 'components') {
    const spec = (definition as ComponentDefinition).spec;
    return [
      spec.helm
        ? { key: 'helm', label: 'Helm chart', children: <YamlBlock value={spec.helm} /> }
        : { key: 'templates', label: 'Templates', children: <YamlBlock value={spec.templates} /> },
    ];
  }
  const spec = (definition as TraitDefinition).spec;
  return [
    ...(spec.patch
      ? [{ key: 'patch', label: 'Workload patch', children: <YamlBlock value={spec.patch} /> }]
      : []),
    ...(spec.podPatch
      ? [{ key: 'podPatch', label: 'Pod template patch', children: <YamlBlock value={spec.podPatch} /> }]
      : []),
    ...((spec.outputs ?? []).length > 0
      ? [{ key: 'outputs', label: 'Outputs', children: <YamlBlock value={spec.outputs} /> }]
      : []),
  ];
}

function PropertiesPlayground({ group, definition }: { group: DefinitionGroup; definition: Definition }) {
  const { form, fields, initialValues, properties } = useSchemaForm(definition.spec.schema);
  const [componentName, setComponentName] = useState('');
  const type = definition.metadata.name;
  const snippet =
    group === 'components'
      ? componentSnippet(componentName, type, properties)
      : traitSnippet(type, properties);
  return (
    <Row gutter={16}>
      <Col xs={24} lg={13}>
        <Card
          size="small"
          title="Properties"
          extra={
            <Button size="small" icon={<UndoOutlined />} onClick={() => form.resetFields()}>
              Defaults
            </Button>
          }
        >
          <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
            Generated from the definition's schema. Fill it in to get the YAML for an application.
          </Typography.Paragraph>
          <SchemaForm form={form} fields={fields} initialValues={initialValues} testId="definition-form" />
        </Card>
      </Col>
      <Col xs={24} lg={11}>
        <Card
          size="small"
          title={group === 'components' ? 'Component YAML' : 'Trait YAML'}
          extra={<CopyButton text={snippet} label="Copy YAML" testId="copy-yaml" />}
          style={{ position: 'sticky', top: 16 }}
        >
          {group === 'components' && (
            <Input
              prefix={<Typography.Text type="secondary">name</Typography.Text>}
              placeholder="my-component"
              aria-label="Component name"
              value={componentName}
              onChange={(event) => setComponentName(event.target.value)}
              style={{ marginBottom: 12 }}
            />
          )}
          <pre data-testid="yaml-preview" style={preStyle}>
            {snippet}
          </pre>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {group === 'components'
              ? 'Goes under spec.components of an application.'
              : 'Goes under a component, in its traits.'}
          </Typography.Text>
        </Card>
      </Col>
    </Row>
  );
}

function YamlBlock({ value }: { value: unknown }) {
  return <pre style={preStyle}>{value === undefined ? '—' : stringify(value, { lineWidth: 0 })}</pre>;
}

const preStyle: React.CSSProperties = {
  margin: '0 0 8px',
  fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
  fontSize: 12.5,
  background: '#f7f8fa',
  border: '1px solid #eaeef2',
  borderRadius: 6,
  padding: 12,
  maxHeight: 480,
  overflow: 'auto',
};
