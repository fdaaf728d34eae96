import {
  AlertOutlined,
  AppstoreOutlined,
  AuditOutlined,
  BookOutlined,
  CheckSquareOutlined,
  ClusterOutlined,
  CodeOutlined,
  ColumnHeightOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  DollarOutlined,
  FieldTimeOutlined,
  KeyOutlined,
  MedicineBoxOutlined,
  PlayCircleOutlined,
  SafetyCertificateOutlined,
  SearchOutlined,
  SwapOutlined,
  TeamOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { Menu, type MenuProps } from 'antd';
import type { ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { resolveEntry } from '../hooks/use-entry-link';
import { useKinds } from '../hooks/use-kinds';
import { useMe } from '../hooks/use-me';
import { platformMap } from '../lib/platform-map';

const entryIcons: Record<string, ReactNode> = {
  teams: <TeamOutlined />,
  clusters: <ClusterOutlined />,
  applications: <AppstoreOutlined />,
  catalog: <BookOutlined />,
  events: <FieldTimeOutlined />,
  alerts: <AlertOutlined />,
  risks: <SafetyCertificateOutlined />,
  changes: <SwapOutlined />,
  'job-templates': <CodeOutlined />,
  'job-runs': <PlayCircleOutlined />,
  healing: <MedicineBoxOutlined />,
  scaling: <ColumnHeightOutlined />,
  quality: <CheckSquareOutlined />,
  cost: <DollarOutlined />,
  efficiency: <DashboardOutlined />,
  search: <SearchOutlined />,
  users: <UserOutlined />,
  tokens: <KeyOutlined />,
  audit: <AuditOutlined />,
  resources: <DatabaseOutlined />,
};

type MenuItem = Required<MenuProps>['items'][number];

interface EntryTarget {
  readonly key: string;
  readonly to: string;
  /** Paths that count as "inside" the entry, for highlighting: its link and its kind's browser. */
  readonly prefixes: readonly string[];
}

/** The left navigation: the platform map, each entry leading to what this server actually offers. */
export function NavMenu() {
  const kinds = useKinds();
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const isAdmin = me.data?.user.admin ?? false;

  const targets: EntryTarget[] = [];
  const items: MenuItem[] = platformMap.map((section) => ({
    type: 'group',
    key: section.key,
    label: (
      <span style={{ textTransform: 'uppercase', letterSpacing: 0.8, fontWeight: 600 }}>{section.label}</span>
    ),
    children: section.entries
      .filter((entry) => !entry.adminOnly || isAdmin)
      .map((entry) => {
        const link = resolveEntry(entry, kinds.data);
        const kindPath = link.kind ? `/resources/${link.kind.plural}` : undefined;
        const prefixes = [link.to, ...(kindPath ? [kindPath] : []), ...(entry.paths ?? [])];
        targets.push({ key: entry.key, to: link.to, prefixes });
        return {
          key: entry.key,
          icon: entryIcons[entry.key],
          label: (
            <span data-testid={`nav-${entry.key}`} style={link.available ? undefined : { opacity: 0.55 }}>
              {entry.label}
            </span>
          ),
        };
      }),
  }));

  const selected = selectedEntry(location.pathname, targets);
  return (
    <Menu
      theme="dark"
      mode="inline"
      items={items}
      selectedKeys={selected ? [selected] : []}
      onClick={({ key }) => {
        const target = targets.find((candidate) => candidate.key === key);
        if (target) void navigate(target.to);
      }}
    />
  );
}

/** The entry with the longest path prefix of the current location. */
function selectedEntry(pathname: string, targets: readonly EntryTarget[]): string | undefined {
  let best: { key: string; length: number } | undefined;
  for (const target of targets) {
    for (const prefix of target.prefixes) {
      const matches = pathname === prefix || pathname.startsWith(`${prefix}/`);
      if (matches && (!best || prefix.length > best.length))
        best = { key: target.key, length: prefix.length };
    }
  }
  return best?.key;
}
