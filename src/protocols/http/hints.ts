/**
 * Heuristics over HTTP content: which directory-listing generator produced a page, and what operating system a
 * Server or User-Agent header suggests.
 */
import { memoByText } from '../../util/memo.js';

/**
 * The generator of a directory-listing page, or '' when the page is not one. `text` is the start of the body
 * (latin1), `server` the response's Server header. Markers are the generators' fixed page templates.
 */
export function directoryListingFlavour(text: string, server: string): string {
  // Polled pages repeat: the last answer is kept (the function is pure; comparing is cheaper than scanning).
  if (text === lastListingText && server === lastListingServer) return lastListingFlavour;
  const flavour = listingFlavourOf(text, server);
  lastListingText = text;
  lastListingServer = server;
  lastListingFlavour = flavour;
  return flavour;
}

/** the last (text, server) looked at and its answer; an empty page from no server is not a listing */
let lastListingText = '';
let lastListingServer = '';
let lastListingFlavour = '';

function listingFlavourOf(text: string, server: string): string {
  const lc = text.toLowerCase();
  const srv = server.toLowerCase();
  if (lc.includes('<title>index of /') || lc.includes('<h1>index of /') || lc.includes('<h2>index of /')) {
    if (lc.includes('parent directory') || lc.includes('<address>apache')) return 'apache';
    if (lc.includes('lighttpd')) return 'lighttpd';
    if (lc.includes('mini_httpd')) return 'mini_httpd';
    if (lc.includes('thttpd')) return 'thttpd';
    if (lc.includes('<a href="../">../</a>')) return srv.startsWith('nginx') || srv === '' ? 'nginx' : serverToken(srv);
    return srv ? serverToken(srv) : 'index-of';
  }
  // IIS: "<title>host - /path/</title>", "[To Parent Directory]" below the root, "&lt;dir&gt;" rows.
  if (lc.includes('[to parent directory]') || (lc.includes('&lt;dir&gt;') && lc.includes('<pre>'))) return 'iis';
  if (text.includes('Directory Listing For ') || (lc.includes('directory listing for') && (lc.includes('tomcat') || srv.includes('tomcat') || srv.includes('coyote')))) return 'tomcat';
  if (text.includes('Directory listing for ')) return 'python';
  if (lc.includes('<title>directory: /')) return 'jetty';
  // Go net/http FileServer: a bare <pre> of links after a fixed viewport line.
  if (lc.includes('<meta name="viewport" content="width=device-width">\n<pre>\n<a href=')) return 'go';
  // GoAhead / Boa / embedded servers that print "Directory of /x" or "Index of /x" in the body only.
  if (/<(?:h1|h2|title)>\s*directory (?:of|listing of) \//.test(lc)) return srv ? serverToken(srv) : 'directory-of';
  return '';
}

function serverToken(srv: string): string {
  const m = /^[a-z0-9_.-]+/.exec(srv);
  return m ? m[0].replace(/[._-]+$/, '') : 'index-of';
}

const IIS_WINDOWS: Record<string, string> = {
  '5.0': 'Windows 2000',
  '5.1': 'Windows XP',
  '6.0': 'Windows Server 2003',
  '7.0': 'Windows Server 2008',
  '7.5': 'Windows Server 2008 R2',
  '8.0': 'Windows Server 2012',
  '8.5': 'Windows Server 2012 R2',
  '10.0': 'Windows Server 2016 or later',
};

type OsHint = Readonly<{ os: string; confidence: number }>;

const HINT_MEMO_ENTRIES = 256;
// A network has a handful of distinct Server and User-Agent values, but its servers and clients interleave: the
// answers are memoised per header text (bounded), not just the last one.
const serverHints = memoByText(serverOsHintOf, HINT_MEMO_ENTRIES);
const userAgentHints = memoByText(userAgentOsHintOf, HINT_MEMO_ENTRIES);

/** OS suggested by a Server header, with a confidence ('' when it says nothing about the OS). */
export function serverOsHint(server: string): OsHint {
  // A server repeats its Server header on every response: answers are memoised per text (callers only read them).
  return serverHints(server);
}

function serverOsHintOf(server: string): { os: string; confidence: number } {
  const iis = /Microsoft-IIS\/(\d+\.\d+)/i.exec(server);
  if (iis) return { os: IIS_WINDOWS[iis[1]!] ?? 'Windows', confidence: 0.6 };
  if (/Microsoft-HTTPAPI/i.test(server)) return { os: 'Windows', confidence: 0.5 };
  const comment = /\((Ubuntu|Debian|CentOS|Red Hat|Fedora|Raspbian|SUSE|Amazon|Win32|Win64|FreeBSD|Unix)\b/i.exec(server);
  if (comment) {
    const c = comment[1]!.toLowerCase();
    if (c === 'win32' || c === 'win64') return { os: 'Windows', confidence: 0.6 };
    if (c === 'unix') return { os: 'Unix', confidence: 0.4 };
    const names: Record<string, string> = {
      ubuntu: 'Ubuntu Linux', debian: 'Debian Linux', centos: 'CentOS Linux', 'red hat': 'Red Hat Enterprise Linux',
      fedora: 'Fedora Linux', raspbian: 'Raspbian Linux', suse: 'SUSE Linux', amazon: 'Amazon Linux', freebsd: 'FreeBSD',
    };
    return { os: names[c]!, confidence: 0.6 };
  }
  return { os: '', confidence: 0 };
}

const WINDOWS_NT: Record<string, string> = {
  '5.0': 'Windows 2000', '5.1': 'Windows XP', '5.2': 'Windows XP x64 / Server 2003', '6.0': 'Windows Vista / Server 2008',
  '6.1': 'Windows 7 / Server 2008 R2', '6.2': 'Windows 8 / Server 2012', '6.3': 'Windows 8.1 / Server 2012 R2',
  '10.0': 'Windows 10 or later',
};

/** OS suggested by a User-Agent header (low confidence: user agents are easily set to anything). */
export function userAgentOsHint(ua: string): OsHint {
  // A client repeats its User-Agent on every request: answers are memoised per text (callers only read them).
  return userAgentHints(ua);
}

function userAgentOsHintOf(ua: string): { os: string; confidence: number } {
  const nt = /Windows NT (\d+\.\d+)/.exec(ua);
  if (nt) return { os: WINDOWS_NT[nt[1]!] ?? 'Windows', confidence: 0.4 };
  if (/Android/.test(ua)) return { os: 'Android', confidence: 0.4 };
  if (/iPhone OS|iPad; CPU OS/.test(ua)) return { os: 'iOS', confidence: 0.4 };
  if (/Mac OS X/.test(ua)) return { os: 'macOS', confidence: 0.4 };
  if (/CrOS/.test(ua)) return { os: 'ChromeOS', confidence: 0.4 };
  if (/Ubuntu/.test(ua)) return { os: 'Ubuntu Linux', confidence: 0.4 };
  if (/Linux/.test(ua)) return { os: 'Linux', confidence: 0.3 };
  if (/Windows/.test(ua)) return { os: 'Windows', confidence: 0.3 };
  return { os: '', confidence: 0 };
}
