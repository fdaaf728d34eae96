import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Flex, List, Tag, Typography } from 'antd';
import { useState } from 'react';
import { listLineStops, releaseLine, stopLine } from '../../api/changes';
import { ErrorAlert } from '../../components/error-alert';
import { formatTime } from '../../lib/format';
import { ReasonModal } from '../../components/reason-modal';

/**
 * Stop-the-line for a team: whether a stop holds its changes (the team's or the fleet's), who stopped
 * it and why, the history of stops, and the stop and release buttons — each asking why.
 */
export function LineCard({ team }: { team: string }) {
  const client = useQueryClient();
  const [asking, setAsking] = useState<'stop' | 'release' | undefined>();
  const stops = useQuery({
    queryKey: ['changes', 'line', team],
    queryFn: ({ signal }) => listLineStops(team, signal),
    refetchInterval: 5_000,
  });
  const active = (stops.data ?? []).filter((stop) => !stop.releasedAt);
  const teamActive = active.some((stop) => stop.team === team);
  const refresh = () => {
    setAsking(undefined);
    void client.invalidateQueries({ queryKey: ['changes'] });
  };
  return (
    <Card
      size="small"
      title={`Stop-the-line · ${team}`}
      data-testid="line-card"
      extra={
        teamActive ? (
          <Button size="small" onClick={() => setAsking('release')} data-testid="line-release">
            Release the line
          </Button>
        ) : (
          <Button size="small" danger onClick={() => setAsking('stop')} data-testid="line-stop">
            Stop the line
          </Button>
        )
      }
    >
      <ErrorAlert error={stops.error} style={{ marginBottom: 8 }} />
      {active.length > 0 ? (
        <Alert
          type="error"
          showIcon
          data-testid="line-stopped"
          title={`Stopped: no change of ${team} takes a step`}
          description={active.map((stop) => (
            <div key={stop.id}>
              {stop.team === '' ? 'Fleet-wide, ' : ''}by {stop.stoppedBy} at {formatTime(stop.stoppedAt)}:{' '}
              {stop.reason}
            </div>
          ))}
        />
      ) : (
        <Typography.Text type="secondary" data-testid="line-running">
          The line runs: changes take their steps.
        </Typography.Text>
      )}
      {(stops.data ?? []).some((stop) => stop.releasedAt) && (
        <List
          size="small"
          style={{ marginTop: 8 }}
          header={<Typography.Text type="secondary">History</Typography.Text>}
          dataSource={(stops.data ?? []).filter((stop) => stop.releasedAt)}
          renderItem={(stop) => (
            <List.Item key={stop.id}>
              <Flex gap={6} wrap>
                <Tag>{stop.team === '' ? 'fleet' : stop.team}</Tag>
                stopped by {stop.stoppedBy} ({stop.reason}), released by {stop.releasedBy} at{' '}
                {formatTime(stop.releasedAt)} ({stop.releaseReason})
              </Flex>
            </List.Item>
          )}
        />
      )}
      <ReasonModal
        title={`Stop every change of ${team}?`}
        okText="Stop the line"
        danger
        open={asking === 'stop'}
        act={(reason) => stopLine(team, reason)}
        onClose={() => setAsking(undefined)}
        onDone={refresh}
      />
      <ReasonModal
        title={`Release the line of ${team}?`}
        okText="Release"
        open={asking === 'release'}
        act={(reason) => releaseLine(team, reason)}
        onClose={() => setAsking(undefined)}
        onDone={refresh}
      />
    </Card>
  );
}
