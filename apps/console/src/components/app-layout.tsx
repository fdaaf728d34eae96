import { Button, Flex, Layout, Typography } from 'antd';
import { MenuFoldOutlined, MenuUnfoldOutlined } from '@ant-design/icons';
import { Suspense, useState } from 'react';
import { Link, Outlet } from 'react-router';
import { NavMenu } from './nav-menu';
import { PageLoading } from './page-loading';
import { UserMenu } from './user-menu';
import { BrandMark } from './brand-mark';

/** The console shell: platform-map navigation on the left, account in the header, the page in between. */
export function AppLayout() {
  const [collapsed, setCollapsed] = useState(false);
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider
        width={224}
        collapsible
        collapsed={collapsed}
        trigger={null}
        style={{ overflow: 'auto', height: '100vh', position: 'sticky', top: 0 }}
      >
        <Link to="/" aria-label="Gantry home">
          <Flex align="center" gap={10} style={{ height: 56, padding: collapsed ? '0 24px' : '0 20px' }}>
            <BrandMark />
            {!collapsed && (
              <Typography.Text strong style={{ color: '#fff', fontSize: 17, letterSpacing: 0.3 }}>
                Gantry
              </Typography.Text>
            )}
          </Flex>
        </Link>
        <NavMenu />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ borderBottom: '1px solid #e8ebf0', height: 56, lineHeight: '56px' }}>
          <Flex align="center" justify="space-between" style={{ height: '100%' }}>
            <Button
              type="text"
              aria-label={collapsed ? 'Expand navigation' : 'Collapse navigation'}
              icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
              onClick={() => setCollapsed(!collapsed)}
            />
            <UserMenu />
          </Flex>
        </Layout.Header>
        <Layout.Content style={{ padding: 24, minWidth: 0 }}>
          <Suspense fallback={<PageLoading />}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
