import { QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider } from 'antd';
import { Suspense } from 'react';
import { RouterProvider } from 'react-router';
import { PageLoading } from './components/page-loading';
import { createQueryClient } from './lib/query-client';
import { router } from './routes';
import { consoleTheme } from './lib/theme';

const queryClient = createQueryClient();

export function App() {
  return (
    <ConfigProvider theme={consoleTheme}>
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <Suspense fallback={<PageLoading />}>
            <RouterProvider router={router} />
          </Suspense>
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}
