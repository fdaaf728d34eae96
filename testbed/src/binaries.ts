import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildScript } from './options.ts';
import { TestbedError } from './testbed-error.ts';

export interface Binaries {
  readonly binDir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kubectl: string;
  readonly kwok: string;
  readonly helm: string;
}

export function binariesIn(binDir: string): Binaries {
  return {
    binDir,
    etcd: join(binDir, 'etcd'),
    kubeApiserver: join(binDir, 'kube-apiserver'),
    kubeControllerManager: join(binDir, 'kube-controller-manager'),
    kubeScheduler: join(binDir, 'kube-scheduler'),
    kubectl: join(binDir, 'kubectl'),
    kwok: join(binDir, 'kwok'),
    helm: join(binDir, 'helm'),
  };
}

/**
 * Runs `build.sh`, which returns at once when the cache already holds every binary and builds the missing
 * ones otherwise (minutes when cold). Its progress goes to our stderr when `progress` is set.
 */
export function ensureBinaries(cacheDir: string, progress = false): Promise<Binaries> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [buildScript], {
      env: { ...process.env, GANTRY_TESTBED_CACHE: cacheDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      if (progress) process.stderr.write(chunk);
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', (error) =>
      reject(new TestbedError(`could not run ${buildScript}: ${error.message}`, { step: 'build' })),
    );
    child.on('exit', (code) => {
      const binDir = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && binDir) resolvePromise(binariesIn(binDir));
      else
        reject(
          new TestbedError(`${buildScript} failed with exit code ${code}${stderr ? `:\n${stderr}` : ''}`, {
            step: 'build',
          }),
        );
    });
  });
}
