import { matchesSelector, parseLabelSelector } from '@gantry/model';

/** Which hosts a team has, as the jobs code needs to resolve a run's targets. `@gantry/hosts` implements it. */
export interface HostDirectory {
  /** Names of the team's hosts whose labels match `selector` (a label selector), sorted. */
  select(team: string, selector: string): Promise<string[]>;
  /** The names among `names` that are hosts of the team. */
  known(team: string, names: readonly string[]): Promise<string[]>;
}

/** Hosts kept in memory, for tests and the bench. */
export class MemoryHostDirectory implements HostDirectory {
  readonly #hosts = new Map<string, { team: string; name: string; labels: Record<string, string> }>();

  add(team: string, name: string, labels: Record<string, string> = {}): void {
    this.#hosts.set(`${team}/${name}`, { team, name, labels });
  }

  select(team: string, selector: string): Promise<string[]> {
    const parsed = parseLabelSelector(selector);
    return Promise.resolve(
      [...this.#hosts.values()]
        .filter((host) => host.team === team && matchesSelector(parsed, host.labels))
        .map((host) => host.name)
        .sort(),
    );
  }

  known(team: string, names: readonly string[]): Promise<string[]> {
    return Promise.resolve(names.filter((name) => this.#hosts.has(`${team}/${name}`)));
  }
}

/** A server without the hosts capability wired in: no host is known, so a run on hosts is refused. */
export const NO_HOSTS: HostDirectory = {
  select: () => Promise.resolve([]),
  known: () => Promise.resolve([]),
};
