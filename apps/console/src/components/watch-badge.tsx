import { Badge, Tooltip } from 'antd';
import type { WatchState } from '../hooks/use-resource-watch';

const labels: Record<
  WatchState,
  { status: 'success' | 'processing' | 'warning' | 'default'; text: string; hint: string }
> = {
  live: { status: 'success', text: 'Live', hint: 'Changes appear as they happen (watch stream open).' },
  connecting: { status: 'processing', text: 'Connecting', hint: 'Opening the watch stream.' },
  reconnecting: {
    status: 'warning',
    text: 'Reconnecting',
    hint: 'The watch stream dropped; resuming from the last version seen.',
  },
  off: { status: 'default', text: 'Not live', hint: 'Not following changes.' },
};

export function WatchBadge({ state }: { state: WatchState }) {
  const label = labels[state];
  return (
    <Tooltip title={label.hint}>
      <Badge status={label.status} text={label.text} data-testid="watch-state" />
    </Tooltip>
  );
}
