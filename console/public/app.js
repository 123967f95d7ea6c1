// @ts-check
// The console's entry point, loaded by index.html as a module: starts the router.
import { start } from './shell.js';

start();
