import { AutoComplete, Button, Form, Input, Select } from 'antd';
import type { EventSource, EventType } from '@gantry/client';
import type { EventFilter } from '../api/events';

const commonKinds = [
  'Node',
  'Pod',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Application',
  'Cluster',
  'ComponentDefinition',
  'TraitDefinition',
  'Team',
];

interface FormValues {
  cluster?: string;
  namespace?: string;
  source?: EventSource;
  type?: EventType;
  kind?: string;
  name?: string;
}

/**
 * Filters of an event list, applied together. `clusters` (`team/name` ids) adds a cluster picker; the
 * chosen one becomes the `team` and `cluster` query parameters.
 */
export function EventFilters({
  clusters,
  onApply,
}: {
  clusters?: readonly string[];
  onApply: (filter: Omit<EventFilter, 'team' | 'cluster'> & { clusterId?: string | undefined }) => void;
}) {
  return (
    <Form<FormValues>
      layout="inline"
      style={{ marginBottom: 16, rowGap: 8 }}
      onFinish={(values) =>
        onApply({
          clusterId: values.cluster || undefined,
          namespace: values.namespace?.trim() || undefined,
          source: values.source || undefined,
          type: values.type || undefined,
          kind: values.kind?.trim() || undefined,
          name: values.name?.trim() || undefined,
        })
      }
    >
      {clusters && (
        <Form.Item name="cluster" label="Cluster">
          <Select
            allowClear
            showSearch
            placeholder="All clusters"
            style={{ width: 200 }}
            options={clusters.map((id) => ({ value: id, label: id }))}
            data-testid="event-cluster-filter"
          />
        </Form.Item>
      )}
      <Form.Item name="namespace" label="Namespace">
        <Input allowClear placeholder="any" style={{ width: 150 }} aria-label="Namespace" />
      </Form.Item>
      <Form.Item name="source" label="Source">
        <Select
          allowClear
          placeholder="Both"
          style={{ width: 130 }}
          options={[
            { value: 'gantry', label: 'Gantry' },
            { value: 'kubernetes', label: 'Kubernetes' },
          ]}
          data-testid="event-source-filter"
        />
      </Form.Item>
      <Form.Item name="type" label="Type">
        <Select
          allowClear
          placeholder="Any"
          style={{ width: 120 }}
          options={(['Normal', 'Warning'] as const).map((type) => ({ value: type, label: type }))}
        />
      </Form.Item>
      <Form.Item name="kind" label="Object">
        <AutoComplete
          allowClear
          placeholder="kind"
          style={{ width: 170 }}
          options={commonKinds.map((kind) => ({ value: kind }))}
          filterOption={(input, option) =>
            (option?.value ?? '').toLowerCase().startsWith(input.toLowerCase())
          }
        />
      </Form.Item>
      <Form.Item name="name">
        <Input allowClear placeholder="name" style={{ width: 170 }} aria-label="Object name" />
      </Form.Item>
      <Form.Item>
        <Button type="primary" htmlType="submit">
          Apply
        </Button>
      </Form.Item>
    </Form>
  );
}
