import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(app, 'dist');

// The idle agent's RSS goal (< 50 MB, bench/agents.mjs) rests on the job runner not being in the file
// the agent starts from: it is a chunk of its own, read on the first job.
describe('the agent bundle', () => {
  it('keeps the job runner out of the file the agent starts from, and starts', () => {
    execFileSync(process.execPath, [join(app, 'build.mjs')], { stdio: 'pipe' });
    expect(
      readdirSync(dist)
        .filter((file) => file.endsWith('.mjs'))
        .sort(),
    ).toEqual(['gantry-agent-jobs.mjs', 'gantry-agent-shared.mjs', 'gantry-agent.mjs']);
    const entry = readFileSync(join(dist, 'gantry-agent.mjs'), 'utf8');
    const jobs = readFileSync(join(dist, 'gantry-agent-jobs.mjs'), 'utf8');
    expect(entry).toContain('import("./gantry-agent-jobs.mjs")');
    // Ajv and the executor are in the jobs chunk only.
    expect(jobs).toContain('function createAgentJobHandler(');
    expect(entry).not.toContain('function createAgentJobHandler(');
    expect(jobs).toMatch(/node_modules\/ajv\//);
    expect(entry).not.toMatch(/node_modules\/ajv\//);
    expect(entry.length).toBeLessThan(jobs.length / 2);
    // It runs on Node alone: without --server it prints its usage and exits 2.
    const usage = spawnSync(process.execPath, [join(dist, 'gantry-agent.mjs')], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: gantry-agent --server URL');
  });
});
