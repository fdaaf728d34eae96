const phaseOrder = ['Running', 'Pending', 'Succeeded', 'Failed', 'Unknown'];
const phaseColors: Record<string, string> = {
  Running: 'success',
  Pending: 'processing',
  Succeeded: 'default',
  Failed: 'error',
  Unknown: 'warning',
};

/** Pod phases in lifecycle order, then any others the server reports, by name. */
export function sortPhases(phases: Iterable<string>): string[] {
  const rank = (phase: string) => {
    const index = phaseOrder.indexOf(phase);
    return index === -1 ? phaseOrder.length : index;
  };
  return [...new Set(phases)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function phaseColor(phase: string): string {
  return phaseColors[phase] ?? 'default';
}
