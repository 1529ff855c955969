/** DNS-1123 subdomain: what most object names must be. Returns a problem, or undefined when valid. */
export function checkSubdomainName(name: string): string | undefined {
  if (name.length > 253) return 'must be no more than 253 characters';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";
  }
  return undefined;
}

/** DNS-1123 label: names of Namespaces. */
export function checkLabelName(name: string): string | undefined {
  if (name.length > 63) return 'must be no more than 63 characters';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name')";
  }
  return undefined;
}

/** DNS-1035 label: names of Services (they become DNS names, so must start with a letter). */
export function checkDns1035Name(name: string): string | undefined {
  if (name.length > 63) return 'must be no more than 63 characters';
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name')";
  }
  return undefined;
}

/** The name rule for a resource, by its plural. */
export function nameCheckerFor(plural: string): (name: string) => string | undefined {
  if (plural === 'namespaces') return checkLabelName;
  if (plural === 'services') return checkDns1035Name;
  return checkSubdomainName;
}

/** A name from generateName: the prefix plus five random lowercase alphanumerics, like the real server. */
export function generateName(prefix: string, random: () => number = Math.random): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += alphabet[Math.floor(random() * alphabet.length)] ?? 'x';
  return `${prefix.slice(0, 58)}${suffix}`;
}
