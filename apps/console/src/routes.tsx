import { lazy, type ComponentType } from 'react';
import { createBrowserRouter } from 'react-router';
import { AppLayout } from './components/app-layout';
import { RequireSession } from './components/require-session';

/** Every page is its own chunk: the first load carries the shell only. */
function page<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  const Component = lazy<ComponentType>(async () => ({ default: (await load())[name] }));
  return <Component />;
}

export const router = createBrowserRouter([
  { path: '/login', element: page(() => import('./pages/login-page'), 'LoginPage') },
  {
    element: <RequireSession />,
    children: [
      {
        element: <AppLayout />,
        children: [
          { index: true, element: page(() => import('./pages/overview-page'), 'OverviewPage') },
          { path: 'resources', element: page(() => import('./pages/resources/kinds-page'), 'KindsPage') },
          {
            path: 'resources/:plural',
            element: page(() => import('./pages/resources/resource-list-page'), 'ResourceListPage'),
          },
          {
            path: 'resources/:plural/new',
            element: page(() => import('./pages/resources/resource-create-page'), 'ResourceCreatePage'),
          },
          {
            path: 'resources/:plural/:name',
            element: page(() => import('./pages/resources/resource-detail-page'), 'ResourceDetailPage'),
          },
          {
            path: 'resources/:plural/:team/:name',
            element: page(() => import('./pages/resources/resource-detail-page'), 'ResourceDetailPage'),
          },
          {
            path: 'platform/:entry',
            element: page(() => import('./pages/platform/unavailable-page'), 'UnavailablePage'),
          },
          {
            path: 'fleet',
            element: page(() => import('./pages/fleet/fleet-overview-page'), 'FleetOverviewPage'),
          },
          {
            path: 'fleet/clusters/new',
            element: page(() => import('./pages/fleet/add-cluster-page'), 'AddClusterPage'),
          },
          {
            path: 'fleet/clusters/:team/:name',
            element: page(() => import('./pages/fleet/cluster-detail-page'), 'ClusterDetailPage'),
          },
          {
            path: 'fleet/clusters/:team/:name/nodes/:node',
            element: page(() => import('./pages/fleet/node-detail-page'), 'NodeDetailPage'),
          },
          {
            path: 'delivery/applications',
            element: page(() => import('./pages/delivery/applications-page'), 'ApplicationsPage'),
          },
          {
            path: 'delivery/applications/new',
            element: page(() => import('./pages/delivery/new-application-page'), 'NewApplicationPage'),
          },
          {
            path: 'delivery/teams/:team/applications/:name',
            element: page(() => import('./pages/delivery/application-detail-page'), 'ApplicationDetailPage'),
          },
          {
            path: 'delivery/catalog',
            element: page(() => import('./pages/delivery/catalog-page'), 'CatalogPage'),
          },
          {
            path: 'delivery/catalog/:group/:name',
            element: page(() => import('./pages/delivery/definition-page'), 'DefinitionPage'),
          },
          {
            path: 'jobs/templates',
            element: page(() => import('./pages/jobs/job-templates-page'), 'JobTemplatesPage'),
          },
          {
            path: 'jobs/teams/:team/templates/:name',
            element: page(() => import('./pages/jobs/job-template-page'), 'JobTemplatePage'),
          },
          { path: 'jobs/runs', element: page(() => import('./pages/jobs/job-runs-page'), 'JobRunsPage') },
          { path: 'jobs/runs/:id', element: page(() => import('./pages/jobs/job-run-page'), 'JobRunPage') },
          { path: 'changes', element: page(() => import('./pages/changes/changes-page'), 'ChangesPage') },
          {
            path: 'changes/calendar',
            element: page(() => import('./pages/changes/windows-calendar-page'), 'WindowsCalendarPage'),
          },
          {
            path: 'changes/teams/:team/:name',
            element: page(() => import('./pages/changes/change-page'), 'ChangePage'),
          },
          { path: 'hosts', element: page(() => import('./pages/hosts/hosts-page'), 'HostsPage') },
          {
            path: 'hosts/teams/:team/:name',
            element: page(() => import('./pages/hosts/host-page'), 'HostPage'),
          },
          { path: 'events', element: page(() => import('./pages/events/events-page'), 'EventsPage') },
          { path: 'alerts', element: page(() => import('./pages/alerts/alerts-page'), 'AlertsPage') },
          { path: 'health', element: page(() => import('./pages/health/health-page'), 'HealthPage') },
          {
            path: 'health/teams/:team/exceptions/:id',
            element: page(() => import('./pages/health/exception-page'), 'ExceptionPage'),
          },
          {
            path: 'health/teams/:team/inspections/:name',
            element: page(() => import('./pages/health/inspection-page'), 'InspectionPage'),
          },
          { path: 'healing', element: page(() => import('./pages/healing/healing-page'), 'HealingPage') },
          {
            path: 'healing/teams/:team/runs/:id',
            element: page(() => import('./pages/healing/healing-run-page'), 'HealingRunPage'),
          },
          { path: 'teams', element: page(() => import('./pages/teams/teams-page'), 'TeamsPage') },
          { path: 'teams/:name', element: page(() => import('./pages/teams/team-page'), 'TeamPage') },
          { path: 'search', element: page(() => import('./pages/search-page'), 'SearchPage') },
          { path: 'admin/users', element: page(() => import('./pages/users/users-page'), 'UsersPage') },
          { path: 'tokens', element: page(() => import('./pages/tokens/tokens-page'), 'TokensPage') },
          { path: 'admin/audit', element: page(() => import('./pages/audit/audit-page'), 'AuditPage') },
          { path: '*', element: page(() => import('./pages/not-found-page'), 'NotFoundPage') },
        ],
      },
    ],
  },
]);
