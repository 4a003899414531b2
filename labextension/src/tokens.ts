/**
 * The shapes of the REST answers under `binder/api/` (see DESIGN.md), and the model token.
 *
 * The server computes every figure, message and count; these interfaces only name them.
 * Fields the UI does not depend on are optional so that a newer server can add or drop
 * them without breaking the panel.
 */
import { Token } from '@lumino/coreutils';
import type { IBinderModel as IModel } from './model';

/** An error answer: `{error, message, ...details}`. */
export interface IErrorAnswer {
  error: string;
  message: string;
  [detail: string]: any;
}

/** Where a figure came from: one label, or one label per figure. */
export type Source = string | Record<string, string> | null;

/** `GET launch` */
export interface ILaunchInfo {
  under_hub: boolean;
  under_binder: boolean;
  user: string;
  server_name: string;
  repo_url: string;
  provider: string;
  provider_name?: string;
  owner: string;
  repo: string;
  ref: string;
  resolved_ref: string;
  ref_url: string;
  launch_host: string;
  launch_url: string;
  is_github: boolean;
  hub_url: string;
  hub_api_url?: string;
  control_panel_url?: string;
  image?: string;
  message?: string;
}

/** `GET limits` → cpu (cores as numbers). */
export interface ICpuLimits {
  guarantee: number | null;
  guarantee_source?: string | null;
  limit: number | null;
  limit_source?: string | null;
  used_cores: number | null;
  throttled: boolean | number | null;
  nr_throttled?: number | null;
  throttled_seconds?: number | null;
  /** Where the usage was read. */
  source: Source;
}

/** `GET limits` → memory (bytes as numbers). */
export interface IMemoryLimits {
  guarantee: number | null;
  guarantee_source?: string | null;
  limit: number | null;
  limit_source?: string | null;
  used: number | null;
  working_set: number | null;
  oom_kills: number | null;
  source: Source;
}

export interface IGpuDevice {
  index: number;
  name: string;
  memory_total: number | null;
  memory_used: number | null;
  utilization: number | null;
}

export interface IGpuLimits {
  count: number;
  devices: IGpuDevice[];
  source: Source;
}

/** A server-side warning (throttled, OOM kills, near the limit...). */
export interface IWarning {
  kind: string;
  message: string;
  /** "warning" (default) or "info" (a reminder rather than a problem). */
  level?: string;
}

/** `GET limits` */
export interface ILimits {
  cpu: ICpuLimits;
  memory: IMemoryLimits;
  gpu: IGpuLimits;
  warnings: IWarning[];
  notice: string | null;
}

/** The five keys of a `.resources` file. */
export type ResourceKey = 'cpur' | 'cpul' | 'memr' | 'meml' | 'gpu';
export const RESOURCE_KEYS: ResourceKey[] = [
  'cpur',
  'cpul',
  'memr',
  'meml',
  'gpu'
];
export type ResourceValues = Partial<Record<ResourceKey, number | null>>;

/** One problem of a `.resources` file, as the server's parser reports it. */
export interface IResourceProblem {
  line: number | null;
  key: string | null;
  message: string;
  severity: 'error' | 'warning' | string;
}

/** `GET resources` / the answer of a successful `PUT resources`. */
export interface IResourcesFile {
  path: string;
  filename?: string;
  exists: boolean;
  text: string;
  values: ResourceValues;
  effective: ResourceValues;
  defaults?: ResourceValues;
  maximums?: ResourceValues;
  /** What this server runs with now, in the file's units. */
  running?: ResourceValues;
  problems: IResourceProblem[];
  has_errors?: boolean;
  is_github: boolean;
  etag: string;
  message?: string | null;
  warnings?: IWarning[];
}

/** An instance folder on the persistent volume. */
export interface IInstanceFolder {
  name: string;
  path?: string;
  size?: number | null;
  mtime?: number | string | null;
  last_modified?: number | string | null;
  is_current?: boolean;
  [key: string]: any;
}

/** This instance's folder on the volume. */
export interface IInstanceDir {
  name: string;
  path: string;
  exists: boolean;
  [key: string]: any;
}

/** The link to the instance folder in the server's root folder. */
export interface IInstanceLink {
  name: string;
  path: string;
  /** The path the file browser opens (relative to the server's root). */
  browser_path: string;
  exists: boolean;
  points_to_instance?: boolean;
  blocked?: boolean;
  [key: string]: any;
}

/** `GET persistence` */
export interface IPersistence {
  path: string;
  exists?: boolean;
  mounted: boolean;
  read_only?: boolean;
  writable: boolean;
  write_error?: string | null;
  fs_type: string | null;
  total: number | null;
  used: number | null;
  free: number | null;
  used_fraction?: number | null;
  instance_dir: IInstanceDir | null;
  instances: IInstanceFolder[];
  link: IInstanceLink | null;
  warnings?: IWarning[];
  /** Present in the answer of `POST persistence/instance-dir`. */
  action?: {
    created?: boolean;
    link_created?: boolean;
    message: string;
  } | null;
  [key: string]: any;
}

/** `GET ssh`; never any byte of the private key. */
export interface ISshKey {
  public_key: string | null;
  key_type: string | null;
  fingerprint: string | null;
  comment: string | null;
  private_key_usable: boolean;
  git_configured: boolean;
  add_key_url: string;
  fingerprint_line?: string | null;
  fingerprints_url?: string | null;
  private_key?: { usable: boolean; reason?: string; copied?: boolean } | null;
  repo?: {
    is_git?: boolean;
    is_github?: boolean;
    push_ready?: boolean;
    message?: string;
  } | null;
  steps?: ISshStep[];
  warnings?: IWarning[];
  message?: string | null;
  /** Present in the answer of `POST ssh/configure-git`. */
  configure?: { changed: string[]; message: string } | null;
  [key: string]: any;
}

/** One step of setting the key up, in order. */
export interface ISshStep {
  id: string;
  title: string;
  detail?: string | null;
  url?: string | null;
  done?: boolean | null;
}

/** `POST ssh/configure-git` and `POST ssh/test`: a message and whatever else. */
export interface IActionResult {
  ok?: boolean;
  status?: string;
  message: string;
  next_step?: string | null;
  [key: string]: any;
}

/** One named server of the user, as the hub reports it. */
export interface IProject {
  name: string;
  display_name: string;
  url: string;
  ready: boolean;
  pending: string | null;
  stopped: boolean;
  started: string | null;
  last_activity: string | null;
  expires_at: string | null;
  /** Seconds until the culler deletes it; null when it never will (a stopped server). */
  expires_in?: number | null;
  expires_soon?: boolean;
  /** "running", "starting", "stopping", "stopped"... as the server words it. */
  state?: string;
  repo?: string;
  launch_url?: string;
  repo_url: string | null;
  ref_url: string | null;
  is_current: boolean;
}

/** `GET sessions` */
export interface ISessions {
  available: boolean;
  message: string | null;
  limit: number;
  used: number;
  full: boolean;
  free?: number | null;
  stopped_holding_slots?: number;
  current?: string;
  servers: IProject[];
  control_panel_url: string;
}

/** A project that could be deleted to free a slot (relaunch with all slots taken). */
export interface IDeletableProject {
  name: string;
  display_name?: string;
  repo?: string;
  ref?: string;
  stopped: boolean;
  last_activity?: string | null;
}

/** `POST relaunch`: a refused push or full slots are a 200 with `ok: false`. */
export interface IRelaunchResult {
  ok: boolean;
  message: string;
  resources?: IResourcesFile | null;
  commit?: {
    sha: string;
    short_sha?: string;
    branch?: string;
    created?: boolean;
    message?: string;
  } | null;
  push?: {
    ok: boolean;
    branch?: string;
    output?: string;
    reason?: string;
    hint?: string;
  } | null;
  launch?: {
    kind: 'binderhub' | 'hub' | string;
    url: string;
    open: boolean;
    started?: boolean;
    server_name?: string | null;
    ready?: boolean;
    error?: IErrorAnswer;
  } | null;
  slots?: {
    available: boolean;
    limit: number | null;
    used: number | null;
    full: boolean;
    deletable: IDeletableProject[];
    control_panel_url?: string | null;
    message?: string;
  } | null;
  stop_current?: {
    requested: boolean;
    scheduled: boolean;
    done: boolean;
    message?: string;
  } | null;
  [key: string]: any;
}

export const IBinderModel = new Token<IModel>(
  'jupyter-binder-ext:IBinderModel',
  'The Binder model: launch, limits, storage, SSH key, projects and the .resources file of this server.'
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
