import { Tag, Tooltip } from 'antd';
import type { Condition } from '../api/types';
import { conditionColor } from '../lib/cluster-health';

/** A condition as its reason in the condition's colour; the message is in the tooltip. */
export function ConditionTag({ type, condition }: { type: string; condition: Condition | undefined }) {
  const text = condition ? condition.reason || condition.status : 'Not reported';
  const hint = condition
    ? `${type} ${condition.status}${condition.message ? `: ${condition.message}` : ''}`
    : `${type} not reported yet`;
  return (
    <Tooltip title={hint}>
      <Tag
        color={conditionColor(condition)}
        data-condition={type}
        data-status={condition?.status ?? 'Unknown'}
        style={{ marginInlineEnd: 0 }}
      >
        {text}
      </Tag>
    </Tooltip>
  );
}
