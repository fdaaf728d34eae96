import type { KindList } from '@gantry/client';
import { apiRequest } from './client';
import { isRecord, itemsOf, str } from './normalize';
import type { KindInfo } from './types';

export async function fetchKinds(): Promise<KindInfo[]> {
  const body = await apiRequest<KindList>('/api/kinds');
  return itemsOf(body, 'kinds')
    .filter(isRecord)
    .map((raw): KindInfo => {
      const kind = str(raw, 'kind', 'name') ?? '';
      const scope = str(raw, 'scope');
      // The server names the group and version together, as `apiVersion: gantry.dev/v1alpha1`.
      const [group, version] = (str(raw, 'apiVersion') ?? '').split('/');
      return {
        kind,
        group: str(raw, 'group') ?? (group || 'gantry.dev'),
        version: str(raw, 'version') ?? (version || 'v1alpha1'),
        description: str(raw, 'description'),
        plural: str(raw, 'plural') ?? `${kind.toLowerCase()}s`,
        scope: scope === 'Global' || (scope === undefined && kind === 'Team') ? 'Global' : 'Team',
        schema: raw['schema'],
      };
    })
    .filter((info) => info.kind !== '')
    .sort((a, b) => a.kind.localeCompare(b.kind));
}
