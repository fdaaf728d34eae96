import { X509Certificate } from 'node:crypto';
import type { TlsCertificateSummary } from '@gantry/model';
import type { KubeObject } from '../kube/kube-client.ts';

/** The `kubernetes.io/tls` Secrets of a cluster, listed and watched only when the operator opts in. */
export const TLS_SECRETS = {
  path: '/api/v1/secrets',
  params: { fieldSelector: 'type=kubernetes.io/tls' },
} as const;

/**
 * What Gantry keeps of a TLS Secret: the expiry (`notAfter`) of the first certificate in `tls.crt`, and
 * nothing else — not the certificate, not the key, no other field of the secret. A `tls.crt` that is
 * missing or does not parse is said so (`unreadable`), without its content.
 */
export function summarizeTlsSecret(secret: KubeObject): TlsCertificateSummary {
  const data = secret.data;
  const encoded =
    typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['tls.crt'] : undefined;
  if (typeof encoded !== 'string' || encoded === '') return { unreadable: 'tls.crt is missing or empty' };
  try {
    // X509Certificate reads the first certificate of a PEM chain.
    const certificate = new X509Certificate(Buffer.from(encoded, 'base64'));
    return { notAfter: new Date(certificate.validTo).toISOString() };
  } catch {
    return { unreadable: 'tls.crt is not a PEM or DER certificate' };
  }
}
