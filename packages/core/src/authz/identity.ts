/**
 * A verified peer certificate's identities, in the form allow lists are written in: URI SANs as
 * they are (`spiffe://td/ns/x/sa/y`), DNS SANs as `dns:<name>` and IP SANs as `ip:<address>`.
 * Only the SANs count, not the subject CN: SPIFFE and current web PKI practice both put the
 * identity there, and a CN is free text any CA might sign.
 */
export function peerIdentities(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined || subjectAltName === '') return [];
  const out: string[] = [];
  for (const entry of splitSan(subjectAltName)) {
    const colon = entry.indexOf(':');
    if (colon < 0) continue;
    const kind = entry.slice(0, colon);
    const value = unquote(entry.slice(colon + 1));
    if (kind === 'URI') out.push(value);
    else if (kind === 'DNS') out.push(`dns:${value.toLowerCase()}`);
    else if (kind === 'IP Address') out.push(`ip:${value}`);
  }
  return out;
}

/**
 * Node joins SANs with ", " and, since the 2022 fix for SAN injection (CVE-2021-44532), writes a
 * value holding a comma or quote as a JSON string: split on commas outside quotes only, so that
 * a crafted `URI:spiffe://a, DNS:admin` inside one SAN stays one value.
 */
function splitSan(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    return value;
  }
}
