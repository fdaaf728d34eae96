import { EditOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Tabs, Tag, Tooltip, Typography } from 'antd';
import { useParams, useSearchParams } from 'react-router';
import { applicationKind } from '../../api/delivery';
import type { KindInfo } from '../../api/types';
import { ConditionTag } from '../../components/condition-tag';
import { ErrorAlert } from '../../components/error-alert';
import { HealthTag } from '../../components/health-tag';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { WatchBadge } from '../../components/watch-badge';
import { useKind } from '../../hooks/use-kinds';
import { useResource } from '../../hooks/use-resource';
import { useResourceItemWatch } from '../../hooks/use-resource-item-watch';
import { applicationView } from '../../lib/application-status';
import { applicationsPath } from '../../lib/delivery-paths';
import { NotFoundPage } from '../not-found-page';
import { ApplicationDiffTab } from './application-diff-tab';
import { ApplicationOverviewTab } from './application-overview-tab';
import { ApplicationRevisionsTab } from './application-revisions-tab';
import { ApplicationSpecTab } from './application-spec-tab';
import { ChangeTimeline } from '../../components/change-timeline';
import { ApplicationTimelineTab } from './application-timeline-tab';

/** The conditions the application controller records, in the order its stages run (ADR 0007). */
const conditionTypes = ['Rendered', 'Applied', 'Healthy', 'Ready'] as const;

/** `/delivery/teams/:team/applications/:name`: health, targets, spec, revisions, a dry-run diff and its events. */
export function ApplicationDetailPage() {
  const { team = '', name = '' } = useParams();
  const { kind, isPending, error } = useKind(applicationKind.plural);
  if (isPending) return <PageLoading />;
  if (error) return <ErrorAlert error={error} />;
  if (!kind) return <NotFoundPage />;
  return <ApplicationDetail kind={kind} team={team} name={name} />;
}

function ApplicationDetail({ kind, team, name }: { kind: KindInfo; team: string; name: string }) {
  const application = useResource(kind, team, name);
  const watch = useResourceItemWatch(applicationKind, team, name, application.data !== undefined);
  const [search, setSearch] = useSearchParams();
  const tab = search.get('tab') ?? 'overview';
  const editing = search.get('edit') === '1';
  const crumbs = [{ label: 'Delivery' }, { label: 'Applications', to: applicationsPath }, { label: name }];
  const go = (next: Record<string, string>): void => setSearch(next, { replace: true });

  if (application.isPending) return <PageLoading />;
  if (!application.data) {
    return (
      <>
        <PageHeader title={name} crumbs={crumbs} />
        <ErrorAlert error={application.error ?? new Error('Not found')} />
      </>
    );
  }

  const data = application.data;
  const view = applicationView(data);
  return (
    <>
      <PageHeader
        title={
          <Flex align="center" gap={8} wrap>
            <span>{name}</span>
            <Tag color="blue">team: {team}</Tag>
            <span data-testid="application-health">
              <HealthTag health={view.status.health} />
            </span>
            {view.status.revision !== undefined && (
              <Tooltip title="The revision last applied to every target">
                <Tag data-testid="application-revision">applied v{view.status.revision}</Tag>
              </Tooltip>
            )}
            {view.status.latestRevision !== undefined &&
              view.status.latestRevision !== view.status.revision && (
                <Tooltip title="The newest revision recorded: the spec as it is now, not yet applied everywhere">
                  <Tag color="warning">latest v{view.status.latestRevision}</Tag>
                </Tooltip>
              )}
          </Flex>
        }
        subtitle={
          <Flex vertical gap={6}>
            {view.spec?.description && <span>{view.spec.description}</span>}
            <Flex gap={10} align="center" wrap data-testid="application-conditions">
              {conditionTypes.map((type) => (
                <span key={type}>
                  <Typography.Text type="secondary">{type}</Typography.Text>{' '}
                  <ConditionTag
                    type={type}
                    condition={view.conditions.find((condition) => condition.type === type)}
                  />
                </span>
              ))}
            </Flex>
          </Flex>
        }
        crumbs={crumbs}
        extra={
          <>
            <WatchBadge state={watch} />
            <Button
              icon={<ReloadOutlined />}
              onClick={() => void application.refetch()}
              loading={application.isRefetching}
            >
              Refresh
            </Button>
            <Button
              icon={<EditOutlined />}
              onClick={() => go({ tab: 'spec', edit: '1' })}
              data-testid="application-edit"
            >
              Edit
            </Button>
          </>
        }
      />
      <ErrorAlert error={application.error} style={{ marginBottom: 16 }} />
      <Card styles={{ body: { paddingTop: 8 } }}>
        <Tabs
          activeKey={tab}
          destroyOnHidden
          onChange={(key) => go(key === 'overview' ? {} : { tab: key })}
          items={[
            { key: 'overview', label: 'Overview', children: <ApplicationOverviewTab application={data} /> },
            {
              key: 'spec',
              label: 'Spec',
              children: (
                <ApplicationSpecTab
                  kind={kind}
                  application={data}
                  editing={editing}
                  onEditing={(edit) => go(edit ? { tab: 'spec', edit: '1' } : { tab: 'spec' })}
                />
              ),
            },
            {
              key: 'revisions',
              label: 'Revisions',
              children: <ApplicationRevisionsTab application={data} />,
            },
            {
              key: 'diff',
              label: 'Diff / dry run',
              children: <ApplicationDiffTab team={team} name={name} />,
            },
            {
              key: 'timeline',
              label: 'Timeline',
              children: <ApplicationTimelineTab team={team} name={name} />,
            },
            {
              key: 'changes',
              label: 'Change timeline',
              children: <ChangeTimeline entity={{ kind: 'Application', team, name }} />,
            },
          ]}
        />
      </Card>
    </>
  );
}
