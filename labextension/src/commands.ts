/**
 * Every command of the extension, registered in one place. The panel's buttons run these
 * same commands, so the palette, the context menu and the panel behave alike.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ICommandPalette,
  showDialog
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { addCopyCommand, persistentLink, refreshFileBrowsers } from './copy';
import {
  notify,
  notifyError,
  notifyErrorUnlessShown,
  notifyUnlessShown,
  openInNewTab,
  REMOVED_PROJECT
} from './notify';
import {
  CommandIDs,
  IBinderModel,
  IRelaunchAnswer,
  IRelaunchRequest,
  PANEL_ID
} from './tokens';
import { ChooseProject, TypeToConfirm } from './widgets/dialogs';
import { RelaunchConfirm } from './widgets/relaunchChecks';

export interface ICommandsOptions {
  app: JupyterFrontEnd;
  model: IBinderModel;
  trans: TranslationBundle;
  palette: ICommandPalette | null;
  fileBrowserFactory: IFileBrowserFactory | null;
}

const CATEGORY = 'Binder';

export function addCommands(options: ICommandsOptions): void {
  const { app, model, trans, palette, fileBrowserFactory } = options;
  const { commands, shell } = app;

  async function ensure<K extends 'launch' | 'persistence' | 'ssh'>(key: K) {
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
      'Launch, limits, persistence, SSH key and projects of this server'
    ),
    execute: () => {
      shell.activateById(PANEL_ID);
    }
  });

  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh the Binder panel'),
    execute: () => model.refresh()
  });

  // No place in the panel tells this outcome: a toast, always.
  commands.addCommand(CommandIDs.copyPublicKey, {
    label: trans.__('Copy SSH public key'),
    caption: trans.__(
      'Copy the mounted SSH public key, to add it to your GitHub account'
    ),
    execute: async () => {
      try {
        const ssh = await ensure('ssh');
        if (!ssh.public_key) {
          notify(trans.__('There is no public key to copy.'), false);
          return;
        }
        Clipboard.copyToSystem(ssh.public_key);
        notify(trans.__('Public key copied to the clipboard.'));
      } catch (error) {
        notifyError(error);
      }
    }
  });

  commands.addCommand(CommandIDs.configureGit, {
    label: trans.__('Configure git to push over SSH'),
    execute: async () => {
      try {
        const result = await model.configureGit();
        notifyUnlessShown(model, result.message, result.ok !== false);
        return result;
      } catch (error) {
        notifyErrorUnlessShown(model, error);
      }
    }
  });

  commands.addCommand(CommandIDs.testSsh, {
    label: trans.__('Test the SSH connection to GitHub'),
    execute: async () => {
      try {
        const result = await model.testSsh();
        notifyUnlessShown(
          model,
          [result.message, result.next_step].filter(Boolean).join(' '),
          result.ok !== false
        );
        return result;
      } catch (error) {
        notifyErrorUnlessShown(model, error);
      }
    }
  });

  commands.addCommand(CommandIDs.createInstanceDir, {
    label: trans.__('Create this instance’s folder on the persistent volume'),
    execute: async () => {
      try {
        const result = await model.createInstanceDir();
        // The new `persistent` link shows in the file browser at once.
        refreshFileBrowsers(fileBrowserFactory);
        notifyUnlessShown(model, result.action.message);
        return result;
      } catch (error) {
        notifyErrorUnlessShown(model, error);
      }
    }
  });

  commands.addCommand(CommandIDs.openInstanceDir, {
    label: trans.__(
      'Open this instance’s persistent folder in the file browser'
    ),
    execute: async () => {
      try {
        const link = persistentLink(await ensure('persistence'));
        if (!link) {
          notify(trans.__('Create the instance folder first.'), false);
          return;
        }
        if (commands.hasCommand('filebrowser:go-to-path')) {
          await commands.execute('filebrowser:go-to-path', { path: link });
        } else {
          notify(trans.__('The file browser is not available.'), false);
        }
      } catch (error) {
        notifyError(error);
      }
    }
  });

  if (fileBrowserFactory) {
    addCopyCommand(app, model, trans, fileBrowserFactory);
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

  /** Ask first, saying what will happen; null when the user declines. */
  async function confirmStop(
    name: string,
    remove: boolean,
    current: boolean
  ): Promise<boolean> {
    const verb = remove ? trans.__('Delete') : trans.__('Stop');
    if (current) {
      // The stronger confirmation: this ends the session the user is typing in.
      const body = new TypeToConfirm(
        remove
          ? trans.__(
              'This is the server you are using now. It will be stopped and deleted: this JupyterLab closes, its slot is freed, and files outside the persistent volume are lost. Type its name to confirm.'
            )
          : trans.__(
              'This is the server you are using now. It will be stopped: this JupyterLab closes and unsaved work is lost. It keeps its slot until it is deleted. Type its name to confirm.'
            ),
        name,
        name
      );
      const answer = await showDialog({
        title: trans.__('%1 this server?', verb),
        body,
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: verb })]
      });
      return answer.button.accept && body.confirmed;
    }
    const answer = await showDialog({
      title: trans.__('%1 project %2?', verb, name),
      body: remove
        ? trans.__(
            'The server %1 will be stopped and deleted, which frees its slot. Files outside the persistent volume are lost.',
            name
          )
        : trans.__(
            'The server %1 will be stopped. It keeps its slot until it is deleted.',
            name
          ),
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: verb })]
    });
    return answer.button.accept;
  }

  const stopOrDelete =
    (remove: boolean) => async (args: ReadonlyPartialJSONObject) => {
      const name = String(args.name ?? '');
      const current = Boolean(args.current);
      if (!(await confirmStop(name, remove, current))) {
        return;
      }
      if (current) {
        notify(
          remove
            ? trans.__('Deleting this server: JupyterLab will stop answering.')
            : trans.__('Stopping this server: JupyterLab will stop answering.')
        );
      }
      try {
        const result = await model.stopProject(name, {
          remove,
          force: current
        });
        // Told once: in the panel while it is open (a stopped row says it; a deleted
        // row is gone, so the list says it), else as a toast.
        if (!current) {
          if (remove) {
            await model.runAction(REMOVED_PROJECT, async () => result);
          }
          notifyUnlessShown(model, result.message);
        }
        return result;
      } catch (error) {
        // Shown in the project's row when the panel is open.
        notifyErrorUnlessShown(model, error);
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
      // The environment's checks, read again: what would fail the new commit's build.
      await model.refresh('environment');
      const environment = model.section('environment');
      // The choice sits in the dialog's footer, beside the buttons, as JupyterLab's own.
      const answer = await showDialog({
        title: trans.__('Relaunch with new resources?'),
        body: new RelaunchConfirm(
          trans.__(
            'The .resources file will be written and committed on its own on the current branch, then pushed, and the new commit launched in a new tab. Other changes are left as they are.'
          ),
          environment.error ? null : (environment.data?.checks ?? null),
          environment.error?.message ?? '',
          trans
        ),
        checkbox: {
          label: trans.__('Stop this server once the new one is ready'),
          checked: false
        },
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
      const request: IRelaunchRequest = {
        values,
        stop_current: Boolean(answer.isChecked),
        labpath
      };
      try {
        let result = await model.relaunch(request);
        if (!result.ok && result.slots?.full) {
          // All slots taken, so nothing was written, committed or started: offer to
          // delete one, then relaunch (only then is the commit made and pushed).
          const name = await chooseProjectToDelete(result);
          if (!name) {
            shell.activateById(PANEL_ID);
            return result;
          }
          await model.stopProject(name, { remove: true });
          result = await model.relaunch(request);
        }
        return finishRelaunch(result);
      } catch (error) {
        notifyErrorUnlessShown(model, error);
      }
    }
  });

  /** Ask which project to delete, among those the server offers, in its order. */
  async function chooseProjectToDelete(
    result: IRelaunchAnswer
  ): Promise<string | null> {
    const candidates = result.slots?.deletable ?? [];
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

  /** Open the new launch; its outcome is in the panel, or a toast when it is hidden. */
  function finishRelaunch(result: IRelaunchAnswer): IRelaunchAnswer {
    const url = result.launch?.url;
    if (url && result.launch?.open) {
      openInNewTab(url, trans, result.message);
    }
    notifyUnlessShown(model, result.message, result.ok);
    return result;
  }

  commands.addCommand(CommandIDs.openControlPanel, {
    label: trans.__('Open the hub control panel'),
    execute: async () => {
      try {
        const url =
          model.section('projects').data?.control_panel_url ||
          (await ensure('launch')).control_panel_url;
        if (url) {
          window.open(url, '_blank', 'noopener');
        } else {
          notify(
            trans.__('No hub control panel is known for this server.'),
            false
          );
        }
      } catch (error) {
        notifyError(error);
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
