/**
 * A throw-away git repository whose one PR branch changes about `bytes` bytes of diff: plain
 * TypeScript modules (no detector findings: no schema, integration, secret or API break) and a test,
 * so the PR is a clean one whatever its size.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LINES_PER_FILE = 400;

export interface DiffRepo {
  path: string;
  name: string;
  baseSha: string;
  headSha: string;
  /** bytes of `git diff base...head` */
  diffBytes: number;
}

export async function buildDiffRepo(parent: string, bytes: number): Promise<DiffRepo> {
  const repo = await mkdtemp(path.join(parent, 'diff-repo-'));
  const git = async (...args: string[]) => (await run('git', ['-C', repo, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { maxBuffer: 256 * 1024 * 1024 })).stdout.trim();
  await git('init', '--quiet', '--initial-branch=main');
  await write(repo, 'README.md', '# bench service\n');
  await write(repo, 'src/index.ts', 'export const name = \'bench\';\n');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'initial version');
  const baseSha = await git('rev-parse', 'HEAD');
  await git('checkout', '--quiet', '-b', 'pr/size');
  let written = 0;
  for (let file = 0; written < bytes; file++) {
    const lines: string[] = [];
    for (let line = 0; line < LINES_PER_FILE && written < bytes; line++) {
      const text = `export function module${file}Step${line}(value: number): number { return value * ${line + 1} + ${file}; }`;
      lines.push(text);
      written += text.length + 2; // the diff's leading '+' and the newline
    }
    await write(repo, `src/modules/module${file}.ts`, `${lines.join('\n')}\n`);
  }
  await write(repo, 'test/modules.test.ts', 'import { module0Step0 } from \'../src/modules/module0.js\';\nif (module0Step0(1) !== 1) throw new Error(\'module0Step0\');\n');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'add the computation modules');
  const headSha = await git('rev-parse', 'HEAD');
  const diff = await run('git', ['-C', repo, 'diff', '--no-color', `${baseSha}...${headSha}`], { maxBuffer: 256 * 1024 * 1024, encoding: 'buffer' });
  return { path: repo, name: path.basename(repo), baseSha, headSha, diffBytes: diff.stdout.length };
}

async function write(repo: string, relative: string, content: string): Promise<void> {
  const file = path.join(repo, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}
