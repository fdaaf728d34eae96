import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { AutoComplete, Button, Flex, Select, Table } from 'antd';
import { teamRoles, type TeamMember } from '../../lib/team-members';

export interface MembersEditorProps {
  readonly members: readonly TeamMember[];
  readonly users: readonly string[];
  readonly onChange: (members: TeamMember[]) => void;
}

/** Rows of user + role; the caller saves them through the Team resource. */
export function MembersEditor({ members, users, onChange }: MembersEditorProps) {
  const update = (index: number, patch: Partial<TeamMember>): void => {
    onChange(members.map((member, at) => (at === index ? { ...member, ...patch } : member)));
  };
  const rows = members.map((member, index) => ({ ...member, index }));
  return (
    <Flex vertical gap={12}>
      <Table
        size="small"
        rowKey="index"
        pagination={false}
        dataSource={rows}
        data-testid="members-table"
        locale={{ emptyText: 'No members yet' }}
        columns={[
          {
            title: 'User',
            key: 'user',
            render: (_, row) => (
              <AutoComplete
                value={row.user}
                style={{ width: 260 }}
                placeholder="username"
                options={users
                  .filter((user) => !members.some((member) => member.user === user))
                  .map((user) => ({ value: user }))}
                onChange={(user: string) => update(row.index, { user })}
                aria-label={`Member ${row.index + 1} user`}
              />
            ),
          },
          {
            title: 'Role',
            key: 'role',
            render: (_, row) => (
              <Select
                value={row.role}
                style={{ width: 160 }}
                options={teamRoles.map((role) => ({ value: role, label: role }))}
                onChange={(role) => update(row.index, { role })}
                aria-label={`Member ${row.index + 1} role`}
              />
            ),
          },
          {
            title: '',
            key: 'remove',
            align: 'right',
            render: (_, row) => (
              <Button
                type="text"
                danger
                icon={<DeleteOutlined />}
                aria-label={`Remove ${row.user || 'member'}`}
                onClick={() => onChange(members.filter((_member, at) => at !== row.index))}
              />
            ),
          },
        ]}
      />
      <div>
        <Button icon={<PlusOutlined />} onClick={() => onChange([...members, { user: '', role: 'viewer' }])}>
          Add member
        </Button>
      </div>
    </Flex>
  );
}
