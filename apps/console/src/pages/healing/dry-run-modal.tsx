import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Form, Input, Modal, Select, Space, Tag, type ButtonProps } from 'antd';
import type { HealingDryRunMatch, HealingDryRunResult } from '@gantry/client';
import { apiRequest } from '../../api/client';
import { getTreeSpec } from '../../api/healing';
import { ErrorAlert } from '../../components/error-alert';
import { DiagnosisGraph } from './diagnosis-graph';

type TriggerKind = 'exception' | 'alert' | 'risk';

function MatchView({ team, match }: { team: string; match: HealingDryRunMatch }) {
  const tree = useQuery({
    queryKey: ['healing', 'tree', team, match.diagnosis.tree],
    queryFn: ({ signal }) => getTreeSpec(team, match.diagnosis.tree, signal),
    staleTime: 60_000,
  });
  const entity = [match.entity.kind, match.entity.cluster, match.entity.namespace, match.entity.name]
    .filter(Boolean)
    .join('/');
  return (
    <div data-testid="dry-run-match" style={{ marginTop: 12 }}>
      <Space wrap>
        <b>{match.policy}</b>
        <Tag>{match.mode}</Tag>
        <span>{entity}</span>
        <Tag color={match.verdict === 'act' ? 'green' : match.verdict === 'incomplete' ? 'error' : 'blue'}>
          {match.verdict}
        </Tag>
        <span data-testid="dry-run-message">{match.message}</span>
      </Space>
      {tree.data && <DiagnosisGraph spec={tree.data} diagnosis={match.diagnosis} />}
    </div>
  );
}

/**
 * "Try it on this exception": a policy (or every policy of the team) walked against a live exception,
 * alert or risk with live evidence; the path is drawn on the tree, and nothing is done.
 */
export function DryRunModal({
  team,
  policy,
  open,
  onClose,
}: {
  team: string;
  policy: string | undefined;
  open: boolean;
  onClose: () => void;
}) {
  const [form] = Form.useForm<{ kind: TriggerKind; id: string }>();
  const mutation = useMutation({
    mutationFn: (values: { kind: TriggerKind; id: string }) =>
      apiRequest<HealingDryRunResult>(`/api/teams/${encodeURIComponent(team)}/healing/dry-run`, {
        method: 'POST',
        body: { ...(policy ? { policy } : {}), trigger: { kind: values.kind, id: values.id } },
      }),
  });
  return (
    <Modal
      title={`Dry run${policy ? ` of ${policy}` : ''}`}
      open={open}
      width={1000}
      okText="Walk the tree"
      okButtonProps={{ 'data-testid': 'dry-run-submit' } as ButtonProps}
      confirmLoading={mutation.isPending}
      onOk={() => form.submit()}
      onCancel={() => {
        mutation.reset();
        onClose();
      }}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="inline"
        initialValues={{ kind: 'exception' }}
        onFinish={(values) => mutation.mutate({ kind: values.kind, id: values.id.trim() })}
      >
        <Form.Item name="kind">
          <Select
            style={{ width: 130 }}
            options={[
              { value: 'exception', label: 'Exception' },
              { value: 'alert', label: 'Alert' },
              { value: 'risk', label: 'Risk' },
            ]}
          />
        </Form.Item>
        <Form.Item name="id" rules={[{ required: true, whitespace: true, message: 'Which one?' }]}>
          <Input
            placeholder="id (an alert: its fingerprint)"
            style={{ width: 320 }}
            data-testid="dry-run-id"
          />
        </Form.Item>
      </Form>
      <ErrorAlert error={mutation.error} style={{ marginTop: 12 }} />
      {mutation.data && (
        <div data-testid="dry-run-result">
          {mutation.data.matches.length === 0 ? (
            <Alert
              style={{ marginTop: 12 }}
              type="warning"
              message={`No policy matches (tried: ${mutation.data.considered.join(', ') || 'none'}).`}
            />
          ) : (
            mutation.data.matches.map((match) => (
              <MatchView key={`${match.policy}/${match.entity.name}`} team={team} match={match} />
            ))
          )}
          <Alert
            style={{ marginTop: 12 }}
            type="info"
            message="Guardrails (rates, in flight, healthy share) are not checked by a dry run; nothing was done."
          />
        </div>
      )}
    </Modal>
  );
}
