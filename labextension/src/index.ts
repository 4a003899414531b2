/** The JupyterLab plugin: the Binder panel, its status-bar item, commands and settings. */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';

import { addCommands } from './commands';
import { BinderModel } from './model';
import { BinderPanel } from './panel';
import {
  BinderStatus,
  MemoryChoice,
  RESOURCE_USAGE_PLUGINS
} from './statusbar';
import { remindOfWork } from './components/WorkSection';
import {
  CommandIDs,
  IBinderModel,
  IBinderModel as IBinderModelToken,
  PLUGIN_ID
} from './tokens';

export { BinderModel } from './model';
export * from './tokens';

/** The settings of schema/plugin.json. */
interface ISettings {
  limitsPollInterval: number;
  projectsPollInterval: number;
  showStatusBar: boolean;
  statusBarMemory: MemoryChoice;
  workReminderDays: number;
}

const DEFAULT_SETTINGS: ISettings = {
  limitsPollInterval: 5,
  projectsPollInterval: 30,
  showStatusBar: true,
  statusBarMemory: 'auto',
  workReminderDays: 2
};

const plugin: JupyterFrontEndPlugin<IBinderModel> = {
  id: PLUGIN_ID,
  description:
    'A "Binder" sidebar panel and status-bar item: launch, resources, persistent storage, SSH key and projects of a BinderHub-launched server.',
  autoStart: true,
  provides: IBinderModelToken,
  optional: [
    ILabShell,
    ILayoutRestorer,
    IStatusBar,
    ISettingRegistry,
    ICommandPalette,
    IFileBrowserFactory,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    statusBar: IStatusBar | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    fileBrowserFactory: IFileBrowserFactory | null,
    translator: ITranslator | null
  ): IBinderModel => {
    const trans = (translator ?? nullTranslator).load('jupyter_binder_ext');
    const settings: ISettings = { ...DEFAULT_SETTINGS };
    const model = new BinderModel({
      limitsInterval: settings.limitsPollInterval,
      projectsInterval: settings.projectsPollInterval
    });

    const panel = new BinderPanel(model, app.commands, trans);
    panel.title.caption = trans.__('Binder');
    app.shell.add(panel, 'left', { rank: 850, type: 'Binder' });
    if (restorer) {
      restorer.add(panel, panel.id);
    }

    addCommands({ app, model, trans, palette, fileBrowserFactory });
    // Every save, new file, rename or deletion through Jupyter changes what would be lost.
    app.serviceManager.contents.fileChanged.connect(() => model.filesChanged());

    const statusChanged = new Signal<IBinderModel, void>(model);
    if (statusBar) {
      // One RAM figure in the status bar: none of ours while jupyter-resource-usage
      // shows its own (it hides its item when it has no metrics).
      const otherPlugin = RESOURCE_USAGE_PLUGINS.some(id => app.hasPlugin(id));
      const showMemory = () =>
        settings.statusBarMemory === 'show' ||
        (settings.statusBarMemory === 'auto' &&
          !(otherPlugin && Private.memoryItemShown()));
      const status = new BinderStatus(model, trans, showMemory, () => {
        void app.commands.execute(CommandIDs.openPanel);
      });
      statusChanged.connect(() => status.update());
      statusBar.registerStatusItem(`${PLUGIN_ID}:status`, {
        item: status,
        align: 'left',
        rank: 100,
        isActive: () => settings.showStatusBar,
        activeStateChanged: statusChanged
      });
    }

    const apply = (values: Partial<ISettings>) => {
      Object.assign(settings, values);
      model.setIntervals(
        settings.limitsPollInterval,
        settings.projectsPollInterval
      );
      model.statusBarVisible = Boolean(statusBar) && settings.showStatusBar;
      model.workReminderDays = settings.workReminderDays;
      statusChanged.emit(undefined);
    };
    apply({});
    // Once, with the reminder window of the settings: unsaved work here and another
    // project near its deletion make one notification.
    const remind = () => {
      if (settings.workReminderDays > 0) {
        void remindOfWork(model, trans, () => {
          void app.commands.execute(CommandIDs.openPanel);
        }).catch(() => undefined);
      }
    };

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(loaded => {
          const read = () =>
            apply(loaded.composite as unknown as Partial<ISettings>);
          read();
          loaded.changed.connect(read);
        })
        .catch(reason => {
          console.warn(
            'jupyter-binder-ext: could not load the settings',
            reason
          );
        })
        .then(remind);
    } else {
      void app.restored.then(remind);
    }

    // In JupyterLab the panel may be open from a restored layout before the first show.
    if (labShell) {
      void app.restored.then(() => {
        model.panelVisible = panel.isVisible;
      });
    }

    return model;
  }
};

export default plugin;

namespace Private {
  /** Whether a visible status-bar item shows jupyter-resource-usage's `Mem: …`. */
  export function memoryItemShown(): boolean {
    return Array.from(
      document.querySelectorAll(
        '#jp-main-statusbar .jp-StatusBar-Item:not(.lm-mod-hidden)'
      )
    ).some(item => (item.textContent ?? '').trimStart().startsWith('Mem:'));
  }
}
