import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookMessage } from '@gantry/model';

/** One POST a webhook NotificationChannel made. */
export interface ReceivedWebhook {
  /** The request path: tells the channels that share the receiver apart. */
  path: string;
  /** When it arrived (wall clock). */
  at: number;
  message: WebhookMessage;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`: a channel's URL is this plus a path of its own. */
  url: string;
  /** Every POST so far, in arrival order. */
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * A webhook endpoint on 127.0.0.1 that answers 200 and records every message posted to it, whatever the
 * path: what a NotificationChannel of type `webhook` sends, as the test reads it.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        at: Date.now(),
        message: JSON.parse(body) as WebhookMessage,
      });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
