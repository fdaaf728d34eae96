import { CheckCircleOutlined, ExperimentOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Col, Flex, Form, Input, Row, Select, Typography } from 'antd';
import { useEffect, useMemo, useRef } from 'react';
import { Link, useNavigate } from 'react-router';
import { stringify } from 'yaml';
import { isApiError, type Resource } from '@gantry/client';
import { clusterKind } from '../../api/clusters';
import { createApplication, environmentKind, listAll } from '../../api/delivery';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useComponentDefinitions, useTraitDefinitions } from '../../hooks/use-definitions';
import { useMe } from '../../hooks/use-me';
import { useTeamNames } from '../../hooks/use-team-names';
import { applicationPath, applicationsPath, catalogPath } from '../../lib/delivery-paths';
import {
  fieldOfApplicationError,
  newApplicationResource,
  type DefinitionFields,
  type NewApplicationValues,
} from '../../lib/new-application';
import { describeSchema, type FieldPath, type SchemaField } from '../../lib/schema-form';
import { ComponentCard } from './component-card';

const initialValues: NewApplicationValues = { namespace: 'default', components: [{ name: '', traits: [] }] };

/**
 * `/delivery/applications/new`: an application built from the catalog. Each component's and trait's
 * properties come from a form generated from its definition's schema; the server's trait check answers
 * for the whole application at once, and each of its findings is put on the field it names.
 */
export function NewApplicationPage() {
  const [form] = Form.useForm<NewApplicationValues>();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const teams = useTeamNames();
  const me = useMe();
  const componentTypes = useComponentDefinitions();
  const traitTypes = useTraitDefinitions();

  const writableTeam =
    me.data?.teams.find((membership) => membership.role !== 'viewer')?.team ?? teams[0] ?? undefined;
  useEffect(() => {
    if (writableTeam && !form.getFieldValue('team')) form.setFieldValue('team', writableTeam);
  }, [form, writableTeam]);

  const definitions = useMemo<DefinitionFields>(() => {
    const fieldsByName = (
      items: readonly { metadata: { name: string }; spec: { schema: unknown } }[] | undefined,
    ) =>
      new Map<string, SchemaField[]>(
        (items ?? []).map((item) => [item.metadata.name, describeSchema(item.spec.schema)]),
      );
    const components = fieldsByName(componentTypes.data);
    const traits = fieldsByName(traitTypes.data);
    return { component: (type) => components.get(type), trait: (type) => traits.get(type) };
  }, [componentTypes.data, traitTypes.data]);

  const values = Form.useWatch((all: NewApplicationValues) => all, { form, preserve: true });
  const team = values?.team;
  const clusters = useQuery({
    queryKey: ['resources', clusterKind.plural, 'list', { team, all: true }],
    queryFn: ({ signal }) => listAll(clusterKind, { team, signal }),
    enabled: Boolean(team),
  });
  const environments = useQuery({
    queryKey: ['resources', environmentKind.plural, 'list', { team, all: true }],
    queryFn: ({ signal }) => listAll(environmentKind, { team, signal }),
    enabled: Boolean(team),
  });
  const application = useMemo(
    () => newApplicationResource(values ?? initialValues, definitions),
    [values, definitions],
  );

  /** Fields marked by the last server answer, cleared before the next submission. */
  const marked = useRef<FieldPath[]>([]);
  const submit = useMutation({
    mutationFn: ({ dryRun, resource }: { dryRun: boolean; resource: Resource }) =>
      createApplication(resource, { dryRun }),
    onMutate: () => {
      form.setFields(marked.current.map((name) => ({ name, errors: [] })));
      marked.current = [];
    },
    onSuccess: async (created, { dryRun }) => {
      if (dryRun) return;
      void message.success(`Application ${created.metadata.name} created`);
      await queryClient.invalidateQueries({ queryKey: ['resources', 'applications'] });
      await navigate(applicationPath(created.metadata.team ?? '', created.metadata.name));
    },
    onError: (error) => {
      if (!isApiError(error)) return;
      const byField = new Map<string, { name: FieldPath; errors: string[] }>();
      const current = form.getFieldsValue(true) as NewApplicationValues;
      for (const detail of error.details) {
        const name = fieldOfApplicationError(detail.path, current, definitions);
        if (!name) continue;
        const entry = byField.get(JSON.stringify(name)) ?? { name, errors: [] };
        entry.errors.push(detail.message);
        byField.set(JSON.stringify(name), entry);
      }
      marked.current = [...byField.values()].map((entry) => entry.name);
      form.setFields([...byField.values()]);
    },
  });

  const run = (dryRun: boolean): void => {
    form
      .validateFields()
      .then(() => {
        const current = form.getFieldsValue(true) as NewApplicationValues;
        submit.mutate({ dryRun, resource: newApplicationResource(current, definitions) });
      })
      .catch(() => undefined);
  };

  const noTypes = componentTypes.data !== undefined && componentTypes.data.length === 0;
  return (
    <>
      <PageHeader
        title="New application"
        subtitle="Pick component types and traits from the catalog; the server checks the whole application before anything is stored."
        crumbs={[{ label: 'Delivery' }, { label: 'Applications', to: applicationsPath }, { label: 'New' }]}
      />
      <Row gutter={16} align="top">
        <Col xs={24} xl={15}>
          <Form<NewApplicationValues>
            form={form}
            layout="vertical"
            initialValues={initialValues}
            data-testid="new-application-form"
            onFinish={() => run(false)}
          >
            <Card size="small" title="Application" style={{ marginBottom: 16 }}>
              <Row gutter={12}>
                <Col xs={24} md={8}>
                  <Form.Item
                    label="Team"
                    name="team"
                    rules={[{ required: true, message: 'Pick the owning team' }]}
                  >
                    <Select
                      showSearch
                      placeholder="Team"
                      aria-label="Team"
                      data-testid="team-select"
                      options={teams.map((name) => ({ value: name, label: name }))}
                      onChange={() => form.setFieldsValue({ clusters: [], environments: [] })}
                    />
                  </Form.Item>
                </Col>
                <Col xs={24} md={8}>
                  <Form.Item
                    label="Name"
                    name="name"
                    rules={[{ required: true, message: 'Name the application' }]}
                  >
                    <Input placeholder="checkout" autoComplete="off" />
                  </Form.Item>
                </Col>
                <Col xs={24} md={8}>
                  <Form.Item
                    label="Namespace"
                    name="namespace"
                    extra="On every target, unless an environment sets its own."
                  >
                    <Input placeholder="default" autoComplete="off" />
                  </Form.Item>
                </Col>
              </Row>
              <Form.Item label="Description" name="description" style={{ marginBottom: 0 }}>
                <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} />
              </Form.Item>
            </Card>
            <Card size="small" title="Where it runs" style={{ marginBottom: 16 }}>
              <Row gutter={12}>
                <Col xs={24} md={12}>
                  <Form.Item label="Clusters" name="clusters" extra="The team's clusters, by name.">
                    <Select
                      mode="multiple"
                      allowClear
                      placeholder={team ? 'Pick clusters' : 'Pick a team first'}
                      aria-label="Clusters"
                      data-testid="clusters-select"
                      loading={clusters.isFetching}
                      options={(clusters.data ?? []).map((cluster) => ({
                        value: cluster.metadata.name,
                        label: cluster.metadata.name,
                      }))}
                    />
                  </Form.Item>
                </Col>
                <Col xs={24} md={12}>
                  <Form.Item
                    label="Environments"
                    name="environments"
                    extra="Every cluster of these environments."
                  >
                    <Select
                      mode="multiple"
                      allowClear
                      placeholder={team ? 'Pick environments' : 'Pick a team first'}
                      aria-label="Environments"
                      loading={environments.isFetching}
                      options={(environments.data ?? []).map((environment) => ({
                        value: environment.metadata.name,
                        label: environment.metadata.name,
                      }))}
                    />
                  </Form.Item>
                </Col>
              </Row>
              <ErrorAlert error={clusters.error ?? environments.error} />
            </Card>
            <ErrorAlert error={componentTypes.error ?? traitTypes.error} style={{ marginBottom: 16 }} />
            {noTypes && (
              <Alert
                type="warning"
                showIcon
                style={{ marginBottom: 16 }}
                title="The catalog has no component types"
                description={
                  <>
                    An operator defines them first (<Link to={catalogPath}>catalog</Link>).
                  </>
                }
              />
            )}
            <Form.List name="components">
              {(components, { add, remove }) => (
                <Flex vertical gap={16} style={{ marginBottom: 16 }}>
                  {components.map((component, index) => (
                    <ComponentCard
                      key={component.key}
                      form={form}
                      field={component}
                      index={index}
                      componentTypes={componentTypes.data ?? []}
                      traitTypes={traitTypes.data ?? []}
                      definitions={definitions}
                      onRemove={components.length > 1 ? () => remove(component.name) : undefined}
                    />
                  ))}
                  <Button
                    type="dashed"
                    icon={<PlusOutlined />}
                    onClick={() => add({ name: '', traits: [] })}
                    data-testid="add-component"
                  >
                    Add component
                  </Button>
                </Flex>
              )}
            </Form.List>
            <Flex gap={8}>
              <Button
                type="primary"
                htmlType="submit"
                loading={submit.isPending && !submit.variables.dryRun}
                disabled={submit.isPending}
                data-testid="create-application"
              >
                Create application
              </Button>
              <Button
                icon={<ExperimentOutlined />}
                loading={submit.isPending && submit.variables.dryRun}
                disabled={submit.isPending}
                onClick={() => run(true)}
                data-testid="check-application"
              >
                Check (dry run)
              </Button>
              <Link to={applicationsPath}>
                <Button disabled={submit.isPending}>Cancel</Button>
              </Link>
            </Flex>
          </Form>
        </Col>
        <Col xs={24} xl={9}>
          <Flex vertical gap={16} style={{ position: 'sticky', top: 16 }}>
            {submit.error && (
              <div data-testid="application-errors">
                <ErrorAlert
                  error={submit.error}
                  title={
                    isApiError(submit.error) && submit.error.details.length > 0
                      ? `The server found ${submit.error.details.length} problem${submit.error.details.length === 1 ? '' : 's'}`
                      : 'The application was not created'
                  }
                />
              </div>
            )}
            {submit.isSuccess && submit.variables.dryRun && (
              <Alert
                type="success"
                showIcon
                icon={<CheckCircleOutlined />}
                data-testid="dry-run-result"
                title="The server would accept this application"
                description="Every component and trait type exists and every property passed its schema. Nothing was written."
              />
            )}
            <Card size="small" title="Application YAML">
              <pre
                data-testid="application-yaml"
                style={{
                  margin: 0,
                  fontSize: 12.5,
                  background: '#f7f8fa',
                  padding: 12,
                  borderRadius: 6,
                  overflow: 'auto',
                  maxHeight: 640,
                }}
              >
                {stringify(application, { lineWidth: 0 })}
              </pre>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                What the form sends:{' '}
                <code>POST /apis/gantry.dev/v1alpha1/teams/{team || '{team}'}/applications</code>
              </Typography.Text>
            </Card>
          </Flex>
        </Col>
      </Row>
    </>
  );
}
