import { parse } from 'yaml';
import { isRecord } from '../api/normalize';

export interface KubeconfigContexts {
  readonly contexts: readonly string[];
  readonly currentContext: string | undefined;
  /** Why the text is not a kubeconfig; `undefined` when it is one. */
  readonly problem: string | undefined;
}

/** The contexts a pasted kubeconfig offers, read in the browser so that the form can list them. */
export function kubeconfigContexts(text: string): KubeconfigContexts {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    return {
      contexts: [],
      currentContext: undefined,
      problem: `not valid YAML: ${(error as Error).message}`,
    };
  }
  if (!isRecord(document) || !Array.isArray(document['clusters'])) {
    return { contexts: [], currentContext: undefined, problem: 'not a kubeconfig: it has no clusters list' };
  }
  const contexts = (Array.isArray(document['contexts']) ? document['contexts'] : [])
    .map((entry) => (isRecord(entry) && typeof entry['name'] === 'string' ? entry['name'] : undefined))
    .filter((name): name is string => name !== undefined);
  const current = document['current-context'];
  return {
    contexts,
    currentContext: typeof current === 'string' && current ? current : undefined,
    problem: undefined,
  };
}
