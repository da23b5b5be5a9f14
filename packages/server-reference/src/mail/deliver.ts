import type { FastifyRequest } from 'fastify';
import type { Mailer, MailMessage } from './mailer.js';

/**
 * Sends a mail after the change it announces is committed. A delivery failure is logged, not
 * answered: the change stands, and the user can ask for the mail again.
 *
 * @example
 * ```ts
 * await deliver(context.mailer, request, verifyEmailMail(links, email, token, 24));
 * ```
 */
export async function deliver(mailer: Mailer, request: FastifyRequest, message: MailMessage): Promise<void> {
  try {
    await mailer.send(message);
    request.log.info({ mailer: mailer.kind, subject: message.subject }, 'mail sent');
  } catch (error) {
    request.log.error({ err: error, mailer: mailer.kind, subject: message.subject }, 'mail delivery failed');
  }
}
