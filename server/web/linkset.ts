/**
 * The RFC 9264 linkset (application/linkset+json) of a batch, as GS1 Digital Link resolvers answer
 * `?linkType=linkset`: the anchor is the Digital Link URI; GS1 link types are full URIs of the GS1 Web vocabulary.
 */
import type { ConsumerView } from '../service/consumer';

export const GS1_VOC = 'https://gs1.org/voc/';

export interface LinkTarget {
  href: string;
  type?: string;
  title?: string;
  hreflang?: string[];
}

export interface Linkset {
  linkset: ({ anchor: string } & Record<string, string | LinkTarget[]>)[];
}

/** The links a resolver offers for a batch: its page (both languages), lab reports' bundles, the verification result, and the bundles. */
export function batchLinkset(view: ConsumerView): Linkset {
  const anchor = view.links.page;
  const name = typeof (view.batch.certificate as { productName?: unknown } | undefined)?.productName === 'string' ? (view.batch.certificate as { productName: string }).productName : `batch ${view.batch.id}`;
  const reportBundles: LinkTarget[] = view.reports.map((r) => ({
    href: view.links.bundles.reports[r.id] ?? '',
    type: 'application/json',
    title: `Selenium test report ${String(r.fields.reportNumber ?? r.id)} (traceledger-proof-v1, ${r.verdict})`,
  }));
  const pages: LinkTarget[] = [
    { href: `${anchor}?lang=zh`, type: 'text/html', hreflang: ['zh'], title: `${name}：富硒溯源验证` },
    { href: `${anchor}?lang=en`, type: 'text/html', hreflang: ['en'], title: `${name}: selenium traceability check` },
  ];
  const bundles: LinkTarget[] = [{ href: view.links.bundles.batch, type: 'application/json', title: `Batch ${view.batch.id} (traceledger-proof-v1)` }, ...reportBundles];
  const context: { anchor: string } & Record<string, LinkTarget[] | string> = {
    anchor,
    [`${GS1_VOC}defaultLink`]: [pages[0]!],
    [`${GS1_VOC}pip`]: pages,
    [`${GS1_VOC}traceability`]: [{ href: `${anchor}?format=json`, type: 'application/json', title: `Verification result: ${view.verdict}` }],
    describedby: bundles,
  };
  // RFC 9264 target arrays are not empty: a batch without reports has no certification link.
  if (reportBundles.length > 0) context[`${GS1_VOC}certificationInfo`] = reportBundles;
  return { linkset: [context] };
}
