import { DeleteOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Tabs, Tag } from 'antd';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { deleteResource } from '../../api/resources';
import type { KindInfo } from '../../api/types';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { ResourceEditor } from '../../components/resource-editor';
import { ResourceOverview } from '../../components/resource-overview';
import { useKind } from '../../hooks/use-kinds';
import { resourceQueryKey, useResource } from '../../hooks/use-resource';
import { resourceToYaml } from '../../yaml/resource-yaml';
import { NotFoundPage } from '../not-found-page';

export function ResourceDetailPage() {
  const { plural, team, name = '' } = useParams();
  const { kind, isPending, error } = useKind(plural);
  if (isPending) return <PageLoading />;
  if (error) return <ErrorAlert error={error} />;
  if (!kind || (kind.scope === 'Team') !== (team !== undefined)) return <NotFoundPage />;
  return <ResourceDetail kind={kind} team={team} name={name} />;
}

function ResourceDetail({ kind, team, name }: { kind: KindInfo; team: string | undefined; name: string }) {
  const resource = useResource(kind, team, name);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { modal, message } = App.useApp();
  const [search, setSearch] = useSearchParams();
  const tab = search.get('tab') ?? 'overview';

  const remove = useMutation({
    mutationFn: () => deleteResource({ kind, team, name }),
    onSuccess: async () => {
      void message.success(`${kind.kind} ${name} deleted`);
      queryClient.removeQueries({ queryKey: resourceQueryKey(kind.plural, team, name) });
      await queryClient.invalidateQueries({ queryKey: ['resources', kind.plural] });
      await navigate(`/resources/${kind.plural}`);
    },
  });

  const confirmDelete = (): void => {
    void modal.confirm({
      title: `Delete ${kind.kind} ${name}?`,
      content: team
        ? `It will be removed from team ${team}. This cannot be undone.`
        : 'This cannot be undone.',
      okText: 'Delete',
      okButtonProps: { danger: true },
      onOk: () => remove.mutateAsync(),
    });
  };

  const crumbs = [
    { label: 'Resources', to: '/resources' },
    { label: kind.kind, to: `/resources/${kind.plural}` },
    { label: name },
  ];
  if (resource.isPending) return <PageLoading />;
  if (resource.error || !resource.data) {
    return (
      <>
        <PageHeader title={name} crumbs={crumbs} />
        <ErrorAlert error={resource.error ?? new Error('Not found')} />
      </>
    );
  }

  const data = resource.data;
  return (
    <>
      <PageHeader
        title={
          <>
            {name} <Tag style={{ verticalAlign: 'middle' }}>{kind.kind}</Tag>
            {team && (
              <Tag color="blue" style={{ verticalAlign: 'middle' }}>
                team: {team}
              </Tag>
            )}
          </>
        }
        crumbs={crumbs}
        extra={
          <Button danger icon={<DeleteOutlined />} onClick={confirmDelete} loading={remove.isPending}>
            Delete
          </Button>
        }
      />
      <ErrorAlert error={remove.error} style={{ marginBottom: 16 }} />
      <Card styles={{ body: { paddingTop: 8 } }}>
        <Tabs
          activeKey={tab}
          onChange={(key) => setSearch(key === 'overview' ? {} : { tab: key }, { replace: true })}
          items={[
            { key: 'overview', label: 'Overview', children: <ResourceOverview resource={data} /> },
            {
              key: 'yaml',
              label: 'YAML',
              children: (
                <ResourceEditor
                  kind={kind}
                  mode="edit"
                  target={{ kind, team, name }}
                  initialText={resourceToYaml(data)}
                  onSaved={(saved) => {
                    queryClient.setQueryData(resourceQueryKey(kind.plural, team, name), saved);
                    void queryClient.invalidateQueries({ queryKey: ['resources', kind.plural, 'list'] });
                  }}
                />
              ),
            },
          ]}
        />
      </Card>
    </>
  );
}
