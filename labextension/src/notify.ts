/**
 * Notifications: how an action's outcome reaches the user when the panel does not show it.
 *
 * Each outcome is told once: the panel shows the outcomes of its own actions inline, so a
 * toast is raised only when the panel is hidden (or for actions with no place in it).
 */
import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { ActionKey, IBinderModel } from './tokens';

/**
 * The action under which the Projects list keeps the outcome of the last deletion: the
 * deleted project's row is gone, so the list itself tells it (an empty project name).
 */
export const REMOVED_PROJECT: ActionKey = 'project:';

/** A toast for an outcome: success, or a warning when `ok` is false. */
export function notify(message: string | null | undefined, ok = true): void {
  if (!message) {
    return;
  }
  if (ok) {
    Notification.success(message, { autoClose: 5000 });
  } else {
    Notification.warning(message, { autoClose: 8000 });
  }
}

/** A toast for a failure: the server's own message. */
export function notifyError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  Notification.error(message, { autoClose: 10000 });
}

/** Tell an outcome the panel shows inline only when the panel is hidden. */
export function notifyUnlessShown(
  model: IBinderModel,
  message: string | null | undefined,
  ok = true
): void {
  if (!model.panelVisible) {
    notify(message, ok);
  }
}

/** The same for a failure. */
export function notifyErrorUnlessShown(
  model: IBinderModel,
  error: unknown
): void {
  if (!model.panelVisible) {
    notifyError(error);
  }
}

/** Open a URL in a new tab; when the browser blocks it, a toast offers the link. */
export function openInNewTab(
  url: string,
  trans: TranslationBundle,
  message?: string
): boolean {
  // Not 'noopener' in the features: with it window.open always returns null.
  const opened = window.open(url, '_blank');
  if (opened) {
    opened.opener = null;
    return true;
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
  return false;
}
