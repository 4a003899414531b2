/**
 * "Your work" in headless Chromium, against the real server of jupyter_server_test_config.py:
 * a file written through the contents API shows as at risk, "Copy to persistent storage"
 * puts it on the volume, and "Commit and push" commits it and pushes to the local bare
 * repository standing in for GitHub. Every text checked is read from the live REST API.
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';
import * as path from 'path';

const PANEL = '#binder-ext-panel';
const FILE = `work-ui-test-${Date.now()}.csv`;
// A private key under a name that does not say so: held back by its content. Its text is
// built here, so no key stands in this repository.
const KEY = `deploy-${Date.now()}.pem`;
const KEY_TEXT =
  '-----BEGIN OPENSSH ' +
  'PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n';

async function work(request: APIRequestContext): Promise<any> {
  const response = await request.get('/binder/api/work');
  expect(response.status()).toBe(200);
  return response.json();
}

test.describe('Your work', () => {
  test.use({ autoGoto: false });

  test('shows what deletion would lose and saves it both ways', async ({
    page,
    request
  }) => {
    const written = await request.put(`/api/contents/${FILE}`, {
      data: { type: 'file', format: 'text', content: '1,2\n' }
    });
    expect(written.ok()).toBe(true);
    const key = await request.put(`/api/contents/${KEY}`, {
      data: { type: 'file', format: 'text', content: KEY_TEXT }
    });
    expect(key.ok()).toBe(true);
    const before = await work(request);
    expect(before.changed.map((f: any) => f.path)).toContain(FILE);
    expect(before.changed.map((f: any) => f.path)).not.toContain(KEY);

    await page.goto();
    await page.sidebar.openTab('binder-ext-panel');
    const section = page.locator(`${PANEL} [data-section="work"]`);
    await expect(section).toBeVisible();
    await expect(section.locator('[data-figure="summary"]')).toHaveText(
      before.message
    );
    const item = section.locator(`[data-list="changed"] [data-path="${FILE}"]`);
    await expect(item).toHaveAttribute('data-status', 'untracked');
    await expect(item).toHaveAttribute('data-on-volume', 'absent');
    // What is never saved is said, with the server's reason.
    const heldBack = section.locator('[data-list="held-back"]');
    await heldBack.locator('summary').click();
    const heldKey = heldBack.locator(`[data-path="${KEY}"]`);
    await expect(heldKey).toBeVisible();
    await expect(heldKey).toHaveAttribute('data-rule', 'private_key');
    await expect(heldKey).toContainText(
      before.held_back.find((f: any) => f.path === KEY).message
    );

    await section.screenshot({
      path: path.join(
        __dirname,
        '..',
        'test-results',
        'screenshots',
        'work.png'
      )
    });
    await section.locator('[data-action="save-persistent"]').click();
    const outcome = section.locator('[data-outcome="save-work"]');
    await expect(outcome).toContainText('Copied');
    await expect(item).toHaveAttribute('data-on-volume', 'same');
    const copied = await work(request);
    expect(copied.changed.find((f: any) => f.path === FILE).on_volume).toBe(
      'same'
    );

    await section
      .locator('[data-field="commit-message"]')
      .fill('Keep the UI test results');
    await section.locator('[data-action="save-github"]').click();
    await expect(outcome).toContainText('Pushed');
    await expect(outcome).toContainText('Committed');
    await expect(item).toHaveCount(0);
    const after = await work(request);
    expect(after.changed.map((f: any) => f.path)).not.toContain(FILE);
    expect(after.unpushed.count).toBe(0);
    expect(after.held_back.map((f: any) => f.path)).toContain(KEY);
    await expect(outcome).toContainText(`Held back, never saved: ${KEY}`);
    await expect(section.locator('[data-figure="summary"]')).toHaveText(
      after.message
    );
  });
});
