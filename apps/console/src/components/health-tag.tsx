import { Tag, Tooltip } from 'antd';
import type { Condition } from '../api/types';
import { healthColor } from '../lib/application-status';

/** An application's or a component's health as a coloured tag; the message (if any) in the tooltip. */
export function HealthTag({ health, message }: { health: string | undefined; message?: string | undefined }) {
  const tag = (
    <Tag color={healthColor(health)} data-health={health ?? 'Unknown'} style={{ marginInlineEnd: 0 }}>
      {health ?? 'Unknown'}
    </Tag>
  );
  return message ? <Tooltip title={message}>{tag}</Tooltip> : tag;
}

const statusColors: Record<string, string> = { True: 'success', False: 'error' };

/** A condition's status with its reason next to it, the message in the tooltip ("Ready" in lists). */
export function ConditionStatus({ condition }: { condition: Condition | undefined }) {
  if (!condition) return <span style={{ color: '#bfbfbf' }}>Not reported</span>;
  return (
    <Tooltip title={condition.message}>
      <span data-condition={condition.type} data-status={condition.status}>
        <Tag color={statusColors[condition.status] ?? 'default'}>{condition.status}</Tag>
        {condition.reason}
      </span>
    </Tooltip>
  );
}
