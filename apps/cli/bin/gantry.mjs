#!/usr/bin/env node
// The CLI ships as TypeScript source; tsx compiles each module on first import (and caches it), so
// registering it here is the whole build step. main.ts loads each command's module only when it runs.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
