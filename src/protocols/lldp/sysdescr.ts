/**
 * Identity inside a system description. PROFINET (and many industrial switch vendors following it) fill the
 * LLDP/SNMP system description as a comma-separated "SystemIdentification":
 *   "<vendor>, <product family>, <product name>, <order id>, HW: <hw revision>, FW: <fw revision>[, ...]"
 * e.g. "Siemens, SIMATIC NET, SCALANCE X208, 6GK5 208-0BA10-2AA3, HW: 7, FW: V4.1.0". The format is a
 * convention, not a guarantee, so what is read from it is reported at heuristic confidence. Called once per
 * changed advertisement, never per frame.
 */

export interface DescribedIdentity {
  vendor?: string;
  model?: string;
  orderNumber?: string;
  hardwareRevision?: string;
  firmware?: string;
}

const HW = /^HW\s*:\s*(?:Version\s+)?(.+)$/i;
const FW = /^FW\s*:\s*(?:Version\s+)?(.+)$/i;

/** The identity fields of a SystemIdentification-style description, or null when it does not have that shape. */
export function parseSystemIdentification(description: string): DescribedIdentity | null {
  const parts = description.split(',').map((p) => p.trim());
  let firstRevision = -1;
  let hardwareRevision: string | undefined;
  let firmware: string | undefined;
  for (let i = 0; i < parts.length; i++) {
    const hw = HW.exec(parts[i]!);
    const fw = hw ? null : FW.exec(parts[i]!);
    if (!hw && !fw) continue;
    if (firstRevision < 0) firstRevision = i;
    if (hw && hardwareRevision === undefined) hardwareRevision = hw[1]!.trim();
    if (fw && firmware === undefined) firmware = fw[1]!.trim();
  }
  // Vendor, at least one product part, then the revisions.
  if (firstRevision < 2) return null;
  const out: DescribedIdentity = {};
  if (parts[0]) out.vendor = parts[0];
  const beforeRevisions = parts.slice(1, firstRevision).filter((p) => p.length > 0);
  const last = beforeRevisions[beforeRevisions.length - 1];
  // An order id has digits and no spaces-only words ("6GK5 208-0BA10-2AA3", "6ES7 516-3AN01-0AB0", "2891001").
  if (last !== undefined && beforeRevisions.length >= 2 && /\d/.test(last) && /^[0-9A-Z][0-9A-Z .\-/]*$/.test(last)) {
    out.orderNumber = last;
    out.model = beforeRevisions[beforeRevisions.length - 2];
  } else if (last !== undefined) {
    out.model = last;
  }
  if (hardwareRevision) out.hardwareRevision = hardwareRevision;
  if (firmware) out.firmware = firmware;
  return out;
}
