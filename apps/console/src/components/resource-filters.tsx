import { Form, Input, Select } from 'antd';
import { useEffect, useState } from 'react';
import { isApiError } from '@gantry/client';
import type { KindInfo } from '../api/types';

export interface ResourceFiltersProps {
  readonly kind: KindInfo;
  readonly teams: readonly string[];
  readonly team: string | undefined;
  readonly labelSelector: string | undefined;
  readonly onTeam: (team: string | undefined) => void;
  readonly onLabelSelector: (selector: string | undefined) => void;
  readonly onNameSearch: (name: string) => void;
  /** The list's error: a 400 about the selector is shown under the selector box. */
  readonly listError: unknown;
}

export function ResourceFilters(props: ResourceFiltersProps) {
  const { kind, teams, team, labelSelector, listError } = props;
  const [selectorText, setSelectorText] = useState(labelSelector ?? '');
  useEffect(() => setSelectorText(labelSelector ?? ''), [labelSelector]);
  const selectorError =
    labelSelector && isApiError(listError) && listError.status === 400 ? listError.message : undefined;

  return (
    <Form layout="inline" style={{ marginBottom: 16, rowGap: 8 }}>
      {kind.scope === 'Team' && (
        <Form.Item label="Team">
          <Select
            allowClear
            showSearch
            placeholder="All my teams"
            style={{ width: 200 }}
            value={team}
            onChange={(value: string | undefined) => props.onTeam(value || undefined)}
            options={teams.map((name) => ({ value: name, label: name }))}
            data-testid="team-filter"
          />
        </Form.Item>
      )}
      <Form.Item
        label="Labels"
        validateStatus={selectorError ? 'error' : undefined}
        help={selectorError ? <span data-testid="selector-error">{selectorError}</span> : undefined}
      >
        <Input.Search
          placeholder="env=prod,tier!=db"
          allowClear
          style={{ width: 300 }}
          value={selectorText}
          onChange={(event) => setSelectorText(event.target.value)}
          onSearch={(value) => props.onLabelSelector(value.trim() || undefined)}
          enterButton="Apply"
          aria-label="Label selector"
        />
      </Form.Item>
      <Form.Item label="Name">
        <Input
          placeholder="Search loaded names"
          allowClear
          style={{ width: 220 }}
          onChange={(event) => props.onNameSearch(event.target.value)}
          aria-label="Name search"
        />
      </Form.Item>
    </Form>
  );
}
