import { isGantryError } from '@gantry/model';
import { runServer } from './run.ts';

runServer(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(
    `gantry server: ${isGantryError(error) || error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
