import { describe, expect, it } from 'vitest';
import { kubeClientFromKubeconfig } from './kube-client.ts';

const TOKEN = 'SECRET-TOKEN-abc123';

async function failure(kubeconfig: string): Promise<string> {
  try {
    await kubeClientFromKubeconfig(kubeconfig);
  } catch (error) {
    return JSON.stringify({
      message: (error as Error).message,
      details: (error as { details?: unknown }).details,
    });
  }
  throw new Error('the kubeconfig was accepted');
}

describe('kubeClientFromKubeconfig', () => {
  it('reports a kubeconfig that does not parse by place only, never quoting it', async () => {
    const yaml = await failure(
      `apiVersion: v1\nusers:\n- name: u\n  user:\n    token: ${TOKEN}\n   bad: [x\n`,
    );
    expect(yaml).not.toContain(TOKEN);
    expect(yaml).not.toContain('SECR');
    expect(yaml).toContain('line 6');
    const json = await failure(`{"users":[{"user":{"token":"${TOKEN}"}}]`);
    expect(json).not.toContain('SECR');
    expect(json).toContain('cannot be read');
  });
});
