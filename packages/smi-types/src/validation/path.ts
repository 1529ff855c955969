/** Builds field paths the way Kubernetes prints them: `spec.rules[0].matches`. */
export function fieldPath(parent: string, child: string | number): string {
  if (typeof child === 'number') return `${parent}[${child}]`;
  return parent === '' ? child : `${parent}.${child}`;
}
