/**
 * Coarse client OS hints from DHCP. These are guesses (a parameter request list is a property of the DHCP
 * client software, not of the OS), so they are reported at low confidence; see docs/protocols/dhcp.md.
 */

/** Option 55 lists (comma-joined, in order) of well-known DHCP clients. */
const PRL_FINGERPRINTS: ReadonlyMap<string, string> = new Map([
  ['1,3,6,15,31,33,43,44,46,47,119,121,249,252', 'Windows 10/11'],
  ['1,3,6,15,31,33,43,44,46,47,121,249,252', 'Windows 10/11'],
  ['1,15,3,6,44,46,47,31,33,121,249,43', 'Windows 7'],
  ['1,15,3,6,44,46,47,31,33,121,249,43,252', 'Windows 8'],
  ['1,15,3,6,44,46,47,31,33,249,43', 'Windows Vista'],
  ['1,15,3,6,44,46,47,31,33,249,43,252', 'Windows Vista'],
  ['1,15,3,6,44,46,47,43,77', 'Windows XP'],
  ['1,15,3,6,44,46,47,31,33,43,77', 'Windows XP'],
  ['1,28,2,3,15,6,119,12,44,47,26,121,42', 'Linux'],
  ['1,28,2,121,15,6,12,40,41,42,26,119,3,121,249,33,252,42', 'Linux'],
  ['1,3,6,12,15,28,42,51,54,58,59,119,121', 'Linux'],
  ['1,121,3,6,15,119,252,95,44,46', 'macOS'],
  ['1,121,3,6,15,114,119,252,95,44,46', 'macOS'],
  ['1,3,6,15,119,95,252,44,46,101', 'macOS'],
  ['1,121,3,6,15,119,252', 'iOS'],
  ['1,121,3,6,15,114,119,252', 'iOS'],
  ['1,3,6,15,26,28,51,58,59,43', 'Android'],
  ['1,3,6,15,26,28,51,58,59,43,114', 'Android'],
  ['1,3,6,12,15,28,42', 'embedded Linux (BusyBox udhcpc)'],
  ['1,3,6,12,15,28,40,41,42', 'embedded Linux (BusyBox udhcpc)'],
  ['1,3,28,6', 'embedded (lwIP)'],
  ['1,3,6', 'embedded'],
]);

export function osFromParameterList(fingerprint: string): string {
  return PRL_FINGERPRINTS.get(fingerprint) ?? '';
}

/** Option 60 vendor class → OS family, '' when the string does not name one. */
export function osFromVendorClass(vendorClass: string): string {
  if (vendorClass.startsWith('MSFT 5.0')) return 'Windows';
  if (vendorClass.startsWith('MSFT 98')) return 'Windows 98';
  if (vendorClass.startsWith('MSFT')) return 'Windows';
  const android = /^android-dhcp-(\S+)/.exec(vendorClass);
  if (android !== null) return `Android ${android[1]}`;
  // dhcpcd-<version>:<os>-<release>:<machine>:<platform>
  const dhcpcd = /^dhcpcd-[^:]*:([A-Za-z]+)/.exec(vendorClass);
  if (dhcpcd !== null) return dhcpcd[1]!;
  if (vendorClass.startsWith('dhcpcd')) return 'Linux';
  if (vendorClass.startsWith('udhcp')) return 'embedded Linux (BusyBox udhcpc)';
  return '';
}
