/**
 * The model's interface and token, the command ids, and the answer types of the REST API.
 *
 * The answer types are generated from the Python declarations (answers.ts); the server
 * computes every figure, state, level and message, and the sidebar only presents them.
 */
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import type {
  IEnvironmentAnswer,
  IInstanceDirAnswer,
  ILaunchAnswer,
  ILimitsAnswer,
  IPersistenceAnswer,
  IProjectsAnswer,
  IRelaunchAnswer,
  IRelaunchRequest,
  IReportAnswer,
  IResourcesAnswer,
  ISshAnswer,
  IStopAnswer,
  IKeepAnswer,
  ISaveAnswer,
  ISiblingWorkAnswer,
  IWorkAnswer,
  IWorkSaveRequest
} from './answers';
import type { BinderAPIError } from './handler';

export * from './answers';

/** The five keys of a `.resources` file, in the order the form shows them. */
export type ResourceKey = 'cpur' | 'cpul' | 'memr' | 'meml' | 'gpu';
export const RESOURCE_KEYS: ResourceKey[] = [
  'cpur',
  'cpul',
  'memr',
  'meml',
  'gpu'
];

/** The answer behind each section of the panel. */
export interface ISections {
  launch: ILaunchAnswer;
  limits: ILimitsAnswer;
  resources: IResourcesAnswer;
  persistence: IPersistenceAnswer;
  ssh: ISshAnswer;
  projects: IProjectsAnswer;
  work: IWorkAnswer;
  environment: IEnvironmentAnswer;
}
export type SectionKey = keyof ISections;

/** What one section knows: the last good answer, the last error, whether a call runs. */
export interface ISectionState<T> {
  data: T | null;
  error: BinderAPIError | null;
  loading: boolean;
}

/** What an action tells: a message, and whether it went as asked. */
export interface IActionResult {
  ok?: boolean;
  message: string;
  next_step?: string | null;
}

/** The result of the last run of an action (configure git, test ssh, relaunch...). */
export interface IActionState<T = IActionResult> {
  busy: boolean;
  result: T | null;
  error: BinderAPIError | null;
}

export type ActionKey =
  | 'configure-git'
  | 'ssh-test'
  | 'instance-dir'
  | 'save-resources'
  | 'relaunch'
  | `project:${string}`
  | 'save-work'
  | `work:${string}`
  | 'keep-environment';

/** The Binder model: fetches the REST answers, holds them, and says when they change. */
export interface IBinderModel extends IDisposable {
  readonly changed: ISignal<IBinderModel, SectionKey | 'actions'>;
  section<K extends SectionKey>(key: K): ISectionState<ISections[K]>;
  action<T = IActionResult>(key: ActionKey): IActionState<T>;
  refresh(key?: SectionKey): Promise<void>;
  panelVisible: boolean;
  statusBarVisible: boolean;
  setIntervals(limitsSeconds: number, projectsSeconds: number): void;
  saveResources(values: Record<string, unknown>): Promise<IResourcesAnswer>;
  createInstanceDir(): Promise<IInstanceDirAnswer>;
  configureGit(): Promise<IActionResult>;
  testSsh(): Promise<IActionResult>;
  stopProject(
    name: string,
    options?: { remove?: boolean; force?: boolean }
  ): Promise<IStopAnswer>;
  relaunch(body: IRelaunchRequest): Promise<IRelaunchAnswer>;
  runAction<T>(key: ActionKey, job: () => Promise<T>): Promise<T>;
  /** Forget an action's last outcome (a stale error once something else succeeded). */
  clearAction(key: ActionKey): void;
  /** Days ahead in which another project's deletion makes a reminder (a setting). */
  workReminderDays: number;
  saveWork(body: IWorkSaveRequest): Promise<ISaveAnswer>;
  /** Jupyter saved, created, renamed or deleted a file: "Your work" is read again. */
  filesChanged(): void;
  /** Another project's own summary: asked only on request (it counts as activity there). */
  projectWork(name: string): Promise<ISiblingWorkAnswer>;
  /** Pin packages installed since launch in the file repo2docker reads. */
  keepEnvironment(packages: string[]): Promise<IKeepAnswer>;
  /** Follow a starting project's progress events; the returned function stops. */
  followProgress(
    name: string,
    onEvent: (event: IProgressEvent) => void
  ): () => void;
  /** The service desk's report on a project (`GET projects/{name}/report`). */
  projectReport(name: string): Promise<IReportAnswer>;
}

/** One event of the hub's progress stream (JupyterHub's format), as the server relays it. */
export interface IProgressEvent {
  progress?: number;
  message?: string;
  ready?: boolean;
  failed?: boolean;
}

export const IBinderModel = new Token<IBinderModel>(
  'jupyter-binder-ext:IBinderModel',
  'The Binder model: launch, limits, persistence, SSH key, projects and the .resources file of this server.'
);

/** Command ids, all registered in commands.ts. */
export namespace CommandIDs {
  export const openPanel = 'binder:open-panel';
  export const refresh = 'binder:refresh';
  export const copyPublicKey = 'binder:copy-public-key';
  export const configureGit = 'binder:configure-git';
  export const testSsh = 'binder:test-ssh';
  export const createInstanceDir = 'binder:create-instance-folder';
  export const openInstanceDir = 'binder:open-instance-folder';
  export const copyToPersistent = 'binder:copy-to-persistent-storage';
  export const openProject = 'binder:open-project';
  export const stopProject = 'binder:stop-project';
  export const deleteProject = 'binder:delete-project';
  export const relaunch = 'binder:relaunch';
  export const openControlPanel = 'binder:open-control-panel';
}

/** The plugin id: also the id of the settings schema (schema/plugin.json). */
export const PLUGIN_ID = 'jupyter-binder-ext:plugin';
export const PANEL_ID = 'binder-ext-panel';
