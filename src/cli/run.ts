/** Entry used by tests and `tsx` (the published binary bin/otwatch.js runs the compiled main instead). */
import { main } from './main.js';

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`otwatch: internal error: ${err instanceof Error ? err.stack : String(err)}`);
    process.exitCode = 1;
  },
);
