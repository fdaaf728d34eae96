const binary: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimal: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes quantity (`250m`, `256Gi`, `1e3`) as a number, or `undefined` when it is not one. */
export function parseQuantity(quantity: string): number | undefined {
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(quantity.trim());
  if (!match) return undefined;
  const [, number = '', suffix = ''] = match;
  const factor = binary[suffix] ?? decimal[suffix];
  const value = Number(number);
  return factor === undefined || Number.isNaN(value) ? undefined : value * factor;
}

/** CPU as cores: `32`, `3.5`. */
export function formatCpu(quantity: string | undefined): string {
  if (!quantity) return '—';
  const cores = parseQuantity(quantity);
  return cores === undefined ? quantity : `${round(cores)}`;
}

/** Bytes in binary units: `256 GiB`, `1.5 MiB`. */
export function formatBytes(quantity: string | undefined): string {
  if (!quantity) return '—';
  const bytes = parseQuantity(quantity);
  if (bytes === undefined) return quantity;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${round(value)} ${units[unit]}`;
}

/** A node resource as people read it: bytes for memory and storage, cores for CPU, else as given. */
export function formatResource(resource: string, quantity: string | undefined): string {
  if (resource === 'cpu') return formatCpu(quantity);
  if (resource === 'memory' || resource.includes('storage') || resource.startsWith('hugepages-'))
    return formatBytes(quantity);
  return quantity ?? '—';
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
