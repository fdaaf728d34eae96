import { LeftOutlined, RightOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Empty, Flex, Select, Tag, Tooltip, Typography } from 'antd';
import { useSearchParams } from 'react-router';
import { getChangeCalendar } from '../../api/changes';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useTeamNames } from '../../hooks/use-team-names';
import { changesPath, weekDays, weekRange, weekStart, type CalendarBlock } from '../../lib/changes';

const DAY_MS = 86_400_000;
/** Pixels per minute of the day: 24 hours in 576 px. */
const SCALE = 0.4;
const LANES: { kind: CalendarBlock['kind']; label: string; color: string; border: string }[] = [
  { kind: 'allow', label: 'Allowed', color: '#dafbe1', border: '#1a7f37' },
  { kind: 'freeze', label: 'Freezes', color: '#ffebe9', border: '#cf222e' },
  { kind: 'open', label: 'May act', color: '#ddf4ff', border: '#0969da' },
];

/**
 * `/changes/calendar`: a team's ChangeWindows over a week (days in the zone picked, UTC by default): each allowed period's and
 * freeze's occurrences, and when changes may act — computed by the server with the engine's window code.
 */
export function WindowsCalendarPage() {
  const [params, setParams] = useSearchParams();
  const teams = useTeamNames();
  const team = params.get('team') || teams[0];
  const windowName = params.get('window') || undefined;
  const weekParam = params.get('week');
  const timeZone = params.get('zone') || 'UTC';
  const monday = weekStart(weekParam ? Date.parse(`${weekParam}T12:00:00Z`) : Date.now(), timeZone);
  const week = weekRange(monday, timeZone);
  const range = { from: new Date(week.days[0]!.start).toISOString(), to: new Date(week.end).toISOString() };
  const calendar = useQuery({
    queryKey: ['changes', 'calendar', team ?? '', range.from, range.to],
    queryFn: ({ signal }) => getChangeCalendar(team!, range, signal),
    enabled: team !== undefined,
  });
  const setParam = (key: string, value: string | undefined): void => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const shownWindows = (calendar.data?.items ?? []).filter(
    (item) => !windowName || item.window === windowName,
  );
  const open = windowName ? (shownWindows[0]?.open ?? []) : (calendar.data?.open ?? []);
  const days = weekDays(week, shownWindows, open);
  const moveWeek = (offset: number) =>
    setParam(
      'week',
      new Date(Date.parse(`${monday}T00:00:00Z`) + offset * 7 * DAY_MS).toISOString().slice(0, 10),
    );
  const zones = [
    ...new Set([
      'UTC',
      Intl.DateTimeFormat().resolvedOptions().timeZone,
      ...(calendar.data?.items ?? []).flatMap((item) => [
        item.timeZone,
        ...item.occurrences.map((o) => o.timeZone),
      ]),
    ]),
  ];

  return (
    <>
      <PageHeader
        title="Change windows"
        subtitle={`When changes may act: allowed periods and freezes, a freeze overriding an allow. Times in ${timeZone}.`}
        crumbs={[{ label: 'Management' }, { label: 'Changes', to: changesPath }, { label: 'Calendar' }]}
      />
      <Card>
        <Flex gap={8} wrap align="center" style={{ marginBottom: 16 }}>
          <Select
            placeholder="Team"
            value={team}
            style={{ width: 200 }}
            data-testid="calendar-team"
            options={teams.map((name) => ({ value: name, label: name }))}
            onChange={(value: string) => setParam('team', value)}
          />
          <Select
            allowClear
            placeholder="Windows that apply to all changes"
            value={windowName}
            style={{ width: 280 }}
            data-testid="calendar-window"
            options={(calendar.data?.items ?? []).map((item) => ({ value: item.window, label: item.window }))}
            onChange={(value: string | undefined) => setParam('window', value)}
          />
          <Select
            value={timeZone}
            style={{ width: 200 }}
            data-testid="calendar-zone"
            options={zones.map((zone) => ({ value: zone, label: zone }))}
            onChange={(value: string) => setParam('zone', value === 'UTC' ? undefined : value)}
          />
          <Button icon={<LeftOutlined />} onClick={() => moveWeek(-1)} data-testid="calendar-previous" />
          <Typography.Text data-testid="calendar-week">Week of {monday}</Typography.Text>
          <Button icon={<RightOutlined />} onClick={() => moveWeek(1)} data-testid="calendar-next" />
          {LANES.map((lane) => (
            <Tag key={lane.kind} style={{ background: lane.color, borderColor: lane.border }}>
              {lane.label}
            </Tag>
          ))}
        </Flex>
        <ErrorAlert error={calendar.error} style={{ marginBottom: 16 }} />
        {shownWindows.some((item) => item.truncated) && (
          <Alert
            type="warning"
            style={{ marginBottom: 12 }}
            title="Too many occurrences: the first ones are shown."
          />
        )}
        {calendar.data && calendar.data.items.length === 0 ? (
          <Empty description={`No ChangeWindows in ${team}: changes may act at any time.`} />
        ) : (
          <Flex
            data-testid="calendar-grid"
            data-zone={timeZone}
            data-loaded={calendar.isSuccess ? 'true' : 'false'}
            style={{ overflowX: 'auto' }}
          >
            <div style={{ width: 44, paddingTop: 28, flex: 'none' }}>
              {Array.from({ length: 24 }, (_, hour) => (
                <div key={hour} style={{ height: 60 * SCALE, fontSize: 11, color: '#8c8c8c' }}>
                  {String(hour).padStart(2, '0')}:00
                </div>
              ))}
            </div>
            {days.map((day) => (
              <div
                key={day.date}
                style={{ flex: 1, minWidth: 120 }}
                data-testid="calendar-day"
                data-date={day.date}
              >
                <div style={{ height: 28, textAlign: 'center', fontWeight: 600 }}>
                  {new Date(`${day.date}T12:00:00Z`).toLocaleDateString(undefined, {
                    weekday: 'short',
                    month: 'short',
                    day: 'numeric',
                    timeZone: 'UTC',
                  })}
                </div>
                <Flex
                  style={{ height: 24 * 60 * SCALE, borderLeft: '1px solid #f0f0f0', position: 'relative' }}
                >
                  {LANES.map((lane) => (
                    <div key={lane.kind} style={{ flex: 1, position: 'relative' }}>
                      {day.blocks
                        .filter((block) => block.kind === lane.kind)
                        .map((block, i) => (
                          <Tooltip
                            key={`${block.window}-${block.start}-${i}`}
                            title={`${block.window ? `${block.window}: ` : ''}${block.label} · ${zonedTime(block.start, timeZone)} – ${zonedTime(block.end, timeZone)}`}
                          >
                            <div
                              data-testid="calendar-block"
                              data-kind={block.kind}
                              data-window={block.window}
                              data-start={block.start}
                              data-end={block.end}
                              style={{
                                position: 'absolute',
                                top: block.top * SCALE,
                                height: Math.max(2, block.height * SCALE),
                                left: 1,
                                right: 1,
                                background: lane.color,
                                borderLeft: `3px solid ${lane.border}`,
                                borderRadius: 2,
                              }}
                            />
                          </Tooltip>
                        ))}
                    </div>
                  ))}
                </Flex>
              </div>
            ))}
          </Flex>
        )}
      </Card>
    </>
  );
}

function zonedTime(iso: string, timeZone: string): string {
  return new Date(iso).toLocaleString(undefined, {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
}
