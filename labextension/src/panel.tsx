/** The left-sidebar panel "Binder": one ReactWidget holding every section. */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { EnvironmentSection } from './components/EnvironmentSection';
import { LaunchSection } from './components/LaunchSection';
import { LimitsSection } from './components/LimitsSection';
import { PersistenceSection } from './components/PersistenceSection';
import { ProjectsSection } from './components/ProjectsSection';
import { ResourcesSection } from './components/ResourcesSection';
import { SshSection } from './components/SshSection';
import { WorkSection } from './components/WorkSection';
import { binderIcon } from './icon';
import { IBinderModel, PANEL_ID } from './tokens';

export class BinderPanel extends ReactWidget {
  constructor(
    readonly model: IBinderModel,
    private readonly _commands: CommandRegistry,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-BinderExt-panel');
    this.title.icon = binderIcon;
    this.title.caption = _trans.__('Binder');
  }

  /** The model polls only while the panel is shown. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.panelVisible = true;
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.panelVisible = false;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.model.panelVisible = this.isVisible;
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.panelVisible = false;
    super.onBeforeDetach(msg);
  }

  render(): JSX.Element {
    const props = {
      model: this.model,
      trans: this._trans,
      commands: this._commands
    };
    return (
      <div className="jp-BinderExt-content">
        <header className="jp-BinderExt-header">
          <h2 className="jp-BinderExt-heading">{this._trans.__('Binder')}</h2>
          <button
            type="button"
            className="jp-BinderExt-textButton"
            data-action="refresh-all"
            onClick={() => void this.model.refresh()}
          >
            {this._trans.__('Refresh all')}
          </button>
        </header>
        <LaunchSection {...props} />
        <LimitsSection {...props} />
        <PersistenceSection {...props} />
        <WorkSection {...props} />
        <EnvironmentSection {...props} />
        <SshSection {...props} />
        <ProjectsSection {...props} />
        <ResourcesSection {...props} />
      </div>
    );
  }
}
