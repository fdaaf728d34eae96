import { describe, expect, it } from 'vitest';
import { summarizeTlsSecret } from './tls-certificates.ts';

/** A self-signed certificate for shop.example, valid until 2027-01-12T08:09:48Z (openssl, a test fixture). */
const TLS_CRT =
  'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJnekNDQVNtZ0F3SUJBZ0lVQ3BYVjJVaE1UV211Sk1semw0YkNJeWI1aUNrd0NnWUlLb1pJemowRUF3SXcKRnpFVk1CTUdBMVVFQXd3TWMyaHZjQzVsZUdGdGNHeGxNQjRYRFRJMk1USXdNekE0TURrME9Gb1hEVEkzTURFeApNakE0TURrME9Gb3dGekVWTUJNR0ExVUVBd3dNYzJodmNDNWxlR0Z0Y0d4bE1Ga3dFd1lIS29aSXpqMENBUVlJCktvWkl6ajBEQVFjRFFnQUU1SXZPL0k5QmtnUng0cXU4bVBPcktCTmk4VUk0UStQdVVRVzk1WVlOcDRGaFd6YTYKNWJiams2WGNjL0JIc2VKVUlBTC9RL2s0Uy9HT0R6QUl1bjhmejZOVE1GRXdIUVlEVlIwT0JCWUVGTEpoYmJRcwpuaStoc3hSTGYyM3ZtN3dBcTcrck1COEdBMVVkSXdRWU1CYUFGTEpoYmJRc25pK2hzeFJMZjIzdm03d0FxNytyCk1BOEdBMVVkRXdFQi93UUZNQU1CQWY4d0NnWUlLb1pJemowRUF3SURTQUF3UlFJZ0ExZy9jd2V6S0RoMHNQL3cKOVl2L0FSV2JFdUdrZm5pWjZRRVVuMXRhL1FBQ0lRQ1hES3ZKMk9ZZ1pmdDE1VWVTalRaK3VYNWtQbDdBQVdBbgpGMDU4TnYwNElnPT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=';

const secret = (data: Record<string, string> | undefined) => ({
  metadata: { name: 'shop-tls', namespace: 'shop', uid: 'u' },
  type: 'kubernetes.io/tls',
  ...(data ? { data } : {}),
});

describe('TLS Secret summaries', () => {
  it("keeps the certificate's expiry and nothing of the secret's data", () => {
    const summary = summarizeTlsSecret(secret({ 'tls.crt': TLS_CRT, 'tls.key': 'c2VjcmV0LWtleQ==' }));
    expect(summary).toEqual({ notAfter: '2027-01-12T08:09:48.000Z' });
    expect(JSON.stringify(summary)).not.toContain('c2VjcmV0');
  });

  it('says why no expiry could be read, without the content', () => {
    expect(summarizeTlsSecret(secret(undefined))).toEqual({ unreadable: 'tls.crt is missing or empty' });
    expect(summarizeTlsSecret(secret({ 'tls.crt': '' }))).toEqual({
      unreadable: 'tls.crt is missing or empty',
    });
    const garbage = Buffer.from('not a certificate at all').toString('base64');
    const summary = summarizeTlsSecret(secret({ 'tls.crt': garbage }));
    expect(summary).toEqual({ unreadable: 'tls.crt is not a PEM or DER certificate' });
  });
});
