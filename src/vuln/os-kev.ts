/**
 * Operating systems seen on the wire (SMB native OS, NTLMSSP version, hostnames aside) → the KEV entries
 * that concern them. Advisories in the ICS feed do not cover Windows itself; plant workstations and servers
 * running old Windows are exposed to a handful of wormable, actively exploited bugs.
 */

/** Windows releases we can tell apart from network evidence. */
export type WindowsRelease = '2000' | 'xp' | '2003' | 'vista' | '2008' | '7' | '2008r2' | '8' | '2012' | '8.1' | '2012r2' | '10' | '2016+' | '11';

/** Which service's presence makes the bug reachable. */
export type ExposingService = 'smb1' | 'smb' | 'rdp' | 'any';

export interface OsKevRule {
  label: string;
  cves: string[];
  releases: readonly WindowsRelease[];
  service: ExposingService;
}

const LEGACY: readonly WindowsRelease[] = ['2000', 'xp', '2003', 'vista', '2008', '7', '2008r2'];

export const OS_KEV_RULES: readonly OsKevRule[] = [
  // MS17-010 (EternalBlue and friends): SMBv1 server on everything up to Windows 10 / 2016 before March 2017
  { label: 'MS17-010 (EternalBlue, SMBv1)', cves: ['CVE-2017-0143', 'CVE-2017-0144', 'CVE-2017-0145', 'CVE-2017-0146', 'CVE-2017-0147', 'CVE-2017-0148'],
    releases: ['xp', '2003', 'vista', '2008', '7', '2008r2', '8', '2012', '8.1', '2012r2', '10', '2016+'], service: 'smb1' },
  { label: 'MS08-067 (Server service, Conficker)', cves: ['CVE-2008-4250'], releases: ['2000', 'xp', '2003', 'vista', '2008'], service: 'smb' },
  { label: 'BlueKeep (RDP)', cves: ['CVE-2019-0708'], releases: ['xp', '2003', 'vista', '2008', '7', '2008r2'], service: 'rdp' },
  { label: 'Stuxnet LNK (CVE-2010-2568)', cves: ['CVE-2010-2568'], releases: LEGACY, service: 'any' },
  { label: 'MS10-061 (Print Spooler, Stuxnet)', cves: ['CVE-2010-2729'], releases: LEGACY, service: 'smb' },
];

/** Reads a Windows release from an OS string: "Windows 5.1", "Windows XP", "Windows Server 2003 3790 Service Pack 2", "Windows 6.1 build 7601". */
export function windowsReleaseOf(os: string): WindowsRelease | null {
  const s = os.toLowerCase();
  if (!/windows|win(?:xp|7|nt)|microsoft/.test(s)) return null;
  if (/\b(xp)\b/.test(s)) return 'xp';
  if (/\b2000\b|nt 5\.0|windows 5\.0/.test(s)) return '2000';
  if (/\b2003\b|windows (nt )?5\.2/.test(s)) return '2003';
  if (/windows (nt )?5\.1/.test(s)) return 'xp';
  if (/\bvista\b/.test(s)) return 'vista';
  if (/\b2008 r2\b/.test(s)) return '2008r2';
  if (/\b2008\b/.test(s)) return '2008';
  if (/\b2012 r2\b/.test(s)) return '2012r2';
  if (/\b2012\b/.test(s)) return '2012';
  if (/\b(2016|2019|2022|2025)\b/.test(s)) return '2016+';
  if (/windows (nt )?6\.0/.test(s)) return 'vista';
  if (/windows (nt )?6\.1/.test(s)) return /server/.test(s) ? '2008r2' : '7';
  if (/windows (nt )?6\.2/.test(s)) return /server/.test(s) ? '2012' : '8';
  if (/windows (nt )?6\.3/.test(s)) return /server/.test(s) ? '2012r2' : '8.1';
  if (/\bwindows 8\.1\b/.test(s)) return '8.1';
  if (/\bwindows 8\b/.test(s)) return '8';
  if (/\bwindows 7\b/.test(s)) return '7';
  if (/\bwindows 11\b/.test(s)) return '11';
  if (/\bwindows (nt )?10(\.0)?\b/.test(s)) {
    const build = /build (\d+)/.exec(s);
    if (build && Number(build[1]) >= 22000) return '11';
    return /server/.test(s) ? '2016+' : '10';
  }
  return null;
}
