import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from './errors.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The codes in the first column of docs/reference/errors.md's table. */
function documentedCodes(): string[] {
  const page = readFileSync(join(root, 'docs/reference/errors.md'), 'utf8');
  return [...page.matchAll(/^\|\s*`(GANTRY_E_[A-Z_]+)`\s*\|/gm)].map((match) => match[1]!);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe('error codes', () => {
  it('are each listed once in docs/reference/errors.md, which lists no other', () => {
    const documented = documentedCodes();
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.values(ErrorCodes).sort());
  });

  it('are written as the ErrorCodes constants, never as string literals, outside packages/model/src/errors.ts', () => {
    const literal = /['"`](GANTRY_E_[A-Z_]+)['"`]/;
    const offenders = ['packages', 'apps']
      .flatMap((top) =>
        readdirSync(join(root, top)).flatMap((name) => {
          const src = join(root, top, name, 'src');
          try {
            return sourceFiles(src);
          } catch {
            return [];
          }
        }),
      )
      .filter((file) => !file.endsWith(join('model', 'src', 'errors.ts')))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, index) =>
            literal.test(line) && !/^\s*(\*|\/\/)/.test(line)
              ? [`${file.slice(root.length)}:${index + 1}`]
              : [],
          ),
      );
    expect(offenders).toEqual([]);
  });
});
