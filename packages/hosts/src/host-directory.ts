import { matchesSelector, parseLabelSelector } from '@gantry/model';
import type { HostRepository } from '@gantry/store';

/**
 * The team's hosts by name and label selector, as the job platform picks its targets (it declares this
 * shape as `HostDirectory` in @gantry/jobs; hosts do not depend on jobs).
 */
export function hostDirectory(repository: Pick<HostRepository, 'list' | 'existingHosts'>): {
  select(team: string, selector: string): Promise<string[]>;
  known(team: string, names: readonly string[]): Promise<string[]>;
} {
  return {
    async select(team, selector) {
      const parsed = parseLabelSelector(selector);
      const names: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await repository.list({
          team,
          limit: 1_000,
          ...(after !== undefined ? { after } : {}),
          accept: (row) => matchesSelector(parsed, JSON.parse(row.labels) as Record<string, string>),
        });
        names.push(...page.items.map((row) => row.name));
        if (page.next === undefined) return names.sort();
        after = page.next;
      }
    },
    async known(team, names) {
      const found = await repository.existingHosts(team, names);
      return names.filter((name) => found.has(name));
    },
  };
}
