/**
 * "Copy to persistent storage" in the file browser's context menu: the same save as the
 * Your work section's button (`POST work/save`), for the selected files and folders. The
 * server copies them into this instance's folder with their paths kept, making the folder
 * and its link on the first save; a different file already there is replaced only when the
 * user says so.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { TranslationBundle } from '@jupyterlab/translation';

import { ISaveAnswer } from './answers';
import { notify, notifyError } from './notify';
import { CommandIDs, IBinderModel, IPersistenceAnswer } from './tokens';

/** The link in the server's root folder, as a path the file browser can open. */
export function persistentLink(
  persistence: IPersistenceAnswer | null
): string | null {
  const link = persistence?.link;
  if (!link || !link.exists || link.blocked) {
    return null;
  }
  return link.browser_path || link.name || null;
}

/** Show files the extension created (the `persistent` link, copies) without a wait. */
export function refreshFileBrowsers(factory: IFileBrowserFactory | null): void {
  factory?.tracker.forEach(browser => {
    void browser.model.refresh();
  });
}

export function addCopyCommand(
  app: JupyterFrontEnd,
  model: IBinderModel,
  trans: TranslationBundle,
  factory: IFileBrowserFactory
): void {
  /** The selected paths, less the link to the volume and what lies under it. */
  const selectedPaths = (): string[] => {
    const browser = factory.tracker.currentWidget;
    if (!browser) {
      return [];
    }
    const link = persistentLink(model.section('persistence').data);
    return Array.from(browser.selectedItems())
      .map(item => item.path)
      .filter(path => !link || (path !== link && !path.startsWith(`${link}/`)));
  };

  /** Ask before replacing the different copies the save kept; replace them if agreed. */
  const replaceDiffering = async (
    answer: ISaveAnswer
  ): Promise<ISaveAnswer> => {
    const differing = answer.skipped
      .filter(skipped => skipped.reason === 'differs')
      .map(skipped => skipped.path);
    if (differing.length === 0) {
      return answer;
    }
    const choice = await showDialog({
      title:
        differing.length === 1
          ? trans.__('Replace %1?', PathExt.basename(differing[0]))
          : trans.__('Replace %1 files?', differing.length),
      body: trans.__(
        'A different copy is already in this instance’s folder on the persistent volume: %1. Replace it with the file from this instance?',
        differing.slice(0, 10).join(', ') + (differing.length > 10 ? ' …' : '')
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Skip') }),
        Dialog.warnButton({ label: trans.__('Replace') })
      ]
    });
    if (!choice.button.accept) {
      return answer;
    }
    return model.saveWork({
      to: 'persistent',
      paths: differing,
      overwrite: true
    });
  };

  const copySelection = async (): Promise<void> => {
    if (!model.section('persistence').data) {
      await model.refresh('persistence'); // to know the link, left out of the copy
    }
    const paths = selectedPaths();
    if (paths.length === 0) {
      notify(
        trans.__('The selection is already on the persistent volume.'),
        false
      );
      return;
    }
    const answer = await replaceDiffering(
      await model.saveWork({ to: 'persistent', paths })
    );
    notify(answer.message, answer.ok);
    refreshFileBrowsers(factory);
    void model.refresh('persistence');
  };

  app.commands.addCommand(CommandIDs.copyToPersistent, {
    label: trans.__('Copy to persistent storage'),
    caption: trans.__(
      'Copy to this instance’s folder on the persistent volume, paths kept'
    ),
    isEnabled: () => {
      const browser = factory.tracker.currentWidget;
      return !!browser && !browser.selectedItems().next().done;
    },
    execute: () =>
      copySelection().catch(error => {
        notifyError(error);
      })
  });

  app.contextMenu.addItem({
    command: CommandIDs.copyToPersistent,
    selector: '.jp-DirListing-item[data-isdir]',
    rank: 12
  });
}
