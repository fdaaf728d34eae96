import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Modal, Typography } from 'antd';
import type { ApplicationRevision, Resource } from '@gantry/client';
import { rollbackApplication } from '../../api/delivery';
import { ErrorAlert } from '../../components/error-alert';
import { revisionsQueryKey } from '../../hooks/use-application-revisions';
import { resourceQueryKey } from '../../hooks/use-resource';

/**
 * Confirms a rollback and runs it. The server writes revision N's spec back (annotated so that the next
 * revision takes N's definitions); a refusal stays in the dialog with its details.
 */
export function RollbackModal({
  application,
  revision,
  onClose,
}: {
  application: Resource;
  revision: ApplicationRevision;
  onClose: () => void;
}) {
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const team = application.metadata.team ?? '';
  const name = application.metadata.name;
  const number = revision.spec.revision;
  const rollback = useMutation({
    mutationFn: () => rollbackApplication(team, name, number),
    onSuccess: async (updated) => {
      void message.success(`${name} rolled back to v${number}`);
      queryClient.setQueryData(resourceQueryKey('applications', team, name), updated);
      await queryClient.invalidateQueries({ queryKey: revisionsQueryKey(team, name) });
      onClose();
    },
  });
  return (
    <Modal
      open
      title={`Roll back ${name} to v${number}?`}
      okText="Roll back"
      okButtonProps={{ danger: true, loading: rollback.isPending }}
      onOk={() => rollback.mutate()}
      onCancel={onClose}
      cancelButtonProps={{ disabled: rollback.isPending }}
    >
      <Typography.Paragraph>
        The application's spec becomes the one recorded in v{number}
        {revision.spec.cause ? ` (${revision.spec.cause})` : ''}, and the next revision renders with v{number}
        's definitions. Every target is then brought to it.
      </Typography.Paragraph>
      <div data-testid="rollback-error">
        <ErrorAlert error={rollback.error} title="The rollback was refused" />
      </div>
    </Modal>
  );
}
