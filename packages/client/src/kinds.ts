import type { KindList, ServedKind } from '@gantry/model';

export { KINDS_TAG_HEADER } from '@gantry/model/wire-constants';

/**
 * A kind as clients use it (the CLI's short names and columns, the console's forms): an entry of
 * `GET /api/kinds` with its group and version apart.
 */
export type KindInfo = Pick<
  ServedKind,
  'kind' | 'plural' | 'singular' | 'shortNames' | 'scope' | 'printerColumns'
> &
  Partial<Pick<ServedKind, 'description' | 'schema'>> & { group: string; version: string };

export function kindInfo(served: ServedKind): KindInfo {
  const slash = served.apiVersion.indexOf('/');
  return {
    kind: served.kind,
    group: served.apiVersion.slice(0, slash),
    version: served.apiVersion.slice(slash + 1),
    plural: served.plural,
    singular: served.singular,
    shortNames: served.shortNames,
    scope: served.scope,
    printerColumns: served.printerColumns,
    description: served.description,
    schema: served.schema,
  };
}

/**
 * `GET /api/kinds` as KindInfos, by kind name. Kind names are ASCII, so code-unit order is theirs; and
 * `localeCompare`'s first call loads the ICU collator, ~10 ms of every CLI call.
 */
export function kindInfos(list: KindList): KindInfo[] {
  return list.items.map(kindInfo).sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}

/** `group/version`, as in an object's `apiVersion`. */
export function apiVersionOf(kind: Pick<KindInfo, 'group' | 'version'>): string {
  return `${kind.group}/${kind.version}`;
}
