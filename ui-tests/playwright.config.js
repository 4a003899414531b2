/**
 * Galata's Playwright configuration, run in the system's headless Chromium (Debian's
 * /usr/bin/chromium; `playwright install` is never needed).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.BINDER_UI_TESTS_PORT || '8877';

module.exports = {
  ...baseConfig,
  testDir: './tests',
  // One server, one browser: the machine has two cores.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120 * 1000,
  expect: { timeout: 20 * 1000 },
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    headless: true,
    // Video needs Playwright's own ffmpeg download; traces do not.
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic'
      ]
    }
  },
  projects: [
    {
      // Galata's fixtures, against the plain `jupyter lab` of jupyter_server_test_config.py.
      name: 'lab',
      testMatch: [
        'binder.spec.ts',
        'work.spec.ts',
        'panel-daily.spec.ts',
        'panel-apart.spec.ts',
        'environment.spec.ts',
        'progress.spec.ts'
      ]
    },
    {
      // A browser on the real demo hub (with_demo_hub.py starts it and exports its URL):
      // login, launch link, relaunch into a new named server. No Galata page fixtures.
      name: 'demo-hub',
      testMatch: [
        'demo-relaunch.spec.ts',
        'build-progress.spec.ts',
        'console-clean.spec.ts',
        'notebook7.spec.ts'
      ],
      use: { baseURL: process.env.BINDER_UI_TESTS_DEMO_URL }
    }
  ],
  webServer: {
    command: 'jlpm start',
    url: `http://localhost:${port}/lab`,
    timeout: 120 * 1000,
    // Never talk to someone else's server on a shared machine.
    reuseExistingServer: false
  }
};
