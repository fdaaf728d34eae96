// Types for lib.mjs, so that TypeScript bench scripts can use it.
export const root: string;
export const BASE: string;
export interface BenchServer {
  url: string;
  pid: number;
  readyMs: number;
  token: string;
  rssMb(): number;
  stop(): Promise<void>;
}
export function startServer(options?: { env?: Record<string, string>; port?: number }): Promise<BenchServer>;
export function rssMb(pid: number): number;
export function cpuSeconds(pid: number): number;
export function request(
  method: string,
  url: string,
  body?: unknown,
  token?: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any; ms: number; bytes: number }>;
export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
export function percentiles(values: number[]): Percentiles;
export function fixedRate(options: {
  rate: number;
  seconds: number;
  make: (i: number) => Promise<{ status: number; ms: number }>;
}): Promise<Percentiles & { achievedRate: number; failures: number }>;
export function team(name: string, labels?: Record<string, string>): unknown;
export function report(rows: [string, string, string, boolean][]): void;
