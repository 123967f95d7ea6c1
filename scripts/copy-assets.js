// Copies the non-TypeScript files the compiled server reads at run time (the SQL migrations).
import { cpSync } from 'node:fs';

cpSync('db/migrations', 'dist/db/migrations', { recursive: true });
