/**
 * The panel as a daily tool, in headless Chromium against the real server of
 * jupyter_server_test_config.py: never stuck on "Loading…" after a reload, and "Your work"
 * current without a refresh click.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import AxeBuilder from '@axe-core/playwright';
import type { APIRequestContext, Locator } from '@playwright/test';

const PANEL = '#binder-ext-panel';
const SECTIONS = [
  'launch',
  'limits',
  'persistence',
  'work',
  'ssh',
  'projects',
  'resources'
];

function section(panel: Locator, name: string): Locator {
  return panel.locator(`[data-section="${name}"]`);
}

/** Every section shows an answer (its data or the server's error), none "Loading…". */
async function expectEverySectionFilled(
  page: IJupyterLabPageFixture,
  when: string
): Promise<void> {
  const panel = page.locator(PANEL);
  await expect(panel, when).toBeVisible();
  for (const name of SECTIONS) {
    const body = section(panel, name).locator('.jp-BinderExt-sectionBody');
    await expect(body, `${when}: ${name}`).toBeVisible();
    await expect(
      body.locator('.jp-BinderExt-loading'),
      `${when}: ${name} is still loading`
    ).toHaveCount(0, { timeout: 15_000 });
  }
  // Sections added since this list was written too.
  await expect(
    panel.locator('.jp-BinderExt-loading'),
    `${when}: a section is still loading`
  ).toHaveCount(0);
}

/**
 * Runs in the page before JupyterLab: the panel's GET answers that arrive before its sections
 * are first drawn are handed over just after that first draw, as on a loaded browser or a
 * slow network. React subscribes a component to the model after drawing it (a task or a
 * frame later): an answer landing in between was lost, and its section said "Loading…" for
 * good. The answers are the real server's; only their moment is chosen.
 */
function holdAnswersUntilThePanelDraws(): void {
  let drawn = false;
  let release: () => void = () => undefined;
  const firstDraw = new Promise<void>(resolve => {
    release = resolve;
  });
  new MutationObserver((_, observer) => {
    if (document.querySelector('#binder-ext-panel [data-section]')) {
      drawn = true;
      observer.disconnect();
      release();
    }
  }).observe(document, { childList: true, subtree: true });
  const realFetch = window.fetch.bind(window);
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const response = await realFetch(request);
    if (
      drawn ||
      request.method !== 'GET' ||
      !request.url.includes('/binder/api/')
    ) {
      return response;
    }
    const body = await response.text();
    await firstDraw;
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers
    });
  };
}

test.describe('The panel as a daily tool', () => {
  // Galata's sessions mock also matches binder/api/... paths (see binder.spec.ts).
  test.use({ sessions: null });

  test('every section fills after each reload with the panel open', async ({
    page
  }) => {
    await page.sidebar.openTab('binder-ext-panel');
    await expectEverySectionFilled(page, 'first load');
    await page.addInitScript(holdAnswersUntilThePanelDraws);
    for (let reload = 1; reload <= 6; reload++) {
      await page.reload();
      await expectEverySectionFilled(page, `reload ${reload}`);
    }
  });
});

test.describe('Your work stays current', () => {
  test.use({ sessions: null });

  async function changedPaths(request: APIRequestContext): Promise<string[]> {
    const response = await request.get('/binder/api/work');
    expect(response.status()).toBe(200);
    return (await response.json()).changed.map((f: any) => f.path);
  }

  test('lists a file saved in Lab, and one saved elsewhere, with no refresh click', async ({
    page,
    request
  }) => {
    const inLab = `saved-in-lab-${Date.now()}.csv`;
    const elsewhere = `saved-elsewhere-${Date.now()}.csv`;
    await page.sidebar.openTab('binder-ext-panel');
    const work = page.locator(`${PANEL} [data-section="work"]`);
    await expect(work.locator('[data-figure="summary"]')).toBeVisible();
    const listed = (file: string) =>
      work.locator(`[data-list="changed"] [data-path="${file}"]`);
    await expect(listed(inLab)).toHaveCount(0);

    // Saved through JupyterLab's contents manager, as the editor saves: its fileChanged
    // signal makes the section read again (well before the poll's 15 s).
    await page.evaluate(async path => {
      await (window as any).jupyterapp.serviceManager.contents.save(path, {
        type: 'file',
        format: 'text',
        content: '1,2\n'
      });
    }, inLab);
    await expect(listed(inLab)).toBeAttached({ timeout: 5_000 });

    // Saved by something Lab does not see (a terminal, another tab): the section's poll
    // while it is shown finds it.
    const written = await request.put(`/api/contents/${elsewhere}`, {
      data: { type: 'file', format: 'text', content: '3,4\n' }
    });
    expect(written.ok()).toBe(true);
    expect(await changedPaths(request)).toContain(elsewhere);
    await expect(listed(elsewhere)).toBeAttached({ timeout: 30_000 });

    for (const file of [inLab, elsewhere]) {
      await request.delete(`/api/contents/${file}`);
    }
  });
});

test.describe('One readable time form', () => {
  test.use({ sessions: null });

  test('a folder on the volume says when it changed in words, the date on hover', async ({
    page,
    request
  }) => {
    const volume = await (await request.get('/binder/api/persistence')).json();
    if (!volume.instance_dir.exists) {
      const created = await request.post(
        '/binder/api/persistence/instance-dir',
        {
          data: {}
        }
      );
      expect(created.ok()).toBe(true);
    }
    await page.sidebar.openTab('binder-ext-panel');
    const modified = page
      .locator(`${PANEL} [data-section="persistence"] [data-figure="modified"]`)
      .first();
    await expect(modified).toHaveText(/ago|now|second|minute/);
    await expect(modified).toHaveAttribute('title', /\b20\d\d\b/);
  });
});

test.describe('One git-over-SSH status', () => {
  test.use({ sessions: null });

  test("the SSH section says the server's one status of origin, nothing beside it", async ({
    page,
    request
  }) => {
    const ssh = await (await request.get('/binder/api/ssh')).json();
    await page.sidebar.openTab('binder-ext-panel');
    const row = page.locator(
      `${PANEL} [data-section="ssh"] [data-row="git-configured"]`
    );
    const status = row.locator('[data-figure="git-over-ssh"]');
    await expect(status).toHaveText(ssh.git_over_ssh.message);
    await expect(status).toHaveAttribute('data-state', ssh.git_over_ssh.state);
    // The repository's own message is part of that status, never a second answer below.
    if (ssh.repo.message) {
      await expect(
        page
          .locator(`${PANEL} [data-section="ssh"]`)
          .getByText(ssh.repo.message, {
            exact: true
          })
      ).toHaveCount(0);
    }
  });
});

test.describe('Accessibility', () => {
  test.use({ sessions: null });

  for (const theme of ['light', 'dark'] as const) {
    test(`the open panel has no serious or critical axe violation (${theme} theme)`, async ({
      page
    }) => {
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      } else {
        await page.theme.setLightTheme();
      }
      await page.sidebar.openTab('binder-ext-panel');
      await expectEverySectionFilled(page, theme);
      // Every section (and every folded list inside one) open.
      await page.evaluate(() => {
        for (const details of Array.from(
          document.querySelectorAll('#binder-ext-panel details')
        )) {
          (details as HTMLDetailsElement).open = true;
        }
      });
      const results = await new AxeBuilder({ page: page.page })
        .include(PANEL)
        .analyze();
      const serious = results.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(
          v =>
            `${v.id} (${v.impact}): ${v.help}\n` +
            v.nodes.map(n => `    ${n.target.join(' ')}`).join('\n')
        );
      expect(serious, serious.join('\n')).toEqual([]);
    });
  }
});

test.describe('Keyboard', () => {
  test.use({ sessions: null });

  test('every action of the open panel is reached by Tab, with a visible focus', async ({
    page
  }) => {
    await page.sidebar.openTab('binder-ext-panel');
    await expectEverySectionFilled(page, 'keyboard');
    // Every section and folded list open; each control named the same way in both reads.
    await page.evaluate(() => {
      for (const details of Array.from(
        document.querySelectorAll('#binder-ext-panel details')
      )) {
        (details as HTMLDetailsElement).open = true;
      }
      (window as any).binderControlName = (element: Element): string =>
        `${element.tagName.toLowerCase()}:${
          element.getAttribute('data-action') ??
          element.getAttribute('aria-label') ??
          element.textContent?.trim().slice(0, 40)
        }`;
    });
    const controls: string[] = await page.evaluate(panelSelector => {
      const name = (window as any).binderControlName;
      const selector =
        'button:not([disabled]), a[href], input:not([disabled]), ' +
        'select:not([disabled]), summary';
      return Array.from(
        document.querySelector(panelSelector)!.querySelectorAll(selector)
      )
        .filter(element => (element as HTMLElement).offsetParent !== null)
        .map(element => name(element));
    }, PANEL);
    expect(controls.length).toBeGreaterThan(5);
    // Into the panel from the keyboard (focus is shown for keyboard moves only), then Tab
    // through it, noting each control reached and whether its focus shows.
    await page.locator(PANEL).locator('button, summary').first().focus();
    await page.keyboard.press('Shift+Tab');
    const reached = new Map<string, boolean>();
    for (let step = 0; step < controls.length + 10; step++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(panelSelector => {
        const element = document.activeElement;
        if (
          !element ||
          !document.querySelector(panelSelector)!.contains(element)
        ) {
          return null;
        }
        const style = getComputedStyle(element);
        const visible =
          (style.outlineStyle !== 'none' &&
            parseFloat(style.outlineWidth) > 0) ||
          style.boxShadow !== 'none';
        return { name: (window as any).binderControlName(element), visible };
      }, PANEL);
      if (focused) {
        reached.set(focused.name, focused.visible);
      }
    }
    const missed = controls.filter(name => !reached.has(name));
    expect(missed, `not reached by Tab: ${missed.join(', ')}`).toEqual([]);
    const unseen = [...reached].filter(([, shown]) => !shown).map(([n]) => n);
    expect(unseen, `focus not visible on: ${unseen.join(', ')}`).toEqual([]);
  });
});

test.describe('Dialogs as JupyterLab lays them out', () => {
  test.use({ sessions: null });

  test("the relaunch dialog's choice is JupyterLab's footer checkbox", async ({
    page
  }) => {
    await page.sidebar.openTab('binder-ext-panel');
    const form = page.locator(`${PANEL} [data-section="resources"]`);
    await form.locator('[data-action="relaunch"]').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Relaunch with new resources?');
    const checkbox = dialog.locator(
      '.jp-Dialog-footer .jp-Dialog-checkbox input[type="checkbox"]'
    );
    await expect(checkbox).toBeVisible();
    await expect(dialog.locator('.jp-Dialog-footer')).toContainText(
      'Stop this server once the new one is ready'
    );
    // JupyterLab's own place for it (its footer lays it out), none in the body.
    await expect(
      dialog.locator('.jp-Dialog-body input[type="checkbox"]')
    ).toHaveCount(0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
  });
});
