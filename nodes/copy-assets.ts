// Build step: copies the editor files (nodes/*.html) and nodes/icons/ beside the compiled nodes in
// dist/nodes/, where Node-RED looks for them. Run after tsc: node dist/nodes/copy-assets.js

import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

const source = path.resolve(__dirname, '..', '..', 'nodes');
const target = __dirname;

mkdirSync(target, { recursive: true });
for (const file of readdirSync(source)) {
  if (file.endsWith('.html')) cpSync(path.join(source, file), path.join(target, file));
}
cpSync(path.join(source, 'icons'), path.join(target, 'icons'), { recursive: true });
