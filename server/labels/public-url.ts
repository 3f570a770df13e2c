/** Whether the base URL printed in QR codes can be reached from a consumer's phone: unset or local means dead labels. */

/** Hosts that only this machine can reach. */
function isLocalHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::1' || h === '0.0.0.0' || h === '::';
}

/**
 * Why labels printed with `publicBaseUrl` would be dead links, or null when it looks public. `configured` is the
 * PUBLIC_BASE_URL setting (undefined when unset: the server then prints its own http://localhost address).
 */
export function deadLabelUrlProblem(publicBaseUrl: string, configured: string | undefined): string | null {
  if (configured === undefined || configured.trim() === '') {
    return `PUBLIC_BASE_URL is not set, so QR codes on labels point at ${publicBaseUrl}, which no phone can open`;
  }
  let host: string;
  try {
    host = new URL(publicBaseUrl).hostname;
  } catch {
    return `PUBLIC_BASE_URL ${configured} is not a valid URL, so QR codes on labels would not open`;
  }
  return isLocalHost(host) ? `PUBLIC_BASE_URL ${publicBaseUrl} is a local address, so QR codes on labels point where no phone can reach` : null;
}

/** The loud banner block for a problem (empty for none). */
export function deadLabelUrlBanner(problem: string | null): string[] {
  if (problem === null) return [];
  const rule = '!'.repeat(78);
  return [
    rule,
    '!! WARNING: printed labels would be dead links',
    `!! ${problem}.`,
    '!! Set PUBLIC_BASE_URL to the address consumers reach, e.g. PUBLIC_BASE_URL=https://trace.example.cn,',
    '!! before printing any label. (Trying things out on this machine is fine as it is.)',
    rule,
  ];
}
