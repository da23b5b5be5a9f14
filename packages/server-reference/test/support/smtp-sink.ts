import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A mail the sink received. */
export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
}

/** A real SMTP server on 127.0.0.1 that keeps every mail it receives. */
export interface SmtpSink {
  url: string;
  mails: ReceivedMail[];
  /** The newest mail to `to` whose subject matches, waiting up to `timeoutMs`. */
  waitForMail(to: string, subject: RegExp, timeoutMs?: number): Promise<ReceivedMail>;
  /** The token query parameter of the first link in a mail. */
  tokenFrom(mail: ReceivedMail): string;
  close(): Promise<void>;
}

/** Starts an SMTP sink on a free port. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          mails.push({
            to: session.envelope.rcptTo.map((recipient) => recipient.address).join(','),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
          });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('SMTP sink has no port');
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    mails,
    async waitForMail(to, subject, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mails.findLast(
          (mail) => mail.to.toLowerCase() === to.toLowerCase() && subject.test(mail.subject),
        );
        if (found !== undefined) return found;
        if (Date.now() > deadline)
          throw new Error(`No mail to ${to} matching ${subject} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    tokenFrom(mail) {
      const link = /https?:\/\/\S+/.exec(mail.text)?.[0];
      const token = link === undefined ? null : new URL(link).searchParams.get('token');
      if (token === null) throw new Error(`No link with a token in mail "${mail.subject}"`);
      return token;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
