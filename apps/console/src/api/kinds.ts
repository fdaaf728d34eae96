import { kindInfos, type KindInfo, type KindList } from '@gantry/client';
import { apiRequest } from './client';

export async function fetchKinds(): Promise<KindInfo[]> {
  return kindInfos(await apiRequest<KindList>('/api/kinds'));
}
