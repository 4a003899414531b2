/**
 * "Copy to persistent storage" in the file browser's context menu: copies the selected
 * files and folders into this instance's folder through the Jupyter contents API, and
 * never overwrites an existing file without asking.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { Contents } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

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

  /** The link to this instance's folder, made first when the user agrees. */
  const ensureLink = async (): Promise<string | null> => {
    if (!model.section('persistence').data) {
      await model.refresh('persistence');
    }
    const link = persistentLink(model.section('persistence').data);
    if (link) {
      return link;
    }
    const answer = await showDialog({
      title: trans.__('Create this instance’s folder?'),
      body: trans.__(
        'This instance has no folder on the persistent volume yet. It will be created, with a link to it in your files, and the copies go there.'
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: trans.__('Create and copy') })
      ]
    });
    if (!answer.button.accept) {
      return null;
    }
    await model.createInstanceDir();
    refreshFileBrowsers(factory);
    const created = persistentLink(model.section('persistence').data);
    if (!created) {
      throw new Error(
        trans.__(
          'The instance folder was created but has no link in your files.'
        )
      );
    }
    return created;
  };

  const copySelection = async (): Promise<{ message: string }> => {
    const browser = factory.tracker.currentWidget;
    if (!browser) {
      return { message: '' };
    }
    const items = Array.from(browser.selectedItems());
    const link = await ensureLink();
    if (!link) {
      return { message: '' };
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
      notify(message);
    }
    refreshFileBrowsers(factory);
    void model.refresh('persistence');
    return { message };
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
      model.runAction('copy', copySelection).catch(error => {
        notifyError(error);
      })
  });

  app.contextMenu.addItem({
    command: CommandIDs.copyToPersistent,
    selector: '.jp-DirListing-item[data-isdir]',
    rank: 12
  });
}
