/** The status-bar item: `CPU 0.4/4 · RAM 1.1/8 GB`; a click opens the panel. */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { useModel } from './components/common';
import { formatCores, formatGB } from './format';
import { IBinderModel } from './model';

function StatusText(props: {
  model: IBinderModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  useModel(model, ['limits']);
  const { data, error } = model.section('limits');
  if (!data) {
    return (
      <span title={error ? error.message : trans.__('Reading the limits…')}>
        {error ? trans.__('Binder: no limits') : trans.__('Binder…')}
      </span>
    );
  }
  const { cpu, memory, gpu } = data;
  const current = memory.working_set ?? memory.used;
  const warn = (data.warnings ?? []).length > 0;
  const text =
    `CPU ${formatCores(cpu.used_cores)}/${formatCores(cpu.limit)} · ` +
    `RAM ${formatGB(current)}/${formatGB(memory.limit)} GB` +
    (gpu.count > 0 ? ` · GPU ${gpu.count}` : '');
  const title = [
    trans.__(
      'CPU cores in use / limit; RAM in use / limit. Click for details.'
    ),
    ...(data.warnings ?? []).map(w => w.message)
  ].join('\n');
  return (
    <span className={warn ? 'jp-BinderExt-warnText' : ''} title={title}>
      {text}
    </span>
  );
}

export class BinderStatus extends ReactWidget {
  constructor(
    private readonly _model: IBinderModel,
    private readonly _trans: TranslationBundle,
    onClick: () => void
  ) {
    super();
    this.addClass('jp-BinderExt-status');
    this.addClass('jp-mod-highlighted');
    this.node.addEventListener('click', onClick);
  }

  render(): JSX.Element {
    return <StatusText model={this._model} trans={this._trans} />;
  }
}
