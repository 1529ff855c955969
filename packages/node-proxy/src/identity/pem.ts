/** PEM text, read without an X.509 library (the proxy loads @peculiar/x509 only to make a key: x509.ts). */

/** Every PEM block of one label in a text, in order, each ending in a newline. */
export function pemBlocks(text: string, label: string): string[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`, 'g');
  return [...text.matchAll(pattern)].map((m) => `${m[0]}\n`);
}
