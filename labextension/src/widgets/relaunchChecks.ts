/**
 * The relaunch dialog's body: what the relaunch does, and the environment's checks (what
 * would fail or surprise the new commit's build), as `GET environment` says them.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { ICheck } from '../tokens';

export class RelaunchConfirm extends Widget {
  /** `checks` null: the environment could not be read (`problem` says why). */
  constructor(
    text: string,
    checks: ICheck[] | null,
    problem: string,
    trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-BinderExt-confirm');
    this.node.setAttribute('data-dialog', 'relaunch');
    const intro = document.createElement('p');
    intro.textContent = text;
    this.node.append(intro, checksPart(checks, problem, trans));
  }
}

function checksPart(
  checks: ICheck[] | null,
  problem: string,
  trans: TranslationBundle
): HTMLElement {
  const part = document.createElement('div');
  part.setAttribute('data-part', 'environment-checks');
  const head = document.createElement('p');
  part.append(head);
  if (checks === null) {
    head.textContent = trans.__(
      'The environment files could not be checked before the build: %1',
      problem
    );
    return part;
  }
  const problems = checks.filter(c => c.level !== 'info');
  head.textContent =
    problems.length === 0
      ? trans.__('The environment files show no problem for the next build.')
      : trans.__(
          'Before the next build, the environment files have %1 problem(s):',
          problems.length
        );
  if (checks.length > 0) {
    const list = document.createElement('ul');
    list.className = 'jp-BinderExt-warnings';
    list.setAttribute('data-list', 'checks');
    list.append(...checks.map(checkItem));
    part.append(list);
  }
  return part;
}

function checkItem(check: ICheck): HTMLLIElement {
  const item = document.createElement('li');
  const mod = check.level === 'info' ? 'info' : check.level;
  item.className = `jp-BinderExt-warning jp-mod-${mod}`;
  item.setAttribute('data-level', check.level);
  item.setAttribute('data-file', check.file);
  const where = document.createElement('code');
  where.textContent = check.file + (check.line ? `:${check.line}` : '');
  item.append(where, ` ${check.message}`);
  return item;
}
