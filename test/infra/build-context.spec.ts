import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { contextFiles, contextHash } from '../../infra/components/build-context.js';

/*
 * The image tag must change whenever docker-build would rebuild (its context hash counts dotfiles and file
 * modes), or a rebuilt image is pushed under a tag an IMMUTABLE repository already holds.
 */
describe("the image tag follows docker-build's context hash", () => {
  let root: string;
  const write = (relative: string, text: string, mode = 0o644) => {
    mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    writeFileSync(path.join(root, relative), text);
    chmodSync(path.join(root, relative), mode);
  };
  const tag = () => contextHash(root, 'app/Dockerfile');

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'build-context-'));
    write('app/Dockerfile', 'FROM scratch\nCOPY src src\nCOPY models models\n');
    write('app/Dockerfile.dockerignore', '*\n!src\n!models\n**/__pycache__\n');
    write('src/main.js', 'console.log(1)\n');
    write('models/demo/model.onnx', 'onnx');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stays the same when nothing changed', () => {
    expect(tag()).toBe(tag());
    expect(tag()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes when a dotfile is added under a context path', () => {
    const before = tag();
    write('models/.DS_Store', 'x');
    expect(contextFiles(root, 'app/Dockerfile')).toContain('models/.DS_Store');
    expect(tag()).not.toBe(before);
    rmSync(path.join(root, 'models/.DS_Store'));
    write('src/.editorconfig', 'root = true\n');
    expect(tag()).not.toBe(before);
  });

  it("changes when a file's mode goes from 644 to 664 (a checkout under another umask)", () => {
    const before = tag();
    chmodSync(path.join(root, 'src/main.js'), 0o664);
    expect(tag()).not.toBe(before);
  });

  it('changes with the Dockerfile, and not with files the context leaves out', () => {
    const before = tag();
    write('README.md', 'outside the context');
    write('src/__pycache__/main.cpython-311.pyc', 'bytes');
    expect(tag()).toBe(before);
    write('app/Dockerfile', 'FROM scratch\nCOPY src src\n');
    expect(tag()).not.toBe(before);
  });

  it('refuses an ignore-file pattern it could not follow exactly', () => {
    write('app/Dockerfile.dockerignore', '*\n!src\n*.log\n');
    expect(() => tag()).toThrow(/not a form the image tag can follow/);
  });
});
