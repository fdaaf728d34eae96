import http from 'node:http';
import https from 'node:https';

/**
 * A fetch for requests whose answer may take longer than five minutes to start, such as a drain: Node's
 * built-in fetch gives up on any response whose headers take more than 300 s (undici's headersTimeout),
 * and it offers no way to change that without the undici package. The caller's AbortSignal still bounds
 * the wait. Only what GantryClient sends is supported: a string body and a plain header object.
 */
export const longFetch = ((input: string | URL, init: RequestInit = {}): Promise<Response> =>
  new Promise((resolve, reject) => {
    const url = new URL(String(input));
    const transport = url.protocol === 'https:' ? https : http;
    const body = typeof init.body === 'string' ? init.body : undefined;
    const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const request = transport.request(url, {
      method: init.method ?? 'GET',
      headers,
      ...(init.signal ? { signal: init.signal } : {}),
    });
    // Like fetch, an aborted request fails with the signal's reason (a TimeoutError for a timeout).
    request.on('error', (error) => reject(init.signal?.aborted === true ? init.signal.reason : error));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const status = response.statusCode ?? 502;
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const nullBody = status === 204 || status === 304;
        resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
      });
    });
    request.end(body);
  })) as typeof fetch;
