import { DownOutlined, KeyOutlined, LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Avatar, Dropdown, Flex, Tag, Typography } from 'antd';
import { useNavigate } from 'react-router';
import { logout } from '../api/auth';
import { useMe } from '../hooks/use-me';
import { endSession } from '../session/session-store';

/** The header's account menu: who is signed in, their tokens, and sign-out. */
export function UserMenu() {
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  const signOut = async (): Promise<void> => {
    try {
      await logout();
    } catch {
      // The session ends locally whatever the server says: a failed revoke must not trap the user.
    }
    endSession();
    queryClient.clear();
  };

  const username = me.data?.user.username ?? '…';
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        items: [
          { key: 'tokens', icon: <KeyOutlined />, label: 'API tokens' },
          { type: 'divider' },
          { key: 'logout', icon: <LogoutOutlined />, label: 'Sign out', danger: true },
        ],
        onClick: ({ key }) => {
          if (key === 'tokens') void navigate('/tokens');
          if (key === 'logout') void signOut();
        },
      }}
    >
      <Flex align="center" gap={8} style={{ cursor: 'pointer' }} data-testid="user-menu">
        <Avatar size="small" icon={<UserOutlined />} style={{ backgroundColor: '#1f6feb' }} />
        <Typography.Text strong data-testid="current-user">
          {username}
        </Typography.Text>
        {me.data?.user.admin && <Tag color="gold">admin</Tag>}
        <DownOutlined style={{ fontSize: 10, color: '#8c8c8c' }} />
      </Flex>
    </Dropdown>
  );
}
