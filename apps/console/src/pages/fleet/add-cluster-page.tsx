import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Col, Divider, Flex, Form, Input, Row, Select } from 'antd';
import { useEffect } from 'react';
import { Link, useNavigate } from 'react-router';
import { isApiError, type Resource } from '@gantry/client';
import { createCluster } from '../../api/clusters';
import { putSecret } from '../../api/secrets';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useMe } from '../../hooks/use-me';
import { useTeamNames } from '../../hooks/use-team-names';
import { fleetPath } from '../../lib/fleet-paths';
import {
  fieldOfErrorPath,
  kubeconfigKey,
  kubeconfigSecretName,
  newClusterFields,
  newClusterResource,
  type NewClusterField,
  type NewClusterValues,
} from '../../lib/new-cluster';
import { ClusterLabelsFields } from './cluster-labels-fields';
import { KubeconfigField } from './kubeconfig-field';

type Step = 'cluster' | 'secret';

/** Which of the two writes failed, so that the message and the fields it marks fit. */
class StepFailure extends Error {
  constructor(
    readonly step: Step,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

async function step<T>(name: Step, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new StepFailure(name, error);
  }
}

/**
 * Add a cluster: the Cluster is validated first (dry run), so that a mistake leaves nothing behind;
 * then its kubeconfig is stored as the secret `NAME-kubeconfig` and the Cluster created.
 */
async function addCluster(values: NewClusterValues): Promise<Resource> {
  const cluster = newClusterResource(values);
  await step('cluster', () => createCluster(cluster, { dryRun: true }));
  await step('secret', () =>
    putSecret(values.team, kubeconfigSecretName(values.name), { [kubeconfigKey]: values.kubeconfig }),
  );
  return step('cluster', () => createCluster(cluster, { dryRun: false }));
}

export function AddClusterPage() {
  const [form] = Form.useForm<NewClusterValues>();
  const teams = useTeamNames();
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { message } = App.useApp();

  const writableTeam =
    me.data?.teams.find((membership) => membership.role !== 'viewer')?.team ?? teams[0] ?? undefined;
  useEffect(() => {
    if (writableTeam && !form.getFieldValue('team')) form.setFieldValue('team', writableTeam);
  }, [form, writableTeam]);

  const add = useMutation({
    mutationFn: addCluster,
    onMutate: () => clearServerErrors(),
    onSuccess: async (cluster) => {
      void message.success(`Cluster ${cluster.metadata.name} added; connecting…`);
      await queryClient.invalidateQueries({ queryKey: ['resources', 'clusters'] });
      await navigate(fleetPath);
    },
    onError: (failure) => {
      if (!(failure instanceof StepFailure) || !isApiError(failure.cause)) return;
      const byField = new Map<string, { name: NewClusterField; errors: string[] }>();
      for (const detail of failure.cause.details) {
        const name = fieldOfErrorPath(detail.path, failure.step);
        if (!name) continue;
        const entry = byField.get(name.join('.')) ?? { name, errors: [] };
        entry.errors.push(`${detail.message} (${detail.path})`);
        byField.set(name.join('.'), entry);
      }
      form.setFields([...byField.values()]);
    },
  });

  const clearServerErrors = (): void =>
    form.setFields(newClusterFields.map((name) => ({ name, errors: [] })));

  const failure = add.error instanceof StepFailure ? add.error : undefined;
  return (
    <>
      <PageHeader
        title="Add cluster"
        subtitle="Gantry reaches the cluster's API server with this kubeconfig and starts watching it."
        crumbs={[{ label: 'Delivery' }, { label: 'Clusters', to: fleetPath }, { label: 'Add' }]}
      />
      <Card style={{ maxWidth: 900 }}>
        <Form<NewClusterValues>
          form={form}
          layout="vertical"
          requiredMark="optional"
          onFinish={(values) => add.mutate(values)}
          data-testid="add-cluster-form"
        >
          <Row gutter={12}>
            <Col xs={24} md={12}>
              <Form.Item
                label="Name"
                name="name"
                rules={[{ required: true, message: 'Name the cluster' }]}
                extra="Lower-case letters, digits and '-'. The kubeconfig is stored as NAME-kubeconfig."
              >
                <Input placeholder="hz-prod-01" autoComplete="off" aria-label="Name" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item
                label="Team"
                name="team"
                rules={[{ required: true, message: 'Pick the owning team' }]}
              >
                <Select
                  showSearch
                  placeholder="Team"
                  options={teams.map((team) => ({ value: team, label: team }))}
                  aria-label="Team"
                  data-testid="team-select"
                />
              </Form.Item>
            </Col>
          </Row>
          <Divider titlePlacement="start" plain>
            Labels
          </Divider>
          <ClusterLabelsFields />
          <Divider titlePlacement="start" plain>
            Access
          </Divider>
          <KubeconfigField />
          {failure && (
            <ErrorAlert
              error={failure.cause}
              title={
                failure.step === 'secret'
                  ? 'The kubeconfig secret was not stored'
                  : 'The cluster was not created'
              }
              style={{ marginBottom: 16 }}
            />
          )}
          <Flex gap={8}>
            <Button type="primary" htmlType="submit" loading={add.isPending} data-testid="add-cluster-submit">
              Add cluster
            </Button>
            <Link to={fleetPath}>
              <Button disabled={add.isPending}>Cancel</Button>
            </Link>
          </Flex>
        </Form>
      </Card>
    </>
  );
}
