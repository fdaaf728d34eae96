import { useQueryClient } from '@tanstack/react-query';
import { Card } from 'antd';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { ResourceEditor } from '../../components/resource-editor';
import { detailPath } from '../../components/resource-table';
import { useKind } from '../../hooks/use-kinds';
import { useTeamNames } from '../../hooks/use-team-names';
import { newResourceYaml } from '../../yaml/resource-yaml';
import { NotFoundPage } from '../not-found-page';

/** `/resources/:plural/new`: write a resource in YAML and POST it. */
export function ResourceCreatePage() {
  const { plural } = useParams();
  const [search] = useSearchParams();
  const { kind, isPending, error } = useKind(plural);
  const teams = useTeamNames();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  if (isPending) return <PageLoading />;
  if (error) return <ErrorAlert error={error} />;
  if (!kind) return <NotFoundPage />;

  const team = search.get('team') ?? teams[0];
  return (
    <>
      <PageHeader
        title={`Create ${kind.kind}`}
        subtitle="Write the resource in YAML. Dry run validates it on the server without storing anything."
        crumbs={[
          { label: 'Resources', to: '/resources' },
          { label: kind.kind, to: `/resources/${kind.plural}` },
          { label: 'New' },
        ]}
      />
      <Card>
        <ResourceEditor
          key={team ?? ''}
          kind={kind}
          mode="create"
          initialText={newResourceYaml(kind, team)}
          onSaved={(created) => {
            void queryClient.invalidateQueries({ queryKey: ['resources', kind.plural] });
            void navigate(detailPath(kind, created));
          }}
        />
      </Card>
    </>
  );
}
