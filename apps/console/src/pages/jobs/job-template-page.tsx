import { PlayCircleOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Radio,
  Row,
  Select,
  Typography,
} from 'antd';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { isApiError, type ErrorDetail } from '@gantry/client';
import { createJobRun, getJobTemplate, listClusterNames, type JobTemplate } from '../../api/jobs';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { SchemaFields } from '../../components/schema-form';
import { useMe } from '../../hooks/use-me';
import {
  jobRunPath,
  jobRunsPath,
  jobTemplatesPath,
  mayOperate,
  runFieldOf,
  runRequestOf,
  touchesText,
  type RunFormValues,
  type TargetKind,
} from '../../lib/jobs';
import { describeSchema, formValuesOf, type FieldPath, type FormRecord } from '../../lib/schema-form';
import { TemplateRuns } from './job-templates-page';

/** `/jobs/teams/:team/templates/:name`: a template, and the form that runs it. */
export function JobTemplatePage() {
  const { team = '', name = '' } = useParams();
  const template = useQuery({
    queryKey: ['jobs', 'template', team, name],
    queryFn: ({ signal }) => getJobTemplate(team, name, signal),
  });
  if (template.isPending) return <PageLoading />;
  if (template.error) return <ErrorAlert error={template.error} />;
  return <TemplateView template={template.data} />;
}

function TemplateView({ template }: { template: JobTemplate }) {
  const team = template.metadata.team ?? '';
  const { spec } = template;
  return (
    <>
      <PageHeader
        title={template.metadata.name}
        subtitle={spec.description}
        crumbs={[
          { label: 'Jobs' },
          { label: 'Templates', to: jobTemplatesPath },
          { label: `${team}/${template.metadata.name}` },
        ]}
        extra={
          <>
            <Link
              to={`/resources/jobtemplates/${encodeURIComponent(team)}/${encodeURIComponent(template.metadata.name)}`}
            >
              <Button>YAML</Button>
            </Link>
            <Link
              to={`${jobRunsPath}?team=${encodeURIComponent(team)}&template=${encodeURIComponent(template.metadata.name)}`}
            >
              <Button>Runs of this template</Button>
            </Link>
          </>
        }
      />
      <Row gutter={16}>
        <Col xs={24} xl={14}>
          <RunForm template={template} />
        </Col>
        <Col xs={24} xl={10}>
          <Card title="Template" size="small">
            <Descriptions column={1} size="small">
              <Descriptions.Item label="Team">{team}</Descriptions.Item>
              <Descriptions.Item label="Runs">
                <TemplateRuns template={template} />
              </Descriptions.Item>
              <Descriptions.Item label="Timeout">{spec.timeoutSeconds}s</Descriptions.Item>
              <Descriptions.Item label="Retries">{spec.retries}</Descriptions.Item>
              <Descriptions.Item label="Runs as">
                {spec.runAs?.user || "the agent's job user"}
              </Descriptions.Item>
              <Descriptions.Item label="Touches">{touchesText(spec.touches)}</Descriptions.Item>
              <Descriptions.Item label="Version">{template.metadata.resourceVersion}</Descriptions.Item>
            </Descriptions>
            {spec.script && (
              <pre
                data-testid="template-script"
                style={{
                  background: '#f6f8fa',
                  padding: 10,
                  borderRadius: 6,
                  fontSize: 12,
                  maxHeight: 320,
                  overflow: 'auto',
                  margin: 0,
                }}
              >
                {spec.script.source}
              </pre>
            )}
            {spec.cluster && (
              <Typography.Paragraph style={{ marginTop: 8 }}>
                Cluster Job: <code>{spec.cluster.image}</code> {(spec.cluster.command ?? []).join(' ')}
              </Typography.Paragraph>
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}

type RunFormRecord = RunFormValues & FormRecord;

function RunForm({ template }: { template: JobTemplate }) {
  const team = template.metadata.team ?? '';
  const navigate = useNavigate();
  const me = useMe();
  const allowed = mayOperate(me.data, team, false);
  const fields = useMemo(() => describeSchema(template.spec.parameters ?? {}), [template]);
  const [form] = Form.useForm<RunFormRecord>();
  const targetKind = Form.useWatch('targetKind', form) ?? 'hosts';
  const [unplaced, setUnplaced] = useState<{ error: unknown; details: ErrorDetail[] } | undefined>();
  const clusters = useQuery({
    queryKey: ['jobs', 'clusters', team],
    queryFn: ({ signal }) => listClusterNames(team, signal),
    enabled: targetKind === 'cluster',
  });

  const run = useMutation({
    mutationFn: (values: RunFormRecord) =>
      createJobRun(runRequestOf(team, template.metadata.name, fields, values)),
    onSuccess: (created) => void navigate(jobRunPath(created.id)),
    onError: (error, values) => {
      // Each refusal goes on the field its path names; the rest is listed above the form.
      const placed = new Map<string, { name: FieldPath; errors: string[] }>();
      const rest: ErrorDetail[] = [];
      for (const detail of isApiError(error) ? error.details : []) {
        const name = detail.path ? runFieldOf(detail.path, fields, values.targetKind) : undefined;
        if (!name) {
          rest.push(detail);
          continue;
        }
        const key = JSON.stringify(name);
        const entry = placed.get(key) ?? { name, errors: [] };
        entry.errors.push(detail.message);
        placed.set(key, entry);
      }
      form.setFields([...placed.values()]);
      setUnplaced({ error, details: rest });
    },
  });

  const initialValues: RunFormRecord = {
    targetKind: 'hosts',
    hosts: [],
    concurrency: 50,
    parameters: formValuesOf(fields),
  };

  return (
    <Card title="Run" size="small">
      {!allowed && me.data && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          title={`Running a template takes the operator role in team ${team}.`}
        />
      )}
      {unplaced &&
        (unplaced.details.length > 0 ||
          !isApiError(unplaced.error) ||
          unplaced.error.details.length === 0) && (
          <ErrorAlert
            error={unplaced.error}
            title={isApiError(unplaced.error) ? unplaced.error.message : undefined}
            style={{ marginBottom: 12 }}
          />
        )}
      <Form<RunFormRecord>
        form={form}
        layout="vertical"
        initialValues={initialValues}
        requiredMark
        data-testid="run-form"
        onFinish={(values) => {
          setUnplaced(undefined);
          run.mutate(values);
        }}
        disabled={!allowed}
      >
        <Typography.Title level={5}>Parameters</Typography.Title>
        <SchemaFields fields={fields} name={['parameters']} />
        <Typography.Title level={5}>Targets</Typography.Title>
        <Form.Item name="targetKind">
          <Radio.Group
            optionType="button"
            options={[
              { value: 'hosts', label: 'Hosts by name' },
              { value: 'selector', label: 'Hosts by selector' },
              ...(template.spec.cluster ? [{ value: 'cluster', label: 'A cluster' }] : []),
            ]}
            data-testid="target-kind"
          />
        </Form.Item>
        <TargetField kind={targetKind} clusters={clusters.data ?? []} loadingClusters={clusters.isFetching} />
        <Typography.Title level={5}>Pace</Typography.Title>
        <Row gutter={12}>
          <Col span={8}>
            <Form.Item name="concurrency" label="Concurrency" extra="Targets running at once.">
              <InputNumber min={1} max={10_000} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item
              name="batchSize"
              label="Batch size"
              extra="A batch starts when the previous one ended."
            >
              <InputNumber
                min={1}
                max={10_000}
                precision={0}
                placeholder="all at once"
                style={{ width: '100%' }}
              />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item
              name="stopAfterFailures"
              label="Stop after failures"
              extra="Dispatch no more after N failed."
            >
              <InputNumber min={1} precision={0} placeholder="never" style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Button
          type="primary"
          htmlType="submit"
          icon={<PlayCircleOutlined />}
          loading={run.isPending}
          data-testid="run-submit"
        >
          Run
        </Button>
      </Form>
    </Card>
  );
}

function TargetField({
  kind,
  clusters,
  loadingClusters,
}: {
  kind: TargetKind;
  clusters: readonly string[];
  loadingClusters: boolean;
}) {
  switch (kind) {
    case 'hosts':
      return (
        <Form.Item
          name="hosts"
          label="Hosts"
          extra="Host names, each followed by Enter (or separated by commas)."
          rules={[{ required: true, type: 'array', min: 1, message: 'Name at least one host' }]}
        >
          <Select
            mode="tags"
            tokenSeparators={[',', ' ']}
            open={false}
            suffixIcon={null}
            placeholder="web-1, web-2"
            data-testid="target-hosts"
          />
        </Form.Item>
      );
    case 'selector':
      return (
        <Form.Item
          name="selector"
          label="Label selector"
          rules={[{ required: true, whitespace: true, message: 'A label selector, e.g. role=db' }]}
        >
          <Input placeholder="role=db,zone!=b" autoComplete="off" data-testid="target-selector" />
        </Form.Item>
      );
    case 'cluster':
      return (
        <Form.Item name="cluster" label="Cluster" rules={[{ required: true, message: 'Pick a cluster' }]}>
          <Select
            loading={loadingClusters}
            placeholder="Pick a cluster"
            options={clusters.map((name) => ({ value: name, label: name }))}
            style={{ maxWidth: 320 }}
          />
        </Form.Item>
      );
  }
}
