import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Select, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { listJobTemplates, type JobTemplate } from '../../api/jobs';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useTeamNames } from '../../hooks/use-team-names';
import { jobRunsPath, jobTemplatePath } from '../../lib/jobs';

/** What a template runs: a script (with its interpreter), a built-in action, and/or a cluster Job. */
export function TemplateRuns({ template }: { template: JobTemplate }) {
  const { spec } = template;
  return (
    <>
      {spec.script && <Tag>{spec.script.interpreter} script</Tag>}
      {spec.action && <Tag>action {spec.action}</Tag>}
      {spec.cluster && <Tag color="blue">cluster Job</Tag>}
    </>
  );
}

const columns: TableColumnsType<JobTemplate> = [
  {
    title: 'Template',
    key: 'name',
    render: (_, template) => (
      <Link
        to={jobTemplatePath(template.metadata.team ?? '', template.metadata.name)}
        style={{ fontWeight: 500 }}
      >
        {template.metadata.name}
      </Link>
    ),
    sorter: (a, b) => a.metadata.name.localeCompare(b.metadata.name),
  },
  { title: 'Team', key: 'team', render: (_, template) => template.metadata.team ?? '—' },
  { title: 'Runs', key: 'runs', render: (_, template) => <TemplateRuns template={template} /> },
  {
    title: 'Description',
    key: 'description',
    render: (_, template) =>
      template.spec.description ?? <Typography.Text type="secondary">—</Typography.Text>,
  },
  {
    title: 'Parameters',
    key: 'parameters',
    render: (_, template) => {
      const names = Object.keys(template.spec.parameters?.properties ?? {});
      return names.length > 0 ? names.join(', ') : <Typography.Text type="secondary">none</Typography.Text>;
    },
  },
  {
    title: 'Timeout',
    key: 'timeout',
    width: 100,
    render: (_, template) => `${template.spec.timeoutSeconds}s`,
  },
  {
    title: '',
    key: 'history',
    width: 90,
    render: (_, template) => (
      <Link
        to={`${jobRunsPath}?team=${encodeURIComponent(template.metadata.team ?? '')}&template=${encodeURIComponent(template.metadata.name)}`}
      >
        History
      </Link>
    ),
  },
];

/** `/jobs/templates`: the JobTemplates the caller can read, of one team or all. */
export function JobTemplatesPage() {
  const [params, setParams] = useSearchParams();
  const team = params.get('team') ?? undefined;
  const teams = useTeamNames();
  const templates = useQuery({
    queryKey: ['jobs', 'templates', team ?? ''],
    queryFn: ({ signal }) => listJobTemplates(team, signal),
  });

  return (
    <>
      <PageHeader
        title="Job templates"
        subtitle="Scripts and actions the team's operators may run on hosts, or as Kubernetes Jobs on a cluster."
        crumbs={[{ label: 'Management' }, { label: 'Jobs' }, { label: 'Templates' }]}
        extra={
          <>
            <Button
              icon={<ReloadOutlined />}
              onClick={() => void templates.refetch()}
              loading={templates.isRefetching}
            >
              Refresh
            </Button>
            <Link to={`/resources/jobtemplates/new${team ? `?team=${encodeURIComponent(team)}` : ''}`}>
              <Button type="primary" icon={<PlusOutlined />}>
                New template
              </Button>
            </Link>
          </>
        }
      />
      <Card>
        <Select
          allowClear
          placeholder="All teams"
          value={team}
          style={{ width: 220, marginBottom: 16 }}
          options={teams.map((name) => ({ value: name, label: name }))}
          onChange={(value: string | undefined) => {
            const next = new URLSearchParams(params);
            if (value) next.set('team', value);
            else next.delete('team');
            setParams(next, { replace: true });
          }}
          data-testid="team-filter"
        />
        <ErrorAlert error={templates.error} style={{ marginBottom: 16 }} />
        <Table<JobTemplate>
          data-testid="job-templates"
          rowKey={(template) => `${template.metadata.team ?? ''}/${template.metadata.name}`}
          columns={columns}
          dataSource={templates.data ?? []}
          loading={templates.isPending}
          pagination={false}
          size="middle"
          locale={{ emptyText: 'No job templates. A team-admin writes them (kind JobTemplate).' }}
        />
      </Card>
    </>
  );
}
