/** The bodies of the extension's dialogs: what will happen, and what confirms it. */
import { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { formatRelative } from '../format';
import { IDeletableProject } from '../tokens';

function paragraph(text: string): HTMLParagraphElement {
  const p = document.createElement('p');
  p.textContent = text;
  return p;
}

/**
 * Asks for a name before a destructive action: the dialog's accept button stays disabled
 * (and Enter does nothing) until the typed text is exactly `expected`.
 */
export class TypeToConfirm extends Widget {
  constructor(text: string, expected: string, placeholder: string) {
    super();
    this.addClass('jp-BinderExt-confirm');
    this._expected = expected;
    this._input = document.createElement('input');
    this._input.className = 'jp-mod-styled';
    this._input.placeholder = placeholder;
    this._input.setAttribute('data-expected', expected);
    this._input.setAttribute('aria-label', placeholder);
    this.node.append(paragraph(text), this._input);
    this._input.addEventListener('input', () => this._sync());
  }

  /**
   * The dialog accepts on Enter in a capturing listener of its own node: an unconfirmed
   * Enter is stopped before it, on the document, so it does nothing at all.
   */
  handleEvent(event: Event): void {
    if (
      event.type === 'keydown' &&
      (event as KeyboardEvent).key === 'Enter' &&
      event.target === this._input &&
      !this.confirmed
    ) {
      event.preventDefault();
      event.stopPropagation();
    }
  }

  get confirmed(): boolean {
    return this.getValue() === this._expected;
  }

  getValue(): string {
    return this._input.value.trim();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    document.addEventListener('keydown', this, true);
    this._sync();
    this._input.focus();
  }

  protected onBeforeDetach(msg: Message): void {
    document.removeEventListener('keydown', this, true);
    super.onBeforeDetach(msg);
  }

  /** The dialog's warn (accept) button follows the confirmation. */
  private _sync(): void {
    const dialog = this.node.closest('.jp-Dialog-content');
    const accept = dialog?.querySelector<HTMLButtonElement>(
      '.jp-Dialog-button.jp-mod-warn'
    );
    if (accept) {
      accept.disabled = !this.confirmed;
    }
  }

  private _expected: string;
  private _input: HTMLInputElement;
}

/** The server's message and a choice among the projects it offers for deletion. */
export class ChooseProject extends Widget {
  constructor(
    message: string,
    projects: IDeletableProject[],
    trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-BinderExt-confirm');
    this._select = document.createElement('select');
    this._select.className = 'jp-mod-styled';
    // In the server's order: stopped ones first, then the longest idle.
    for (const project of projects) {
      const option = document.createElement('option');
      option.value = project.name;
      // The server's words for what sets it apart (ref @ commit · resources · name).
      const started = project.stopped
        ? trans.__(
            'stopped, last active %1',
            formatRelative(project.last_activity)
          )
        : trans.__('started %1', formatRelative(project.started));
      option.textContent =
        `${project.display_name || project.name}` +
        (project.tells_apart ? ` — ${project.tells_apart}` : '') +
        ` (${started})`;
      option.title = project.name;
      this._select.append(option);
    }
    this.node.append(paragraph(message), this._select);
  }
  getValue(): string {
    return this._select.value;
  }
  private _select: HTMLSelectElement;
}
