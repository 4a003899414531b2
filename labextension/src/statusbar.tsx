/**
 * The status-bar item: `CPU 0.4/4 · RAM 1.1/8 GB`; a click opens the panel.
 *
 * When jupyter-resource-usage shows its own memory item, ours leaves RAM out and shows
 * what that item lacks: CPU against the limit, GPUs, throttling, the deletion date of
 * this server. The `statusBarMemory` setting can force either way.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { useModel } from './components/common';
import { formatCores, formatGB, formatSpan } from './format';
import { IBinderModel } from './tokens';

/** The plugin of jupyter-resource-usage (1.x) that puts `Mem: …` in the status bar. */
export const RESOURCE_USAGE_PLUGINS = [
  '@jupyter-server/resource-usage:status-item'
];

export type MemoryChoice = 'auto' | 'show' | 'hide';

function StatusText(props: {
  model: IBinderModel;
  trans: TranslationBundle;
  showMemory: () => boolean;
}): JSX.Element {
  const { model, trans } = props;
  useModel(model, ['limits', 'projects']);
  const { data, error } = model.section('limits');
  if (!data) {
    return (
      <span title={error ? error.message : trans.__('Reading the limits…')}>
        {error ? trans.__('Binder: no limits') : trans.__('Binder…')}
      </span>
    );
  }
  const { cpu, memory, gpu } = data;
  const parts = [
    `CPU ${formatCores(cpu.used_cores)}/${formatCores(cpu.limit)}`
  ];
  const showMemory = props.showMemory();
  if (showMemory) {
    parts.push(`RAM ${formatGB(memory.in_use)}/${formatGB(memory.limit)} GB`);
  }
  if (gpu.count > 0) {
    parts.push(`GPU ${gpu.count}`);
  }
  if (cpu.throttled) {
    parts.push(trans.__('slowed'));
  }
  const here = model
    .section('projects')
    .data?.servers.find(server => server.is_current);
  if (here && here.expires_in !== null && here.deletion_near) {
    parts.push(trans.__('deleted %1', formatSpan(here.expires_in)));
  }
  // The server says which warnings matter; the item is coloured when any does.
  const warn = data.warnings.some(w => w.level !== 'info');
  const title = [
    showMemory
      ? trans.__(
          'CPU cores in use / limit; RAM in use / limit. Click for details.'
        )
      : trans.__('CPU cores in use / limit. Click for details.'),
    ...data.warnings.map(w => w.message)
  ].join('\n');
  return (
    <span
      className={warn ? 'jp-BinderExt-warnText' : ''}
      title={title}
      data-memory={showMemory ? 'shown' : 'left-out'}
    >
      {parts.join(' · ')}
    </span>
  );
}

export class BinderStatus extends ReactWidget {
  constructor(
    private readonly _model: IBinderModel,
    private readonly _trans: TranslationBundle,
    private readonly _showMemory: () => boolean,
    onClick: () => void
  ) {
    super();
    this.addClass('jp-BinderExt-status');
    this.addClass('jp-mod-highlighted');
    this.node.addEventListener('click', onClick);
  }

  render(): JSX.Element {
    return (
      <StatusText
        model={this._model}
        trans={this._trans}
        showMemory={this._showMemory}
      />
    );
  }
}
