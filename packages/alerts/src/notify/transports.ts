import http from 'node:http';
import https from 'node:https';
import nodemailer from 'nodemailer';
import type { HttpSend, MailSend } from './ports.ts';

/** Most characters of an answer kept. */
export const EXCERPT_CHARS = 512;

/** Most bytes of an answer read; the rest is drained unread. */
const ANSWER_BYTES = 64 * 1024;

/**
 * Connections to receivers are kept open between sends (a burst of group notifications goes to the same
 * few URLs). Idle ones close after the timeout; sockets per host are not capped here, the worker's
 * per-channel concurrency is.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: 60_000 }),
  'https:': new https.Agent({ keepAlive: true, timeout: 60_000 }),
};

/**
 * HTTP over Node's `http`/`https` with keep-alive agents: a POST, no redirect followed (a 3xx is the
 * answer), the answer read up to 64 KiB as UTF-8. It replaced `fetch`, which cost about 0.5 ms more CPU per
 * send (its WHATWG streams and headers): a tenth of a second per 200 notifications on the server's one
 * thread (bench/README.md, "Alerts at scale"). Rejects on a network error and when `signal` aborts.
 */
export const httpSend: HttpSend = (request) =>
  new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const transport = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!transport) {
      reject(new Error(`unsupported URL scheme ${url.protocol}`));
      return;
    }
    const body = Buffer.from(request.body);
    const outgoing = transport.request(
      url,
      {
        method: 'POST',
        agent: agents[url.protocol as 'http:' | 'https:'],
        headers: { ...request.headers, 'content-length': String(body.length) },
        signal: request.signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size >= ANSWER_BYTES) return;
          chunks.push(chunk);
          size += chunk.length;
        });
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).subarray(0, ANSWER_BYTES).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });

/** One SMTP connection per mail (nodemailer); `signal` closes it. */
export const smtpSend: MailSend = async (request) => {
  const transport = nodemailer.createTransport({
    host: request.host,
    port: request.port,
    secure: request.tls === 'tls',
    requireTLS: request.tls === 'starttls',
    ignoreTLS: request.tls === 'none',
    tls: { rejectUnauthorized: !request.insecureSkipVerify },
    ...(request.auth ? { auth: request.auth } : {}),
    connectionTimeout: 60_000,
  });
  const abort = () => transport.close();
  request.signal.addEventListener('abort', abort, { once: true });
  try {
    const info = await transport.sendMail({
      from: request.from,
      to: request.to,
      subject: request.subject,
      text: request.text,
      headers: request.headers,
    });
    const response = String(info.response);
    const code = Number(/^(\d{3})/.exec(response)?.[1] ?? 250);
    return { code, response };
  } finally {
    request.signal.removeEventListener('abort', abort);
    transport.close();
  }
};
