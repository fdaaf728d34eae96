import { describe, expect, it } from 'vitest';
import { proxyFor } from './network.ts';

describe('proxyFor', () => {
  const env = {
    HTTPS_PROXY: 'http://proxy.corp:3128',
    HTTP_PROXY: 'proxy.corp:8080',
    NO_PROXY: 'localhost,.internal,10.0.0.5:443',
  };

  it('takes HTTPS_PROXY for https and HTTP_PROXY for http', () => {
    expect(proxyFor(new URL('https://gantry.example.com'), env)?.href).toBe('http://proxy.corp:3128/');
    expect(proxyFor(new URL('http://gantry.example.com'), env)?.href).toBe('http://proxy.corp:8080/');
    expect(proxyFor(new URL('https://gantry.example.com'), {})).toBeUndefined();
    expect(proxyFor(new URL('https://gantry.example.com'), { https_proxy: 'http://p:1' })?.port).toBe('1');
  });

  it('leaves out hosts NO_PROXY names, by suffix and port', () => {
    expect(proxyFor(new URL('https://localhost:8443'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://gantry.internal'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://a.b.internal'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://internalx.com'), env)).toBeDefined();
    expect(proxyFor(new URL('https://10.0.0.5'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://10.0.0.5:8443'), env)).toBeDefined();
    expect(proxyFor(new URL('https://anything'), { ...env, NO_PROXY: '*' })).toBeUndefined();
  });
});
