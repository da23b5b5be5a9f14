import type { MailMessage } from './mailer.js';

/** Links in mails point at the web app (`APP_URL`), which posts the token back to the API. */
export interface MailLinks {
  /** Base URL of the web app, without a trailing slash. */
  appUrl: string;
}

/**
 * The mail asking a new user to confirm their address.
 *
 * @example
 * ```ts
 * await mailer.send(verifyEmailMail({ appUrl }, 'ada@example.com', token, 24));
 * ```
 */
export function verifyEmailMail(
  links: MailLinks,
  to: string,
  token: string,
  validHours: number,
): MailMessage {
  return {
    to,
    subject: 'Confirm your email address for llmbatch',
    text: [
      'Welcome to llmbatch.',
      '',
      'Confirm your email address by opening this link:',
      `${links.appUrl}/verify-email?token=${encodeURIComponent(token)}`,
      '',
      `The link works once and expires in ${validHours} hours. If you did not sign up, ignore this mail.`,
    ].join('\n'),
  };
}

/**
 * The mail sent when someone signs up with an address that already has an account; answering
 * sign-up the same way in both cases keeps addresses from being enumerated.
 *
 * @example
 * ```ts
 * await mailer.send(alreadyRegisteredMail({ appUrl }, user.email));
 * ```
 */
export function alreadyRegisteredMail(links: MailLinks, to: string): MailMessage {
  return {
    to,
    subject: 'You already have an llmbatch account',
    text: [
      'Someone tried to sign up for llmbatch with this address, which already has an account.',
      '',
      `If it was you, log in, or reset your password at ${links.appUrl}/reset-password.`,
      'If it was not you, ignore this mail.',
    ].join('\n'),
  };
}

/**
 * The password reset mail.
 *
 * @example
 * ```ts
 * await mailer.send(resetPasswordMail({ appUrl }, user.email, token, 1));
 * ```
 */
export function resetPasswordMail(
  links: MailLinks,
  to: string,
  token: string,
  validHours: number,
): MailMessage {
  return {
    to,
    subject: 'Reset your llmbatch password',
    text: [
      'Someone asked to reset the password of your llmbatch account.',
      '',
      'Choose a new password by opening this link:',
      `${links.appUrl}/reset-password?token=${encodeURIComponent(token)}`,
      '',
      `The link works once and expires in ${validHours} hour${validHours === 1 ? '' : 's'}. If you did not ask, ignore this mail; your password stays the same.`,
    ].join('\n'),
  };
}

/**
 * The mail inviting someone to an organisation.
 *
 * @example
 * ```ts
 * await mailer.send(invitationMail({ appUrl }, 'bo@example.com', 'Acme', 'member', token, 7));
 * ```
 */
export function invitationMail(
  links: MailLinks,
  to: string,
  orgName: string,
  role: string,
  token: string,
  validDays: number,
): MailMessage {
  return {
    to,
    subject: `You are invited to ${orgName} on llmbatch`,
    text: [
      `You are invited to join the organisation "${orgName}" on llmbatch as ${role}.`,
      '',
      'Accept by opening this link while logged in with this address:',
      `${links.appUrl}/accept-invitation?token=${encodeURIComponent(token)}`,
      '',
      `The invitation expires in ${validDays} days.`,
    ].join('\n'),
  };
}
