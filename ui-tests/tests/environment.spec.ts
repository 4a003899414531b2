/**
 * "Environment" in headless Chromium, against the real server of
 * jupyter_server_test_config.py: a real `pip install` of a wheel written by that config (no
 * network) into the site folder the server scans, seen in the panel as "not in your
 * environment files", kept with one click, and the file repo2docker reads has it pinned.
 * Every text checked is read from the live REST API.
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';

const PANEL = '#binder-ext-panel';
const PORT = process.env.BINDER_UI_TESTS_PORT || '8877';
const ENV_DIR = path.join(os.tmpdir(), `binder-ui-tests-env-${PORT}`);
const PYTHON = path.join(__dirname, '..', '..', '.venv', 'bin', 'python');

async function environment(request: APIRequestContext): Promise<any> {
  const response = await request.get('/binder/api/environment');
  expect(response.status()).toBe(200);
  return response.json();
}

function ours(env: any): any {
  return env.installed.find((p: any) => p.name === 'uitinypkg');
}

test.describe('Environment', () => {
  test.use({ autoGoto: false });

  test.afterAll(async ({ request }) => {
    // The kept file is this test's: the other tests see the repository as it was.
    await request.delete('/api/contents/requirements.txt');
  });

  test('shows a runtime install and keeps it in one click', async ({
    page,
    request
  }) => {
    execFileSync(PYTHON, [
      '-m',
      'pip',
      'install',
      '--no-index',
      '--no-deps',
      '--disable-pip-version-check',
      '--quiet',
      '--find-links',
      ENV_DIR,
      '--target',
      path.join(ENV_DIR, 'site-packages'),
      'uitinypkg'
    ]);
    // The scan is shared for a few seconds: wait for the one that sees the install.
    await expect
      .poll(async () => ours(await environment(request)))
      .toBeTruthy();
    const before = await environment(request);
    expect(ours(before).in_files).toBeNull();
    expect(before.keep_file).toBe('requirements.txt');

    await page.goto();
    await page.sidebar.openTab('binder-ext-panel');
    const section = page.locator(`${PANEL} [data-section="environment"]`);
    await expect(section).toBeVisible();
    await expect(section.locator('[data-row="build-pack"]')).toContainText(
      before.build.name
    );
    const row = section.locator(
      '[data-list="installed"] [data-package="uitinypkg"]'
    );
    await expect(row).toHaveAttribute('data-in-files', 'no');
    await expect(row.locator('[data-figure="package-state"]')).toHaveText(
      'not in your environment files'
    );
    const keep = row.locator('[data-action="keep-package"]');
    await expect(keep).toHaveText('Keep in requirements.txt');
    await section.screenshot({
      path: path.join(
        __dirname,
        '..',
        'test-results',
        'screenshots',
        'environment.png'
      )
    });

    await keep.click();
    const outcome = section.locator('[data-outcome="keep-environment"]');
    await expect(outcome).toContainText('requirements.txt');
    await expect(section.locator('[data-figure="keep-diff"]')).toContainText(
      '+uitinypkg==1.0'
    );
    await expect(row).toHaveAttribute('data-in-files', 'yes');
    const file = await request.get('/api/contents/requirements.txt?content=1');
    expect((await file.json()).content).toBe('uitinypkg==1.0\n');
    const after = await environment(request);
    expect(ours(after).in_files.spec).toBe('uitinypkg==1.0');
  });

  test('the relaunch dialog shows the environment checks before it commits', async ({
    page,
    request
  }) => {
    // An environment file the next build would trip on: `-e .` in requirements.txt.
    const put = await request.put('/api/contents/requirements.txt', {
      data: { type: 'file', format: 'text', content: 'numpy\n-e .\n' }
    });
    expect(put.ok()).toBeTruthy();
    await expect
      .poll(async () => (await environment(request)).checks.length)
      .toBeGreaterThan(0);
    const checks = (await environment(request)).checks;
    const check = checks.find((c: any) => c.file === 'requirements.txt');
    expect(check.line).toBe(2);
    const head = await request.get('/binder/api/ssh');
    const bare: string = (await head.json()).repo.push_url;
    const remoteHead = () =>
      execFileSync('git', ['--git-dir', bare, 'rev-parse', 'main'], {
        encoding: 'utf-8'
      }).trim();
    const before = remoteHead();

    await page.goto();
    await page.sidebar.openTab('binder-ext-panel');
    const form = page.locator(`${PANEL} [data-section="resources"]`);
    await form.locator('[data-action="relaunch"]').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Relaunch with new resources?');
    const shown = dialog.locator(
      '[data-part="environment-checks"] [data-list="checks"] [data-file="requirements.txt"]'
    );
    await expect(shown).toContainText('requirements.txt:2');
    await expect(shown).toContainText(check.message);
    await expect(shown).toHaveAttribute('data-level', check.level);

    // Shown before anything is done: cancelling commits and pushes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    expect(remoteHead()).toBe(before);
  });
});
