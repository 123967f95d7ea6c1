// Copies the non-TypeScript files the compiled server reads at run time: the SQL migrations, and
// the web console's browser files (served as they are: no bundling).
import { cpSync } from 'node:fs';

cpSync('db/migrations', 'dist/db/migrations', { recursive: true });
cpSync('console/public', 'dist/console/public', { recursive: true });
