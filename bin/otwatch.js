#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by `npm install`).
import { main } from '../dist/cli/main.js';
// `otwatch ... | head`: a closed stdout ends the program quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(0);
  throw err;
});
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`otwatch: internal error: ${err && err.stack ? err.stack : err}`); process.exitCode = 1; },
);
