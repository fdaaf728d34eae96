import nodemailer from 'nodemailer';
import type { HttpSend, MailSend } from './ports.ts';

/** Most characters of an answer kept. */
export const EXCERPT_CHARS = 512;

/** HTTP over Node's fetch; the body is read up to a bounded size. */
export const fetchSend: HttpSend = async (request) => {
  const response = await fetch(request.url, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
    signal: request.signal,
    redirect: 'manual',
  });
  const text = await response.text();
  return { status: response.status, body: text.slice(0, 64 * 1024) };
};

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
