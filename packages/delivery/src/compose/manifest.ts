/**
 * A Kubernetes object as a renderer produces it (templates, a Helm chart): what it wants, before an API
 * server has filled anything in. Its own file so that the renderers the composer uses can name it
 * without importing the composer.
 */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}
