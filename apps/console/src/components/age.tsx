import { Tooltip } from 'antd';
import { formatAge, formatTime } from '../lib/format';

/** "3m ago", with the exact time on hover: the When column of the runs, hosts and changes tables. */
export function Age({ time }: { time: string | null | undefined }) {
  if (!time) return <>—</>;
  return <Tooltip title={formatTime(time)}>{formatAge(time)} ago</Tooltip>;
}
