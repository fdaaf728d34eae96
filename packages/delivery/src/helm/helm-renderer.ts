import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from '../compose/manifest.ts';

export interface HelmRendererOptions {
  /** The helm binary (v3 or v4). */
  readonly helmPath: string;
  /** Helm's cache, config and data homes (downloaded charts, repositories); helm's own defaults when unset. */
  readonly cacheDir?: string;
  /** How long one `helm template` may run before it is killed. */
  readonly timeoutMs: number;
  /** Rendered charts kept in memory, the least recently used forgotten first (64 by default). */
  readonly cacheSize?: number;
  /** Largest accepted output of one render, in bytes (32 MiB by default). */
  readonly maxOutputBytes?: number;
  /**
   * Directories whose charts may be named by local path (absolute, symlinks resolved); none by default.
   * Whoever may write an application could otherwise have the server read any chart on its disk.
   */
  readonly localChartDirs?: readonly string[];
}

export interface HelmRenderInput {
  /** A chart reference: a name in `repo`, `oci://...`, a URL or a local path. */
  readonly chart: string;
  readonly repo?: string;
  /** A version or version constraint; the latest when unset. */
  readonly version?: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly releaseName: string;
  readonly namespace: string;
}

const CHART_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const REPO_ALIAS = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

export type HelmErrorReason = 'exit' | 'timeout' | 'spawn' | 'output' | 'refused';

/**
 * `helm template` failed: it exited non-zero, ran too long, could not start, or printed something
 * unusable; or the chart reference was refused before helm ran (a local path outside the allowed directories).
 */
export class HelmError extends Error {
  readonly reason: HelmErrorReason;
  /** What helm printed on stderr, trimmed. */
  readonly stderr: string;
  readonly exitCode: number | undefined;

  constructor(message: string, fields: { reason: HelmErrorReason; stderr?: string; exitCode?: number }) {
    super(message);
    this.name = 'HelmError';
    this.reason = fields.reason;
    this.stderr = fields.stderr ?? '';
    this.exitCode = fields.exitCode;
  }
}

/**
 * Renders charts with `helm template` (no cluster access; hooks included, chart tests left out). The
 * values go to helm on stdin, never through a shell. Identical inputs (sha256 of chart, repo, version,
 * release, namespace and values) share one render, cached while it is among the most recent
 * `cacheSize`: an unpinned version or a local chart that changes on disk is therefore seen anew only once
 * it falls out of the cache. Failures are not cached.
 */
export class HelmRenderer {
  readonly #options: Required<Omit<HelmRendererOptions, 'cacheDir' | 'localChartDirs'>> & {
    cacheDir: string | undefined;
  };
  readonly #localChartDirs: readonly string[];
  readonly #cache = new Map<string, Promise<Manifest[]>>();
  #runs = 0;

  constructor(options: HelmRendererOptions) {
    this.#options = {
      helmPath: options.helmPath,
      cacheDir: options.cacheDir,
      timeoutMs: options.timeoutMs,
      cacheSize: options.cacheSize ?? 64,
      maxOutputBytes: options.maxOutputBytes ?? 32 * 1024 * 1024,
    };
    this.#localChartDirs = (options.localChartDirs ?? []).map((dir) => {
      if (!isAbsolute(dir)) throw new Error(`a local chart directory must be an absolute path, got "${dir}"`);
      return existsSync(dir) ? realpathSync(dir) : resolve(dir);
    });
  }

  /** How many times helm actually ran (cache misses). */
  get runs(): number {
    return this.#runs;
  }

  /** The chart's objects, in helm's order, empty documents left out; each call gets its own copy. */
  async render(input: HelmRenderInput): Promise<Manifest[]> {
    this.#checkReference(input);
    const key = cacheKey(input);
    let pending = this.#cache.get(key);
    if (pending) {
      this.#cache.delete(key);
    } else {
      pending = this.#run(input);
      pending.catch(() => this.#cache.delete(key));
      if (this.#cache.size >= this.#options.cacheSize) {
        const oldest = this.#cache.keys().next();
        if (!oldest.done) this.#cache.delete(oldest.value);
      }
    }
    this.#cache.set(key, pending);
    return structuredClone(await pending);
  }

  /**
   * URLs (`oci://`, `https://`) go to helm as they are, and so do a plain chart name with `repo` and a
   * `<repo alias>/<chart>` reference (helm's configured repositories) that names nothing on disk; anything
   * else is a local path and must be absolute and inside an allowed directory.
   */
  #checkReference(input: HelmRenderInput): void {
    const { chart } = input;
    const refuse = (message: string) => {
      throw new HelmError(message, { reason: 'refused' });
    };
    if (/^(oci|https?):\/\//.test(chart)) return;
    if (input.repo !== undefined) {
      if (!CHART_NAME.test(chart))
        refuse(
          `with a repo, the chart must be a chart name in it (letters, digits, ".", "_", "-"), not "${chart}"`,
        );
      return;
    }
    if (REPO_ALIAS.test(chart) && !existsSync(chart)) return;
    if (!isAbsolute(chart))
      refuse(
        `a local chart must be an absolute path under a directory the server allows (GANTRY_HELM_CHART_DIRS), not "${chart}"`,
      );
    let real: string;
    try {
      real = realpathSync(chart);
    } catch {
      return refuse(`no local chart at ${chart}`);
    }
    const inside = this.#localChartDirs.some((dir) => {
      const rest = relative(dir, real);
      return rest === '' || (!rest.startsWith('..') && !isAbsolute(rest));
    });
    if (!inside) {
      refuse(
        this.#localChartDirs.length === 0
          ? `local charts are not allowed on this server (GANTRY_HELM_CHART_DIRS is empty): ${chart}`
          : `local chart ${chart} is outside the directories the server allows (GANTRY_HELM_CHART_DIRS)`,
      );
    }
  }

  async #run(input: HelmRenderInput): Promise<Manifest[]> {
    this.#runs += 1;
    const stdout = await this.#spawn(helmArguments(input), JSON.stringify(input.values));
    return parseManifests(stdout);
  }

  #spawn(args: string[], stdin: string): Promise<string> {
    const { helmPath, cacheDir, timeoutMs, maxOutputBytes } = this.#options;
    const env = cacheDir
      ? {
          ...process.env,
          HELM_CACHE_HOME: join(cacheDir, 'cache'),
          HELM_CONFIG_HOME: join(cacheDir, 'config'),
          HELM_DATA_HOME: join(cacheDir, 'data'),
        }
      : process.env;
    return new Promise((resolve, reject) => {
      const child = spawn(helmPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let outBytes = 0;
      let stderr = '';
      let failure: HelmError | undefined;
      const stop = (error: HelmError) => {
        failure ??= error;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(
        () =>
          stop(
            new HelmError(`helm template did not finish within ${timeoutMs} ms`, {
              reason: 'timeout',
              stderr: stderr.trim(),
            }),
          ),
        timeoutMs,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > maxOutputBytes) {
          stop(
            new HelmError(`helm template printed more than ${maxOutputBytes} bytes`, { reason: 'output' }),
          );
          return;
        }
        out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        // The end of stderr holds the error; keep it bounded.
        stderr = (stderr + chunk.toString('utf8')).slice(-16_384);
      });
      // helm may exit before it reads its values (a bad chart reference): that is reported by the exit code.
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new HelmError(`could not run ${helmPath}: ${error.message}`, { reason: 'spawn' }));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        const trimmed = stderr.trim();
        if (failure) reject(failure);
        else if (code !== 0) {
          reject(
            new HelmError(errorLine(trimmed) ?? `helm template exited with code ${code}`, {
              reason: 'exit',
              stderr: trimmed,
              ...(code === null ? {} : { exitCode: code }),
            }),
          );
        } else resolve(Buffer.concat(out).toString('utf8'));
      });
    });
  }
}

function helmArguments(input: HelmRenderInput): string[] {
  // `--flag=value` and `--` before the positional arguments: a chart or release name beginning with `-`
  // can never become a flag of its own (`--post-renderer` would run a program).
  return [
    'template',
    `--namespace=${input.namespace}`,
    '--include-crds',
    '--skip-tests',
    ...(input.repo === undefined ? [] : [`--repo=${input.repo}`]),
    ...(input.version === undefined ? [] : [`--version=${input.version}`]),
    '--values=-',
    '--',
    input.releaseName,
    input.chart,
  ];
}

/**
 * Parses helm's multi-document YAML as Kubernetes would: YAML 1.1 scalars (`0644` is octal, `yes` a bool)
 * but timestamps left as strings, as the API server's decoder does.
 */
export function parseManifests(text: string): Manifest[] {
  const documents = parseAllDocuments(text, {
    version: '1.1',
    customTags: (tags) =>
      tags.filter((tag) => typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:timestamp'),
  });
  const manifests: Manifest[] = [];
  for (const document of documents) {
    const [first] = document.errors;
    if (first) throw new HelmError(`helm printed invalid YAML: ${first.message}`, { reason: 'output' });
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new HelmError(
        `helm printed a document that is not an object: ${JSON.stringify(value).slice(0, 200)}`,
        {
          reason: 'output',
        },
      );
    }
    manifests.push(value as Manifest);
  }
  return manifests;
}

/** Helm's last `Error: ...` line, the one that says what went wrong. */
function errorLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((line) => line.startsWith('Error: '));
  return lines.at(-1)?.slice('Error: '.length);
}

function cacheKey(input: HelmRenderInput): string {
  const material = [
    input.chart,
    input.repo ?? null,
    input.version ?? null,
    input.releaseName,
    input.namespace,
    input.values,
  ];
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

/** JSON with object keys sorted, so two equal value maps written in different orders share a cache entry. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
