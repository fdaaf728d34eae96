import { EditOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Button, Flex, Typography } from 'antd';
import { Link } from 'react-router';
import { stringify } from 'yaml';
import type { Resource } from '@gantry/client';
import type { KindInfo } from '../../api/types';
import { ResourceEditor } from '../../components/resource-editor';
import { resourceQueryKey } from '../../hooks/use-resource';
import { resourceToYaml } from '../../yaml/resource-yaml';

/** The spec as YAML; "Edit" opens the resource editor (Save, Dry run) on the whole Application. */
export function ApplicationSpecTab({
  kind,
  application,
  editing,
  onEditing,
}: {
  kind: KindInfo;
  application: Resource;
  editing: boolean;
  onEditing: (editing: boolean) => void;
}) {
  const queryClient = useQueryClient();
  const { team, name } = application.metadata;
  if (editing)
    return (
      <Flex vertical gap={8}>
        <Flex justify="space-between" align="center">
          <Typography.Text type="secondary">
            Saving writes a new spec; the controller records it as a new revision.
          </Typography.Text>
          <Button onClick={() => onEditing(false)}>Close editor</Button>
        </Flex>
        <ResourceEditor
          kind={kind}
          mode="edit"
          target={{ kind, team, name }}
          initialText={resourceToYaml(application)}
          onSaved={(saved) => {
            queryClient.setQueryData(resourceQueryKey(kind.plural, team, name), saved);
            void queryClient.invalidateQueries({ queryKey: ['resources', kind.plural, 'list'] });
            onEditing(false);
          }}
        />
      </Flex>
    );
  return (
    <Flex vertical gap={8}>
      <Flex justify="space-between" align="center">
        <Typography.Text type="secondary">
          Generation {application.metadata.generation ?? '—'} ·{' '}
          <Link
            to={`/resources/${kind.plural}/${encodeURIComponent(team ?? '')}/${encodeURIComponent(name)}`}
          >
            open in the resource browser
          </Link>
        </Typography.Text>
        <Button icon={<EditOutlined />} onClick={() => onEditing(true)}>
          Edit
        </Button>
      </Flex>
      <pre
        data-testid="application-spec"
        style={{
          margin: 0,
          fontSize: 12.5,
          background: '#f7f8fa',
          padding: 12,
          borderRadius: 6,
          overflow: 'auto',
          maxHeight: 560,
        }}
      >
        {stringify(application.spec ?? {}, { lineWidth: 0 })}
      </pre>
    </Flex>
  );
}
