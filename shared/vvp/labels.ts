/**
 * Seed 002: a name reformatted to a valid label value, e.g. "My Deployment Name" becomes
 * "my-deployment-name": lowercase, runs of other characters to one '-', at most 63
 * characters, starting and ending alphanumeric.
 */
export function labelValue(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
}
