/** Where the delivery pages live in the console. */
export const applicationsPath = '/delivery/applications';
export const newApplicationPath = '/delivery/applications/new';
export const catalogPath = '/delivery/catalog';

export type DefinitionGroup = 'components' | 'traits';

export function applicationPath(team: string, name: string, tab?: string): string {
  const path = `/delivery/teams/${encodeURIComponent(team)}/applications/${encodeURIComponent(name)}`;
  return tab ? `${path}?tab=${tab}` : path;
}

export function definitionPath(group: DefinitionGroup, name: string): string {
  return `${catalogPath}/${group}/${encodeURIComponent(name)}`;
}
