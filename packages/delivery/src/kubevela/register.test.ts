import { ErrorCodes, InputError } from '@gantry/model';
import type { InputConversion, ResourceService } from '@gantry/resources';
import { describe, expect, it } from 'vitest';
import { registerKubeVelaConversion } from './register.ts';

/** The conversion registerKubeVelaConversion hands the resource service, taken as the service would. */
function registeredConversion(): { apiVersion: string; kind: string; convert: InputConversion } {
  const registered: { apiVersion: string; kind: string; convert: InputConversion }[] = [];
  const resources = {
    convertFrom: (apiVersion: string, kind: string, convert: InputConversion) =>
      registered.push({ apiVersion, kind, convert }),
  };
  registerKubeVelaConversion(resources as unknown as ResourceService);
  expect(registered).toHaveLength(1);
  return registered[0]!;
}

describe('registerKubeVelaConversion', () => {
  it('converts core.oam.dev/v1beta1 Applications on the way in', () => {
    const { apiVersion, kind, convert } = registeredConversion();
    expect([apiVersion, kind]).toEqual(['core.oam.dev/v1beta1', 'Application']);
    const warnings: string[] = [];
    const converted = convert(
      {
        apiVersion: 'core.oam.dev/v1beta1',
        kind: 'Application',
        metadata: {
          name: 'web',
          namespace: 'shop',
          team: 'payments',
          annotations: { 'app.oam.dev/publishVersion': '3' },
        },
        spec: {
          components: [{ name: 'web', type: 'webservice', properties: { image: 'nginx:1.27' } }],
          policies: [{ name: 'eu', type: 'topology', properties: { clusters: ['eu-1'] } }],
        },
      },
      (message) => warnings.push(message),
    );
    expect(warnings).toEqual([
      "KubeVela conversion: annotations app.oam.dev/publishVersion dropped: KubeVela's (or kubectl's) own bookkeeping",
    ]);
    expect(converted).toEqual({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'web', team: 'payments', annotations: {} },
      spec: {
        components: [{ name: 'web', type: 'webservice', properties: { image: 'nginx:1.27' } }],
        topology: { clusters: ['eu-1'], namespace: 'shop' },
        revisionHistoryLimit: 20,
      },
    });
  });

  it('refuses with one GANTRY_E_CONVERSION error detailing every field', () => {
    const { convert } = registeredConversion();
    let thrown: unknown;
    try {
      convert(
        {
          apiVersion: 'core.oam.dev/v1beta1',
          kind: 'Application',
          metadata: { name: 'web' },
          spec: {
            components: [
              {
                name: 'web',
                type: 'webservice',
                properties: { image: 'nginx:1.27' },
                traits: [{ type: 'init-container', properties: {} }],
              },
            ],
            policies: [{ name: 'eu', type: 'topology', properties: { clusters: ['eu-1'] } }],
            workflow: { steps: [{ name: 'wait', type: 'suspend' }] },
          },
        },
        () => {},
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    const error = thrown as InputError;
    expect(error.code).toBe(ErrorCodes.conversion);
    expect(error.status).toBe(400);
    expect(error.details.map((d) => d.path)).toEqual([
      '/spec/components/0/traits/0',
      '/spec/workflow/steps/0',
    ]);
    expect(error.message).toBe(
      'cannot convert the KubeVela Application: /spec/components/0/traits/0 KubeVela trait init-container has no Gantry equivalent; ' +
        '/spec/workflow/steps/0 KubeVela workflow step type suspend has no Gantry equivalent: Gantry delivers without a workflow, and converts deploy steps only',
    );
  });
});
