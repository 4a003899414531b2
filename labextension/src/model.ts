/**
 * BinderModel: fetches the REST answers, holds them, and tells the views when they change.
 *
 * It has no domain logic: every figure and message comes from the server. Each section has
 * its own state, so one failing endpoint (a hub that is down, a token without scopes) never
 * hides what the others say. Its interface, IBinderModel, is in tokens.ts.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  API_NAMESPACE,
  BinderAPIError,
  jsonBody,
  requestAPI,
  requestAPIWithHeaders
} from './handler';
import {
  ActionKey,
  IActionResult,
  IActionState,
  IBinderModel,
  IInstanceDirAnswer,
  IConfigureGitAnswer,
  IRelaunchAnswer,
  IRelaunchRequest,
  IResourcesAnswer,
  ISectionState,
  ISections,
  ISshTestAnswer,
  IStopAnswer,
  ResourceKey,
  SectionKey
} from './tokens';
import type { IProgressEvent, IReportAnswer } from './tokens';
import type {
  IKeepAnswer,
  ISaveAnswer,
  ISiblingWorkAnswer,
  IWorkSaveRequest
} from './tokens';

/** The endpoint (under binder/api/) behind each section. */
const ENDPOINTS: Record<SectionKey, string> = {
  launch: 'launch',
  limits: 'limits',
  resources: 'resources',
  persistence: 'persistence',
  ssh: 'ssh',
  projects: 'projects',
  work: 'work',
  environment: 'environment'
};

export namespace BinderModel {
  export interface IOptions {
    /** Seconds between reads of `limits` while someone looks at them. */
    limitsInterval?: number;
    /** Seconds between reads of `projects` while the panel is shown. */
    projectsInterval?: number;
    /** Seconds between reads of `work` while the panel is shown (files change outside Lab). */
    workInterval?: number;
  }
}

/** Seconds between reads of `work` while the panel is shown. */
const WORK_INTERVAL = 15;
/** Milliseconds to wait for a burst of file changes to end before reading `work`. */
const FILES_SETTLE_MS = 300;

function emptySection<T>(): ISectionState<T> {
  return { data: null, error: null, loading: false };
}

function asAPIError(error: unknown): BinderAPIError {
  if (error instanceof BinderAPIError) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new BinderAPIError(message, 0, 'client_error');
}

export class BinderModel implements IBinderModel {
  constructor(options: BinderModel.IOptions = {}) {
    const limits = options.limitsInterval ?? 5;
    const projects = options.projectsInterval ?? 30;
    const work = options.workInterval ?? WORK_INTERVAL;
    // Limits feed the status bar as well as the panel: poll while either is shown, and
    // never while the browser tab is hidden.
    this._limitsPoll = new Poll({
      factory: () => this._fetch('limits'),
      frequency: Private.frequency(limits),
      name: 'jupyter-binder-ext:limits',
      standby: () =>
        !(this._panelVisible || this._statusBarVisible) || 'when-hidden'
    });
    // The hub is asked about projects only while the panel is open.
    this._projectsPoll = new Poll({
      factory: () => this._fetch('projects'),
      frequency: Private.frequency(projects),
      name: 'jupyter-binder-ext:projects',
      standby: () => !this._panelVisible || 'when-hidden'
    });
    // What deletion would lose changes with every save, in Lab or in a terminal: read
    // again while the panel shows it (Lab's own saves also say so, see filesChanged).
    this._workPoll = new Poll({
      factory: () => this._fetchFresh('work'),
      frequency: Private.frequency(work),
      name: 'jupyter-binder-ext:work',
      standby: () => !this._panelVisible || 'when-hidden'
    });
  }

  get changed(): ISignal<IBinderModel, SectionKey | 'actions'> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._limitsPoll.dispose();
    this._projectsPoll.dispose();
    this._workPoll.dispose();
    clearTimeout(this._filesChangedTimer);
    Signal.clearData(this);
  }

  section<K extends SectionKey>(key: K): ISectionState<ISections[K]> {
    return (this._sections[key] ??
      emptySection<ISections[K]>()) as ISectionState<ISections[K]>;
  }

  action<T = IActionResult>(key: ActionKey): IActionState<T> {
    return (this._actions.get(key) ?? {
      busy: false,
      result: null,
      error: null
    }) as IActionState<T>;
  }

  get panelVisible(): boolean {
    return this._panelVisible;
  }
  set panelVisible(visible: boolean) {
    if (visible === this._panelVisible) {
      return;
    }
    this._panelVisible = visible;
    if (visible) {
      // Fresh figures when the panel opens; the one-shot sections load once.
      void this._limitsPoll.refresh();
      void this._projectsPoll.refresh();
      void this._workPoll.refresh();
      for (const key of [
        'launch',
        'resources',
        'persistence',
        'ssh',
        'environment'
      ] as const) {
        if (!this.section(key).data && !this.section(key).loading) {
          void this._fetch(key).catch(() => undefined);
        }
      }
    }
  }

  get statusBarVisible(): boolean {
    return this._statusBarVisible;
  }
  set statusBarVisible(visible: boolean) {
    if (visible === this._statusBarVisible) {
      return;
    }
    this._statusBarVisible = visible;
    if (visible) {
      void this._limitsPoll.refresh();
    }
  }

  setIntervals(limitsSeconds: number, projectsSeconds: number): void {
    this._limitsPoll.frequency = Private.frequency(limitsSeconds);
    this._projectsPoll.frequency = Private.frequency(projectsSeconds);
  }

  /** Read one section again, or all of them. Errors land in the section's state. */
  async refresh(key?: SectionKey): Promise<void> {
    const keys = key ? [key] : (Object.keys(ENDPOINTS) as SectionKey[]);
    await Promise.all(keys.map(k => this._fetch(k).catch(() => undefined)));
  }

  /**
   * Write `.resources` from the form's values, guarded by the ETag of the text the form
   * was built from. A 400 carries the server's problems; a 409 means the file changed.
   */
  saveResources(values: Record<string, unknown>): Promise<IResourcesAnswer> {
    return this.runAction('save-resources', async () => {
      const etag = this.section('resources').data?.etag;
      const headers: Record<string, string> = etag ? { 'If-Match': etag } : {};
      const { data } = await requestAPIWithHeaders<IResourcesAnswer>(
        ENDPOINTS.resources,
        jsonBody('PUT', { values }, headers)
      );
      this._setSection('resources', { data, error: null, loading: false });
      // The file is good now: an earlier relaunch's refusal no longer applies.
      this._clearError('relaunch');
      return data;
    });
  }

  /** Create this instance's folder and its link; the answer is the new volume state. */
  createInstanceDir(): Promise<IInstanceDirAnswer> {
    return this.runAction('instance-dir', async () => {
      const data = await requestAPI<IInstanceDirAnswer>(
        'persistence/instance-dir',
        jsonBody('POST', {})
      );
      this._setSection('persistence', { data, error: null, loading: false });
      return data;
    });
  }

  /** Set ssh and git up; the answer is the new key state plus what changed. */
  configureGit(): Promise<IActionResult> {
    return this.runAction('configure-git', async () => {
      const data = await requestAPI<IConfigureGitAnswer>(
        'ssh/configure-git',
        jsonBody('POST', {})
      );
      this._setSection('ssh', { data, error: null, loading: false });
      return { ok: true, message: data.configure.message };
    });
  }

  testSsh(): Promise<IActionResult> {
    return this.runAction('ssh-test', async () => {
      const answer = await requestAPI<ISshTestAnswer>(
        'ssh/test',
        jsonBody('POST', {})
      );
      return {
        ok: answer.ok,
        message: answer.message,
        next_step: answer.next_step
      };
    });
  }

  stopProject(
    name: string,
    options: { remove?: boolean; force?: boolean } = {}
  ): Promise<IStopAnswer> {
    const query = new URLSearchParams();
    if (options.remove) {
      query.set('remove', '1');
    }
    if (options.force) {
      query.set('force', '1');
    }
    const suffix = query.toString() ? `?${query.toString()}` : '';
    return this.runAction(`project:${name}`, async () => {
      const result = await requestAPI<IStopAnswer>(
        `projects/${encodeURIComponent(name)}${suffix}`,
        { method: 'DELETE' }
      );
      await this.refresh('projects');
      return result;
    });
  }

  relaunch(body: IRelaunchRequest): Promise<IRelaunchAnswer> {
    return this.runAction('relaunch', async () => {
      const result = await requestAPI<IRelaunchAnswer>(
        'relaunch',
        jsonBody('POST', body)
      );
      // The values were accepted: the form's earlier refusal is stale.
      this._clearError('save-resources');
      // The file was written (the answer carries it) and the slots may have changed.
      if (result.resources) {
        this._setSection('resources', {
          data: result.resources,
          error: null,
          loading: false
        });
      } else {
        void this._fetch('resources').catch(() => undefined);
      }
      void this.refresh('projects');
      return result;
    });
  }

  workReminderDays = 2;

  /** Copy the work to the volume, or commit and push it; then read `work` again. */
  saveWork(body: IWorkSaveRequest): Promise<ISaveAnswer> {
    return this.runAction('save-work', async () => {
      const result = await requestAPI<ISaveAnswer>(
        'work/save',
        jsonBody('POST', body)
      );
      void this.refresh('work');
      return result;
    });
  }

  filesChanged(): void {
    if (!this._panelVisible) {
      return; // read when the panel shows again
    }
    // A burst of saves (a notebook and its checkpoint) makes one read.
    clearTimeout(this._filesChangedTimer);
    this._filesChangedTimer = setTimeout(() => {
      void this._workPoll.refresh();
    }, FILES_SETTLE_MS);
  }

  projectWork(name: string): Promise<ISiblingWorkAnswer> {
    return this.runAction(`work:${name}`, () =>
      requestAPI<ISiblingWorkAnswer>(
        `work/projects/${encodeURIComponent(name)}`
      )
    );
  }

  /** Pin packages installed since launch in the file repo2docker reads; read again. */
  keepEnvironment(packages: string[]): Promise<IKeepAnswer> {
    return this.runAction('keep-environment', async () => {
      const result = await requestAPI<IKeepAnswer>(
        'environment/keep',
        jsonBody('POST', { packages, file: 'auto' })
      );
      void this.refresh('environment');
      return result;
    });
  }

  /**
   * Follow `GET projects/{name}/progress` (the hub's events, relayed by the server: one hub
   * stream for every tab). Each event goes to `onEvent`; the list is read again when the
   * stream ends. The returned function stops following.
   */
  followProgress(
    name: string,
    onEvent: (event: IProgressEvent) => void
  ): () => void {
    const controller = new AbortController();
    const settings = ServerConnection.makeSettings();
    const url = URLExt.join(
      settings.baseUrl,
      API_NAMESPACE,
      'projects',
      encodeURIComponent(name),
      'progress'
    );
    void (async () => {
      try {
        const response = await ServerConnection.makeRequest(
          url,
          { signal: controller.signal },
          settings
        );
        if (response.ok && response.body) {
          await Private.readEvents(response.body, onEvent);
        }
      } catch {
        // Stopped, or the connection dropped: the list's poll still shows the state.
      }
      if (!controller.signal.aborted) {
        void this.refresh('projects');
      }
    })();
    return () => controller.abort();
  }

  /** The service desk's report on a project (`GET projects/{name}/report`). */
  projectReport(name: string): Promise<IReportAnswer> {
    return requestAPI<IReportAnswer>(
      `projects/${encodeURIComponent(name)}/report`
    );
  }

  /** Run an action, keeping its busy flag, result and error for the views. */
  async runAction<T>(key: ActionKey, job: () => Promise<T>): Promise<T> {
    this._setAction(key, { busy: true, result: null, error: null });
    try {
      const result = await job();
      this._setAction(key, { busy: false, result, error: null });
      return result;
    } catch (error) {
      const apiError = asAPIError(error);
      this._setAction(key, { busy: false, result: null, error: apiError });
      throw apiError;
    }
  }

  clearAction(key: ActionKey): void {
    if (this._actions.delete(key)) {
      this._changed.emit('actions');
    }
  }

  /** Drop an action's error, keeping a successful outcome. */
  private _clearError(key: ActionKey): void {
    if (this.action(key).error) {
      this.clearAction(key);
    }
  }

  /** The values a form would send, as typed; the server validates them. */
  static formValues(
    raw: Partial<Record<ResourceKey, string>>
  ): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(raw)) {
      const trimmed = text.trim();
      if (trimmed === '') {
        values[key] = null;
      } else if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(trimmed)) {
        values[key] = Number(trimmed);
      } else {
        // Sent as typed ("4G"), so that the server's message names the mistake.
        values[key] = trimmed;
      }
    }
    return values;
  }

  /** Read a section after any read in flight: that one may predate what just changed. */
  private async _fetchFresh<K extends SectionKey>(
    key: K
  ): Promise<ISections[K]> {
    await this._pending.get(key)?.catch(() => undefined);
    return this._fetch(key);
  }

  private async _fetch<K extends SectionKey>(key: K): Promise<ISections[K]> {
    const pending = this._pending.get(key);
    if (pending) {
      return pending as Promise<ISections[K]>;
    }
    const previous = this.section(key);
    this._setSection(key, { ...previous, loading: true });
    const endPoint =
      key === 'work'
        ? `work?remind_days=${encodeURIComponent(this.workReminderDays)}`
        : ENDPOINTS[key];
    const promise = requestAPI<ISections[K]>(endPoint)
      .then(data => {
        this._setSection(key, { data, error: null, loading: false });
        return data;
      })
      .catch(error => {
        // Keep the last good answer beside the error: a blip does not blank the panel.
        this._setSection(key, {
          data: this.section(key).data,
          error: asAPIError(error),
          loading: false
        });
        throw error;
      })
      .finally(() => {
        this._pending.delete(key);
      });
    this._pending.set(key, promise);
    return promise;
  }

  private _setSection<K extends SectionKey>(
    key: K,
    state: ISectionState<ISections[K]>
  ): void {
    if (this._isDisposed) {
      return;
    }
    (this._sections as any)[key] = state;
    this._changed.emit(key);
  }

  private _setAction(key: ActionKey, state: IActionState<any>): void {
    if (this._isDisposed) {
      return;
    }
    this._actions.set(key, state);
    this._changed.emit('actions');
  }

  private _changed = new Signal<IBinderModel, SectionKey | 'actions'>(this);
  private _sections: Partial<{
    [K in SectionKey]: ISectionState<ISections[K]>;
  }> = {};
  private _actions = new Map<ActionKey, IActionState<any>>();
  private _pending = new Map<SectionKey, Promise<unknown>>();
  private _limitsPoll: Poll;
  private _projectsPoll: Poll;
  private _workPoll: Poll;
  private _filesChangedTimer: ReturnType<typeof setTimeout> | undefined =
    undefined;
  private _panelVisible = false;
  private _statusBarVisible = false;
  private _isDisposed = false;
}

namespace Private {
  /** A poll frequency from an interval in seconds; failures back off up to 10x. */
  export function frequency(seconds: number): IPoll.Frequency {
    const interval = Math.max(1, Number(seconds) || 1) * 1000;
    return { interval, backoff: true, max: interval * 10 };
  }

  /** The `data:` events of an event stream, each parsed as JSON, as they arrive. */
  export async function readEvents(
    body: ReadableStream<Uint8Array>,
    onEvent: (event: IProgressEvent) => void
  ): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop() ?? '';
      for (const block of blocks) {
        const data = block
          .split('\n')
          .filter(line => line.startsWith('data:'))
          .map(line => line.slice(5).trim())
          .join('\n');
        if (data) {
          try {
            onEvent(JSON.parse(data));
          } catch {
            // not JSON: skipped, as a browser's EventSource would pass it on unparsed
          }
        }
      }
    }
  }
}
