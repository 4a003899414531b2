/**
 * Every command of the extension, registered in one place. The panel's buttons run these
 * same commands, so the palette, the context menu and the panel behave alike.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ICommandPalette,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { Contents } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { linkPath } from './components/StorageSection';
import { IBinderModel } from './model';
import {
  CommandIDs,
  IDeletableProject,
  IRelaunchResult,
  PANEL_ID
} from './tokens';

export interface ICommandsOptions {
  app: JupyterFrontEnd;
  model: IBinderModel;
  trans: TranslationBundle;
  palette: ICommandPalette | null;
  fileBrowserFactory: IFileBrowserFactory | null;
}

const CATEGORY = 'Binder';

/** Show an action's outcome as a toast; the panel shows it inline as well. */
function report(message: string | null | undefined, ok = true): void {
  if (message) {
    if (ok) {
      Notification.success(message, { autoClose: 5000 });
    } else {
      Notification.warning(message, { autoClose: 8000 });
    }
  }
}

function reportError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  Notification.error(message, { autoClose: 10000 });
}

/** Open a URL in a new tab; when the browser blocks it, a toast offers the link. */
function openInNewTab(
  url: string,
  trans: TranslationBundle,
  message?: string
): void {
  // Not 'noopener' in the features: with it window.open always returns null.
  const opened = window.open(url, '_blank');
  if (opened) {
    opened.opener = null;
    report(message);
    return;
  }
  Notification.info(message || trans.__('Open %1', url), {
    autoClose: false,
    actions: [
      {
        label: trans.__('Open'),
        callback: () => {
          window.open(url, '_blank', 'noopener');
        }
      }
    ]
  });
}

/** A confirmation that asks for the server's name before stopping the current server. */
class TypeToConfirm extends Widget {
  constructor(text: string, expected: string, placeholder: string) {
    super();
    this.addClass('jp-BinderExt-confirm');
    const p = document.createElement('p');
    p.textContent = text;
    this._input = document.createElement('input');
    this._input.className = 'jp-mod-styled';
    this._input.placeholder = placeholder;
    this._input.setAttribute('data-expected', expected);
    this.node.append(p, this._input);
  }
  getValue(): string {
    return this._input.value.trim();
  }
  private _input: HTMLInputElement;
}

/** The server's message and a choice among the projects that could be deleted. */
class ChooseProject extends Widget {
  constructor(
    message: string,
    projects: IDeletableProject[],
    trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-BinderExt-confirm');
    const p = document.createElement('p');
    p.textContent = message;
    this._select = document.createElement('select');
    this._select.className = 'jp-mod-styled';
    for (const project of projects) {
      const option = document.createElement('option');
      option.value = project.name;
      option.textContent =
        `${project.display_name || project.name}` +
        (project.stopped ? ` (${trans.__('stopped')})` : '');
      this._select.append(option);
    }
    this.node.append(p, this._select);
  }
  getValue(): string {
    return this._select.value;
  }
  private _select: HTMLSelectElement;
}

class CheckboxBody extends Widget {
  constructor(text: string, checkbox: string) {
    super();
    const p = document.createElement('p');
    p.textContent = text;
    const label = document.createElement('label');
    this._box = document.createElement('input');
    this._box.type = 'checkbox';
    label.append(this._box, ' ', checkbox);
    this.node.append(p, label);
  }
  getValue(): boolean {
    return this._box.checked;
  }
  private _box: HTMLInputElement;
}

export function addCommands(options: ICommandsOptions): void {
  const { app, model, trans, palette, fileBrowserFactory } = options;
  const { commands, shell } = app;

  async function ensure<
    K extends 'launch' | 'persistence' | 'ssh' | 'sessions'
  >(key: K) {
    if (!model.section(key).data) {
      await model.refresh(key);
    }
    const { data, error } = model.section(key);
    if (!data) {
      throw error ?? new Error(trans.__('No answer from the server.'));
    }
    return data;
  }

  commands.addCommand(CommandIDs.openPanel, {
    label: trans.__('Open the Binder panel'),
    caption: trans.__(
      'Launch, resources, storage, SSH key and projects of this server'
    ),
    execute: () => {
      shell.activateById(PANEL_ID);
    }
  });

  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh the Binder panel'),
    execute: () => model.refresh()
  });

  commands.addCommand(CommandIDs.copyPublicKey, {
    label: trans.__('Copy SSH public key'),
    caption: trans.__(
      'Copy the mounted SSH public key, to add it to your GitHub account'
    ),
    execute: async () => {
      try {
        const ssh = await ensure('ssh');
        if (!ssh.public_key) {
          report(
            ssh.message ?? trans.__('There is no public key to copy.'),
            false
          );
          return;
        }
        Clipboard.copyToSystem(ssh.public_key);
        report(trans.__('Public key copied to the clipboard.'));
      } catch (error) {
        reportError(error);
      }
    }
  });

  commands.addCommand(CommandIDs.configureGit, {
    label: trans.__('Configure git to push over SSH'),
    execute: async () => {
      try {
        const result = await model.configureGit();
        report(result.message, result.ok !== false);
        return result;
      } catch (error) {
        reportError(error);
      }
    }
  });

  commands.addCommand(CommandIDs.testSsh, {
    label: trans.__('Test the SSH connection to GitHub'),
    execute: async () => {
      try {
        const result = await model.testSsh();
        report(
          [result.message, result.next_step].filter(Boolean).join(' '),
          result.ok !== false
        );
        return result;
      } catch (error) {
        reportError(error);
      }
    }
  });

  commands.addCommand(CommandIDs.createInstanceDir, {
    label: trans.__('Create this instance’s folder on the persistent volume'),
    execute: async () => {
      try {
        const result = await model.createInstanceDir();
        report(result.message ?? trans.__('Instance folder ready.'));
        return result;
      } catch (error) {
        reportError(error);
      }
    }
  });

  commands.addCommand(CommandIDs.openInstanceDir, {
    label: trans.__(
      'Open this instance’s persistent folder in the file browser'
    ),
    execute: async () => {
      try {
        const link = linkPath(await ensure('persistence'));
        if (!link) {
          report(trans.__('Create the instance folder first.'), false);
          return;
        }
        if (commands.hasCommand('filebrowser:go-to-path')) {
          await commands.execute('filebrowser:go-to-path', { path: link });
        } else {
          report(trans.__('The file browser is not available.'), false);
        }
      } catch (error) {
        reportError(error);
      }
    }
  });

  if (fileBrowserFactory) {
    addCopyCommand(app, model, trans, fileBrowserFactory, ensure);
  }

  commands.addCommand(CommandIDs.openProject, {
    label: args =>
      args.name
        ? trans.__('Open project %1', args.name)
        : trans.__('Open project'),
    execute: args => {
      const url = args.url as string;
      if (url) {
        window.open(url, '_blank', 'noopener');
      }
    }
  });

  const stopOrDelete =
    (remove: boolean) => async (args: ReadonlyPartialJSONObject) => {
      const name = String(args.name ?? '');
      const current = Boolean(args.current);
      const verb = remove ? trans.__('Delete') : trans.__('Stop');
      if (current) {
        // The stronger confirmation: this ends the session the user is typing in.
        const body = new TypeToConfirm(
          remove
            ? trans.__(
                'This is the server you are using now. Deleting it closes this JupyterLab and removes the server; files outside the persistent volume are lost. Type its name to confirm.'
              )
            : trans.__(
                'This is the server you are using now. Stopping it closes this JupyterLab; unsaved work is lost. Type its name to confirm.'
              ),
          name,
          name
        );
        const answer = await showDialog({
          title: trans.__(
            '%1 this server (%2)?',
            verb,
            name || trans.__('default')
          ),
          body,
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: verb })]
        });
        if (!answer.button.accept) {
          return;
        }
        if (answer.value !== name) {
          report(trans.__('The name did not match; nothing was done.'), false);
          return;
        }
      } else {
        const answer = await showDialog({
          title: trans.__('%1 project %2?', verb, name),
          body: remove
            ? trans.__(
                'The server %1 is stopped and deleted, which frees its slot.',
                name
              )
            : trans.__(
                'The server %1 is stopped. It keeps its slot until it is deleted.',
                name
              ),
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: verb })]
        });
        if (!answer.button.accept) {
          return;
        }
      }
      try {
        const result = await model.stopProject(name, {
          remove,
          force: current
        });
        report(result?.message ?? trans.__('%1: done.', name));
        return result;
      } catch (error) {
        reportError(error);
      }
    };

  commands.addCommand(CommandIDs.stopProject, {
    label: args =>
      args.name
        ? trans.__('Stop project %1', args.name)
        : trans.__('Stop project'),
    execute: stopOrDelete(false)
  });

  commands.addCommand(CommandIDs.deleteProject, {
    label: args =>
      args.name
        ? trans.__('Delete project %1', args.name)
        : trans.__('Delete project'),
    execute: stopOrDelete(true)
  });

  commands.addCommand(CommandIDs.relaunch, {
    label: trans.__('Relaunch with the resources of .resources'),
    caption: trans.__('Commit .resources, push it and launch the new commit'),
    execute: async args => {
      const values =
        (args.values as Record<string, unknown> | undefined) ?? undefined;
      const body = new CheckboxBody(
        trans.__(
          'The .resources file is written and committed on its own on the current branch, pushed, and the new commit is launched. Other changes are left as they are.'
        ),
        trans.__('Stop this server once the new one is ready')
      );
      const answer = await showDialog({
        title: trans.__('Relaunch with new resources?'),
        body,
        buttons: [
          Dialog.cancelButton(),
          Dialog.okButton({ label: trans.__('Relaunch') })
        ]
      });
      if (!answer.button.accept) {
        return;
      }
      const current = shell.currentWidget as any;
      const labpath: string = current?.context?.path ?? '';
      const request = { values, stop_current: Boolean(answer.value), labpath };
      try {
        let result = await model.relaunch(request);
        if (!result.ok && result.slots?.full) {
          // All slots taken, so nothing was started: offer to delete one, then launch again
          // (the commit is already pushed).
          const name = await chooseProjectToDelete(result);
          if (!name) {
            report(result.message, false);
            shell.activateById(PANEL_ID);
            return result;
          }
          await model.stopProject(name, { remove: true });
          result = await model.relaunch(request);
        }
        return finishRelaunch(result);
      } catch (error) {
        reportError(error);
      }
    }
  });

  /** Ask which project to delete; null when the user declines or none can be. */
  async function chooseProjectToDelete(
    result: IRelaunchResult
  ): Promise<string | null> {
    const currentName = model.section('launch').data?.server_name;
    const candidates = (result.slots?.deletable ?? [])
      .filter(project => project.name !== currentName)
      .sort((a, b) => Number(b.stopped) - Number(a.stopped));
    if (candidates.length === 0) {
      return null;
    }
    const body = new ChooseProject(result.message, candidates, trans);
    const answer = await showDialog({
      title: trans.__('No free project slot'),
      body,
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: trans.__('Delete it and launch') })
      ]
    });
    return answer.button.accept ? answer.value : null;
  }

  function finishRelaunch(result: IRelaunchResult): IRelaunchResult {
    const url = result.launch?.url;
    if (url && result.launch?.open) {
      openInNewTab(url, trans, result.message);
    } else {
      report(result.message, result.ok);
    }
    return result;
  }

  commands.addCommand(CommandIDs.openControlPanel, {
    label: trans.__('Open the hub control panel'),
    execute: async () => {
      try {
        const url =
          model.section('sessions').data?.control_panel_url ||
          (await ensure('launch')).control_panel_url;
        if (url) {
          window.open(url, '_blank', 'noopener');
        } else {
          report(
            trans.__('No hub control panel is known for this server.'),
            false
          );
        }
      } catch (error) {
        reportError(error);
      }
    }
  });

  if (palette) {
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.refresh,
      CommandIDs.copyPublicKey,
      CommandIDs.configureGit,
      CommandIDs.testSsh,
      CommandIDs.createInstanceDir,
      CommandIDs.openInstanceDir,
      CommandIDs.relaunch,
      CommandIDs.openControlPanel
    ]) {
      palette.addItem({ command, category: CATEGORY });
    }
  }
}

/**
 * "Copy to persistent storage" in the file browser's context menu: copies the selected
 * files and folders into this instance's folder through the Jupyter contents API, and
 * never overwrites an existing file without asking.
 */
function addCopyCommand(
  app: JupyterFrontEnd,
  model: IBinderModel,
  trans: TranslationBundle,
  factory: IFileBrowserFactory,
  ensure: (key: 'persistence') => Promise<any>
): void {
  const contents = app.serviceManager.contents;

  const exists = async (path: string): Promise<Contents.IModel | null> => {
    try {
      return await contents.get(path, { content: false });
    } catch (error) {
      return null;
    }
  };

  const copyFile = async (source: string, target: string): Promise<void> => {
    const file = await contents.get(source, { content: true });
    await contents.save(target, {
      type: file.type,
      format: file.format,
      content: file.content,
      mimetype: file.mimetype
    });
  };

  const copyTree = async (source: string, target: string): Promise<number> => {
    const item = await contents.get(source, { content: true });
    if (item.type !== 'directory') {
      await copyFile(source, target);
      return 1;
    }
    if (!(await exists(target))) {
      await contents.save(target, { type: 'directory' });
    }
    let count = 0;
    for (const child of item.content as Contents.IModel[]) {
      count += await copyTree(child.path, PathExt.join(target, child.name));
    }
    return count;
  };

  app.commands.addCommand(CommandIDs.copyToPersistent, {
    label: trans.__('Copy to persistent storage'),
    caption: trans.__(
      'Copy to this instance’s folder on the persistent volume'
    ),
    isEnabled: () => {
      const browser = factory.tracker.currentWidget;
      return !!browser && !browser.selectedItems().next().done;
    },
    execute: () =>
      model
        .runAction('copy', async () => {
          const browser = factory.tracker.currentWidget;
          if (!browser) {
            return { message: '' };
          }
          const items = Array.from(browser.selectedItems());
          try {
            let persistence = await ensure('persistence');
            let link = linkPath(persistence);
            if (!link) {
              const answer = await showDialog({
                title: trans.__('No instance folder yet'),
                body: trans.__(
                  'This instance has no folder on the persistent volume yet. Create it now?'
                ),
                buttons: [
                  Dialog.cancelButton(),
                  Dialog.okButton({ label: trans.__('Create') })
                ]
              });
              if (!answer.button.accept) {
                return { message: '' };
              }
              await model.createInstanceDir();
              persistence = model.section('persistence').data;
              link = linkPath(persistence);
              if (!link) {
                throw new Error(
                  trans.__('The instance folder has no link in your files.')
                );
              }
            }
            let copied = 0;
            for (const item of items) {
              if (item.path === link || item.path.startsWith(`${link}/`)) {
                continue; // already on the volume
              }
              const target = PathExt.join(link, item.name);
              if (await exists(target)) {
                const answer = await showDialog({
                  title: trans.__('Replace %1?', item.name),
                  body: trans.__(
                    '%1 already exists in the persistent folder. Replace it with the copy from this instance?',
                    target
                  ),
                  buttons: [
                    Dialog.cancelButton({ label: trans.__('Skip') }),
                    Dialog.warnButton({ label: trans.__('Replace') })
                  ]
                });
                if (!answer.button.accept) {
                  continue;
                }
              }
              copied += await copyTree(item.path, target);
            }
            const message = trans._n(
              '%1 file copied to %2.',
              '%1 files copied to %2.',
              copied,
              link
            );
            if (copied > 0) {
              report(message);
            }
            void model.refresh('persistence');
            return { message };
          } catch (error) {
            reportError(error);
            throw error;
          }
        })
        .catch(() => undefined)
  });

  app.contextMenu.addItem({
    command: CommandIDs.copyToPersistent,
    selector: '.jp-DirListing-item[data-isdir]',
    rank: 12
  });
}
