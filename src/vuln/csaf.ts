/**
 * CSAF 2.0 advisory → the facts the matcher needs: one record per product leaf of the product tree (vendor,
 * product name, model numbers, version text) with the CVEs it is affected by, scores and remediations.
 * Written for what CISA's ICS feed really contains (see data/vuln and docs/vulndb.md); unknown or malformed
 * parts are skipped and counted, never thrown.
 */

import { rateCvss, type CvssScore } from './cvss.js';

export type { CvssScore } from './cvss.js';

export interface AdvisoryCve {
  id: string;
  cwe?: string;
  cvss3?: CvssScore;
  /** CVSS v4 vector quoted in a note or reference (CSAF 2.0 has no field for it); scored from the vector */
  cvss4?: CvssScore;
}

export interface AdvisoryProduct {
  vendor: string;
  /** product path below the vendor, e.g. "SIMATIC S7-1500 CPU 1515-2 PN (6ES7515-2AM02-0AB0)" */
  name: string;
  /** order / part numbers from product_identification_helper.model_numbers */
  models: string[];
  /** version or version range text as written ("vers:all/<V2.9.7", "<= 33", "V35.011") */
  version: string;
  /** indexes into the advisory's cves this product is affected by */
  affected: number[];
  /** indexes into the advisory's cves this product (version) is fixed or not affected for */
  fixed: number[];
  /** index into the advisory's remediations (vendor fix first), -1 when none */
  remediation: number;
}

export interface AdvisoryRecord {
  id: string;
  title: string;
  initialRelease: string;
  currentRelease: string;
  revision: string;
  url?: string;
  /** publisher notes carry a vendor's legal terms (converted vendor advisories) */
  vendorConverted: boolean;
  cves: AdvisoryCve[];
  remediations: string[];
  products: AdvisoryProduct[];
}

export interface CsafParseIssue {
  advisory: string;
  problem: string;
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const AFFECTED_STATUS = ['known_affected', 'first_affected', 'last_affected', 'under_investigation'];
const FIXED_STATUS = ['fixed', 'first_fixed', 'known_not_affected', 'recommended'];
const MAX_REMEDIATION_CHARS = 400;
const CVSS4_VECTOR = /CVSS:4\.0(?:\/[A-Z]+:[A-Z]+)+/;

/** True when the JSON looks like a CSAF 2.x document. */
export function isCsafDocument(doc: unknown): boolean {
  return isObj(doc) && isObj(doc['document']) && typeof (doc['document'] as Json)['csaf_version'] === 'string';
}

interface Leaf {
  vendor: string;
  names: string[];
  version: string;
  productId: string;
  models: string[];
}

function walkBranches(branches: unknown[], vendor: string, names: string[], out: Leaf[]): void {
  for (const b of branches) {
    if (!isObj(b)) continue;
    const category = str(b['category']);
    const name = str(b['name']).trim();
    const children = arr(b['branches']);
    if (children.length > 0) {
      if (category === 'vendor') walkBranches(children, name, [], out);
      else walkBranches(children, vendor, name ? [...names, name] : names, out);
      continue;
    }
    const product = b['product'];
    if (!isObj(product)) continue;
    const helper = isObj(product['product_identification_helper']) ? (product['product_identification_helper'] as Json) : {};
    const models = arr(helper['model_numbers']).map(str).filter((m) => m.trim() !== '');
    const isVersion = category === 'product_version' || category === 'product_version_range';
    out.push({
      vendor,
      names: isVersion ? names : [...names, name],
      version: isVersion ? name : '',
      productId: str(product['product_id']),
      models,
    });
  }
}

function scoreOf(raw: unknown): CvssScore | undefined {
  if (!isObj(raw)) return undefined;
  const stated = typeof raw['baseScore'] === 'number' ? (raw['baseScore'] as number) : null;
  return rateCvss(str(raw['vectorString']), stated, str(raw['version']));
}

/** Parses one CSAF document. Returns null (with an issue) when it is not an advisory we can use. */
export function parseCsafAdvisory(doc: unknown, issues: CsafParseIssue[] = []): AdvisoryRecord | null {
  if (!isCsafDocument(doc)) {
    issues.push({ advisory: '?', problem: 'not a CSAF document' });
    return null;
  }
  const d = doc as Json;
  const document = d['document'] as Json;
  const tracking = isObj(document['tracking']) ? (document['tracking'] as Json) : {};
  const id = str(tracking['id']).trim();
  if (!id) {
    issues.push({ advisory: '?', problem: 'no document.tracking.id' });
    return null;
  }
  const refs = arr(document['references']).filter(isObj);
  const selfRef = refs.find((r) => str(r['category']) === 'self' && /cisa\.gov/.test(str(r['url'])))
    ?? refs.find((r) => /cisa\.gov\/.*(ics-advisories|ics-medical-advisories)/.test(str(r['url'])));
  const publisher = isObj(document['publisher']) ? (document['publisher'] as Json) : {};
  const legalNote = arr(document['notes']).some((n) => isObj(n) && str(n['category']) === 'legal_disclaimer' && !/CISA|Cybersecurity and Infrastructure/i.test(str(n['text'])));
  const record: AdvisoryRecord = {
    id,
    title: str(document['title']).trim(),
    initialRelease: str(tracking['initial_release_date']),
    currentRelease: str(tracking['current_release_date']),
    revision: str(tracking['version']),
    ...(selfRef ? { url: str(selfRef['url']) } : {}),
    vendorConverted: legalNote || !/CISA/i.test(str(publisher['name'])),
    cves: [],
    remediations: [],
    products: [],
  };

  const leaves: Leaf[] = [];
  const tree = isObj(d['product_tree']) ? (d['product_tree'] as Json) : {};
  walkBranches(arr(tree['branches']), '', [], leaves);
  for (const fp of arr(tree['full_product_names'])) {
    if (!isObj(fp)) continue;
    leaves.push({ vendor: '', names: [str(fp['name'])], version: '', productId: str(fp['product_id']), models: [] });
  }

  const byProductId = new Map<string, number>();
  for (const leaf of leaves) {
    if (!leaf.productId || byProductId.has(leaf.productId)) continue;
    byProductId.set(leaf.productId, record.products.length);
    record.products.push({
      vendor: leaf.vendor,
      name: leaf.names.join(' ').replace(/\s+/g, ' ').trim(),
      models: leaf.models,
      version: leaf.version.trim(),
      affected: [],
      fixed: [],
      remediation: -1,
    });
  }

  const remediationIndex = new Map<string, number>();
  const vulns = arr(d['vulnerabilities']).filter(isObj);
  vulns.forEach((v) => {
    const cveId = str(v['cve']).trim() || str((arr(v['ids']).find(isObj) as Json | undefined)?.['text']).trim();
    if (!cveId) return;
    const cve: AdvisoryCve = { id: cveId };
    const cwe = isObj(v['cwe']) ? str((v['cwe'] as Json)['id']) : '';
    if (cwe) cve.cwe = cwe;
    for (const s of arr(v['scores'])) {
      if (!isObj(s)) continue;
      const v3 = scoreOf(s['cvss_v3']);
      if (v3 && (!cve.cvss3 || (v3.score ?? 0) > (cve.cvss3.score ?? 0))) cve.cvss3 = v3;
    }
    const texts = [...arr(v['notes']), ...arr(v['references'])].map((n) => (isObj(n) ? `${str(n['text'])} ${str(n['summary'])} ${str(n['url'])}` : ''));
    const v4 = texts.map((t) => CVSS4_VECTOR.exec(t)?.[0]).find((x) => x !== undefined);
    const cvss4 = v4 ? rateCvss(v4, null, '4.0') : undefined;
    if (cvss4) cve.cvss4 = cvss4;
    const cveIndex = record.cves.length;
    record.cves.push(cve);

    const status = isObj(v['product_status']) ? (v['product_status'] as Json) : {};
    for (const key of AFFECTED_STATUS) {
      for (const pid of arr(status[key])) {
        const p = byProductId.get(str(pid));
        if (p !== undefined && !record.products[p]!.affected.includes(cveIndex)) record.products[p]!.affected.push(cveIndex);
      }
    }
    for (const key of FIXED_STATUS) {
      for (const pid of arr(status[key])) {
        const p = byProductId.get(str(pid));
        if (p !== undefined && !record.products[p]!.fixed.includes(cveIndex)) record.products[p]!.fixed.push(cveIndex);
      }
    }
    // vendor fixes first: they tell the user which version to go to
    const rems = arr(v['remediations']).filter(isObj).sort((a, b) => rank(str(a['category'])) - rank(str(b['category'])));
    for (const r of rems) {
      const details = str(r['details']).replace(/\s+/g, ' ').trim().slice(0, MAX_REMEDIATION_CHARS);
      if (!details) continue;
      let ri = remediationIndex.get(details);
      if (ri === undefined) {
        ri = record.remediations.length;
        record.remediations.push(details);
        remediationIndex.set(details, ri);
      }
      for (const pid of arr(r['product_ids'])) {
        const p = byProductId.get(str(pid));
        if (p !== undefined && record.products[p]!.remediation === -1) record.products[p]!.remediation = ri;
      }
    }
  });

  // Products no vulnerability names: CISA's converted advisories sometimes leave product_status empty; the
  // product is in the tree because it is affected, so it is affected by every CVE of the advisory.
  const anyStatus = record.products.some((p) => p.affected.length > 0 || p.fixed.length > 0);
  if (!anyStatus && record.cves.length > 0) {
    for (const p of record.products) p.affected = record.cves.map((_c, i) => i);
    issues.push({ advisory: id, problem: 'no product_status: every product taken as affected by every CVE' });
  }
  return record;
}

function rank(category: string): number {
  return category === 'vendor_fix' ? 0 : category === 'mitigation' ? 1 : category === 'workaround' ? 2 : 3;
}

/** Newer of two revisions of one advisory: current release date, then revision number. */
export function isNewerRevision(a: AdvisoryRecord, b: AdvisoryRecord): boolean {
  if (a.currentRelease !== b.currentRelease) return a.currentRelease > b.currentRelease;
  const va = a.revision.split('.').map(Number);
  const vb = b.revision.split('.').map(Number);
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const x = va[i] ?? 0;
    const y = vb[i] ?? 0;
    if (x !== y) return x > y;
  }
  return false;
}
