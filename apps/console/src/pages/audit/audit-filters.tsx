import { Button, DatePicker, Form, Input, Select } from 'antd';
import type { AuditFilter } from '../../api/audit';

export interface AuditFiltersProps {
  readonly kinds: readonly string[];
  readonly teams: readonly string[];
  readonly onApply: (filter: AuditFilter) => void;
}

interface FormValues {
  actor?: string;
  kind?: string;
  team?: string;
  name?: string;
  range?: [{ toISOString(): string } | null, { toISOString(): string } | null] | null;
}

export function AuditFilters({ kinds, teams, onApply }: AuditFiltersProps) {
  return (
    <Form<FormValues>
      layout="inline"
      style={{ marginBottom: 16, rowGap: 8 }}
      onFinish={(values) =>
        onApply({
          actor: values.actor?.trim() || undefined,
          kind: values.kind || undefined,
          team: values.team || undefined,
          name: values.name?.trim() || undefined,
          since: values.range?.[0]?.toISOString(),
          until: values.range?.[1]?.toISOString(),
        })
      }
    >
      <Form.Item name="actor" label="Actor">
        <Input allowClear placeholder="username" style={{ width: 150 }} aria-label="Actor" />
      </Form.Item>
      <Form.Item name="kind" label="Kind">
        <Select
          allowClear
          showSearch
          placeholder="Any"
          style={{ width: 160 }}
          options={kinds.map((kind) => ({ value: kind, label: kind }))}
        />
      </Form.Item>
      <Form.Item name="team" label="Team">
        <Select
          allowClear
          showSearch
          placeholder="Any"
          style={{ width: 150 }}
          options={teams.map((team) => ({ value: team, label: team }))}
        />
      </Form.Item>
      <Form.Item name="name" label="Name">
        <Input allowClear placeholder="resource name" style={{ width: 150 }} aria-label="Name" />
      </Form.Item>
      <Form.Item name="range" label="Time">
        <DatePicker.RangePicker showTime allowEmpty={[true, true]} />
      </Form.Item>
      <Form.Item>
        <Button type="primary" htmlType="submit">
          Apply
        </Button>
      </Form.Item>
    </Form>
  );
}
