/**
 * `otwatch vulndb import|status|match`: the offline vulnerability database (src/vuln, docs/vulndb.md).
 * Exit codes as the rest of the CLI: 0 done, 2 unusable input or bad usage (one line on stderr).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VERSION } from '../version.js';
import { loadVulnDb, userVulnDbPath, VulnDbError, writeVulnDb, type VulnDatabase } from '../vuln/db.js';
import { importVulnData } from '../vuln/importer.js';
import { VulnMatcher, type MatchableAsset } from '../vuln/matcher.js';

const USAGE = `Usage:
  otwatch vulndb import PATH... [--out FILE] [--fresh]
      Import CSAF 2.0 advisories (files, folders, .tar.gz feeds), the CISA KEV catalog and CISA SSVC data
      into the user database (${userVulnDbPath()}; $OTWATCH_VULNDB overrides), on top of the
      database in use unless --fresh.
  otwatch vulndb status [--json]
      Which database is in use, what it holds and how old it is.
  otwatch vulndb match REPORT.json [--json] [--min high|medium|low]
      Match the assets of an otwatch report against the database.`;

class VulndbUsageError extends Error {}

export async function cmdVulndb(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'import':
        return cmdImport(rest);
      case 'status':
        return cmdStatus(rest);
      case 'match':
        return cmdMatch(rest);
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE + '\n');
        return sub === undefined ? 2 : 0;
      default:
        throw new VulndbUsageError(`unknown vulndb command '${sub}'`);
    }
  } catch (err) {
    if (err instanceof VulndbUsageError || err instanceof VulnDbError) {
      console.error(`otwatch: ${err.message}`);
      return 2;
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('ERR_PARSE_ARGS') || code === 'ENOENT' || code === 'EACCES')) {
      console.error(`otwatch: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
}

function cmdImport(args: string[]): number {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { out: { type: 'string' }, fresh: { type: 'boolean', default: false }, quiet: { type: 'boolean', short: 'q', default: false } },
  });
  if (positionals.length === 0) throw new VulndbUsageError('vulndb import needs at least one file or folder');
  let base: VulnDatabase | undefined;
  if (!values.fresh) {
    try { base = loadVulnDb().db; } catch (err) { if (!(err instanceof VulnDbError)) throw err; }
  }
  const started = Date.now();
  const { db, issues, issuesDropped } = importVulnData(positionals, base ? { base } : {});
  const out = values.out ?? userVulnDbPath();
  const bytes = writeVulnDb(out, db, `otwatch ${VERSION}`);
  if (!values.quiet) {
    for (const i of issues) console.error(`otwatch: ${i}`);
    if (issuesDropped > 0) console.error(`otwatch: ... and ${issuesDropped} more`);
  }
  const s = db.stats;
  console.log(`wrote ${out} (${(bytes / 1e6).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`advisories ${s.advisories} (from ${s.advisoryFiles} files, ${s.revisionsReplaced} older revisions dropped, ${s.filesRejected} files rejected)`);
  console.log(`products ${s.products}, version ranges ${s.ranges}, unparsed ${s.unparsedRanges} (${pct(s.unparsedRanges, s.ranges)}) kept as "needs review"`);
  console.log(`CVEs ${s.cves}, KEV entries ${db.kev.size}, SSVC entries ${db.ssvc.size}`);
  return 0;
}

function cmdStatus(args: string[]): number {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
  const { db, path, origin } = loadVulnDb();
  const now = Date.now();
  const ageDays = (date: string): number | null => {
    const t = Date.parse(date.replace(/^(\d{4})\.(\d{2})\.(\d{2})$/, '$1-$2-$3'));
    return Number.isNaN(t) ? null : Math.floor((now - t) / 86_400_000);
  };
  const status = {
    path, origin, builtAt: db.builtAt, newestAdvisory: db.newestAdvisory(), stats: db.stats,
    kevEntries: db.kev.size, ssvcEntries: db.ssvc.size,
    sources: db.sources.map((s) => ({ ...s, ageDays: ageDays(s.date) })),
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(status, null, 2) + '\n');
    return 0;
  }
  const s = db.stats;
  console.log(`database   ${path} (${origin === 'user' ? 'user refresh' : 'shipped with otwatch'})`);
  console.log(`built      ${db.builtAt}`);
  console.log(`advisories ${s.advisories}, newest ${status.newestAdvisory.slice(0, 10)} (${ageDays(status.newestAdvisory) ?? '?'} days old)`);
  console.log(`products   ${s.products}, ranges ${s.ranges}, unparsed ${s.unparsedRanges} (${pct(s.unparsedRanges, s.ranges)}, "needs review")`);
  console.log(`KEV        ${db.kev.size} entries; SSVC ${db.ssvc.size} entries`);
  for (const src of status.sources) console.log(`source     ${src.kind.padEnd(5)} ${src.name} ${src.count} items, dated ${src.date} (${src.ageDays ?? '?'} days old)`);
  return 0;
}

function cmdMatch(args: string[]): number {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, min: { type: 'string', default: 'low' } },
  });
  if (positionals.length !== 1) throw new VulndbUsageError('vulndb match needs one report file (otwatch analyze --json)');
  const rank = { high: 3, medium: 2, low: 1 } as const;
  const min = values.min as keyof typeof rank;
  if (!(min in rank)) throw new VulndbUsageError('--min must be high, medium or low');
  let report: { assets?: Array<MatchableAsset & { id: string; ips?: string[] }> };
  try {
    report = JSON.parse(readFileSync(positionals[0]!, 'utf8'));
  } catch (err) {
    throw new VulndbUsageError(`cannot read report ${positionals[0]}: ${(err as Error).message}`);
  }
  if (!Array.isArray(report.assets)) throw new VulndbUsageError(`${positionals[0]} has no assets (not an otwatch report?)`);
  const matcher = new VulnMatcher(loadVulnDb().db);
  const results = report.assets.map((a) => ({ asset: a.id, matches: matcher.matchAsset(a).filter((m) => rank[m.confidence] >= rank[min]) }));
  if (values.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    return 0;
  }
  for (const r of results) {
    if (r.matches.length === 0) continue;
    console.log(`${r.asset}`);
    for (const m of r.matches) {
      console.log(`  ${m.confidence.padEnd(6)} ${m.advisoryId.padEnd(15)} ${m.kev ? 'KEV ' : ''}${m.cvss?.score ?? '-'}  ${m.title}${m.fixedIn ? ` (fixed in ${m.fixedIn})` : ''}`);
    }
  }
  return 0;
}

function pct(n: number, d: number): string {
  return d === 0 ? '0%' : `${((100 * n) / d).toFixed(1)}%`;
}
