import { createTransport } from 'nodemailer';
import type { Queryable } from '../db/database.js';

/** One plain-text mail. */
export interface MailMessage {
  /** Recipient address. */
  to: string;
  /** Subject line. */
  subject: string;
  /** Plain-text body. */
  text: string;
}

/**
 * Sends mail. Injected into the server; SMTP in production, the outbox table in development.
 *
 * @example
 * ```ts
 * const sent: MailMessage[] = [];
 * const mailer: Mailer = { kind: 'custom', send: async (message) => void sent.push(message), close: async () => {} };
 * ```
 */
export interface Mailer {
  /** What delivers the mail (`outbox` enables the development outbox route). */
  readonly kind: 'smtp' | 'outbox' | 'custom';
  /** Delivers one message; rejects when it cannot. */
  send(message: MailMessage): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Options for {@link createSmtpMailer}. */
export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://…` (`SMTP_URL`). */
  url: string;
  /** Sender address (`MAIL_FROM`). */
  from: string;
  /** Give up on a connection after this long. @default 10000 */
  timeoutMs?: number;
}

/**
 * A {@link Mailer} over SMTP with nodemailer.
 *
 * @example
 * ```ts
 * const mailer = createSmtpMailer({ url: 'smtp://127.0.0.1:2525', from: 'llmbatch <no-reply@example.com>' });
 * ```
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const transport = createTransport({
    url: options.url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    kind: 'smtp',
    async send(message) {
      await transport.sendMail({
        from: options.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
      });
    },
    async close() {
      transport.close();
    },
  };
}

/**
 * A {@link Mailer} that stores mail in the `outbox` table instead of sending it (development).
 * Read it with `GET /v1/dev/outbox` or `llmbatch-server outbox`.
 *
 * @example
 * ```ts
 * const mailer = createOutboxMailer(database);
 * ```
 */
export function createOutboxMailer(database: Queryable): Mailer {
  return {
    kind: 'outbox',
    async send(message) {
      await database.query('INSERT INTO outbox (to_address, subject, text_body) VALUES ($1, $2, $3)', [
        message.to,
        message.subject,
        message.text,
      ]);
    },
    async close() {},
  };
}

/** A row of the development outbox. */
export interface OutboxMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  createdAt: Date;
}

/**
 * The newest mails of the development outbox, newest first.
 *
 * @example
 * ```ts
 * for (const mail of await readOutbox(database, 5)) console.log(mail.subject);
 * ```
 */
export async function readOutbox(database: Queryable, limit = 20): Promise<OutboxMail[]> {
  const { rows } = await database.query<{
    id: string;
    to_address: string;
    subject: string;
    text_body: string;
    created_at: Date;
  }>('SELECT * FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1', [limit]);
  return rows.map((row) => ({
    id: row.id,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    createdAt: row.created_at,
  }));
}
