/**
 * A message safe to log or answer: the password of any URL in it masked (`redis://ops:***@…`),
 * and cut to a bounded length. Errors of Redis clients quote their URL; none may leak a secret.
 */
export function secretFree(message: string, max = 500): string {
  return message.replace(/\/\/([^:@/\s]*):[^@/\s]*@/g, "//$1:***@").slice(0, max);
}
