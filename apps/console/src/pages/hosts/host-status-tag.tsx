import { Tag, Tooltip } from 'antd';
import type { Host } from '@gantry/client';
import { formatTime } from '../../lib/format';
import { hostStatusColors, hostStatusText } from '../../lib/hosts';

/** Online / Offline for how long / Unknown, with when it last changed on hover. */
export function HostStatusTag({ host }: { host: Pick<Host, 'status' | 'statusSince'> }) {
  return (
    <Tooltip title={`Since ${formatTime(host.statusSince)}`}>
      <Tag color={hostStatusColors[host.status]} data-testid="host-status">
        {hostStatusText(host)}
      </Tag>
    </Tooltip>
  );
}
