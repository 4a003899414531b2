/** Pieces every section uses: the frame with its loading and error states, bars, rows. */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { BinderAPIError } from '../handler';
import { IBinderModel, ISectionState, IWarning, SectionKey } from '../tokens';

export interface ISectionProps {
  model: IBinderModel;
  trans: TranslationBundle;
  /** The app's commands: buttons run the same commands as the palette. */
  commands: CommandRegistry;
}

/**
 * Re-render when the model says that one of `keys` changed.
 *
 * A passive effect runs a task or a frame after the first draw, and an answer landing in
 * between emitted to nobody: its section said "Loading…" for good. So the component listens
 * from the commit itself (a layout effect), and looks once at what changed since it drew.
 */
export function useModel(
  model: IBinderModel,
  keys: (SectionKey | 'actions')[]
): void {
  const [, setTick] = React.useState(0);
  // What this render read of each section.
  const drawn = keys.map(key =>
    key === 'actions' ? null : model.section(key)
  );
  const drawnRef = React.useRef(drawn);
  drawnRef.current = drawn;
  React.useLayoutEffect(() => {
    const onChange = (_: IBinderModel, key: SectionKey | 'actions') => {
      if (keys.includes(key)) {
        setTick(t => t + 1);
      }
    };
    model.changed.connect(onChange);
    const missed = keys.some((key, i) => {
      const before = drawnRef.current[i];
      const now = key === 'actions' ? null : model.section(key);
      return (
        before !== null &&
        now !== null &&
        (now.data !== before.data ||
          now.error !== before.error ||
          now.loading !== before.loading)
      );
    });
    if (missed) {
      setTick(t => t + 1);
    }
    return () => {
      model.changed.disconnect(onChange);
    };
  }, [model, keys.join(',')]);
}

/** An error answer: the server's message, plus the details a user can act on. */
export function ErrorBox(props: {
  error: BinderAPIError;
  trans: TranslationBundle;
}): JSX.Element {
  const { error, trans } = props;
  const details = error.details ?? {};
  const scopes: string[] = Array.isArray(details.missing_scopes)
    ? details.missing_scopes
    : Array.isArray(details.scopes)
      ? details.scopes
      : [];
  const config = typeof details.config === 'string' ? details.config : null;
  const output =
    typeof details.output === 'string'
      ? details.output
      : typeof details.stderr === 'string'
        ? details.stderr
        : null;
  return (
    <div className="jp-BinderExt-error" role="alert" data-error={error.code}>
      <div className="jp-BinderExt-errorMessage">{error.message}</div>
      {scopes.length > 0 && (
        <div className="jp-BinderExt-errorDetail">
          {trans.__('Scopes:')} <code>{scopes.join(', ')}</code>
        </div>
      )}
      {config && (
        <pre className="jp-BinderExt-errorDetail jp-BinderExt-code">
          {config}
        </pre>
      )}
      {output && (
        <pre className="jp-BinderExt-errorDetail jp-BinderExt-code">
          {output}
        </pre>
      )}
    </div>
  );
}

/**
 * The colour of a figure: from the level of the server's warnings about it (`figure`),
 * never from their wording. Info-level notes do not colour anything.
 */
export function figureLevel(
  warnings: IWarning[] | null | undefined,
  figure: string
): 'ok' | 'warn' | 'error' {
  const levels = (warnings ?? [])
    .filter(w => w.figure === figure)
    .map(w => w.level);
  return levels.includes('error')
    ? 'error'
    : levels.includes('warning')
      ? 'warn'
      : 'ok';
}

/** Server-side warnings, each with its kind and level as data attributes. */
export function Warnings(props: {
  warnings?: IWarning[] | null;
}): JSX.Element | null {
  const warnings = props.warnings ?? [];
  if (warnings.length === 0) {
    return null;
  }
  return (
    <ul className="jp-BinderExt-warnings">
      {warnings.map((w, i) => (
        <li
          key={i}
          className={`jp-BinderExt-warning jp-mod-${w.level}`}
          data-kind={w.kind}
          data-level={w.level}
        >
          {w.message}
        </li>
      ))}
    </ul>
  );
}

/** A neutral note from the server (e.g. "not under a hub", the deletion reminder). */
export function Notice(props: { text?: string | null }): JSX.Element | null {
  return props.text ? (
    <p className="jp-BinderExt-notice">{props.text}</p>
  ) : null;
}

/**
 * One collapsible section. Renders "loading" until the first answer, the server's error
 * when the call failed (above stale data if there was some), and `children` with the data.
 */
export function Section<T>(props: {
  id: string;
  title: string;
  state: ISectionState<T>;
  trans: TranslationBundle;
  onRefresh?: () => void;
  children: (data: T) => React.ReactNode;
}): JSX.Element {
  const { id, title, state, trans } = props;
  // The refresh button sits over the title row, beside the summary and not inside it: a
  // button inside the summary (itself a control) is a nested control to assistive tools.
  return (
    <div className="jp-BinderExt-sectionFrame" data-section={id}>
      <details className="jp-BinderExt-section" open>
        <summary className="jp-BinderExt-sectionTitle">
          <span className="jp-BinderExt-sectionName">{title}</span>
        </summary>
        <div className="jp-BinderExt-sectionBody" aria-busy={state.loading}>
          {state.error && <ErrorBox error={state.error} trans={trans} />}
          {state.data
            ? props.children(state.data)
            : !state.error && (
                <div className="jp-BinderExt-loading">
                  {trans.__('Loading…')}
                </div>
              )}
        </div>
      </details>
      {props.onRefresh && (
        <button
          type="button"
          className="jp-BinderExt-iconButton jp-BinderExt-sectionRefresh"
          data-refresh={id}
          title={trans.__('Refresh %1', title)}
          aria-label={trans.__('Refresh %1', title)}
          onClick={() => props.onRefresh?.()}
        >
          <refreshIcon.react tag="span" elementSize="small" />
        </button>
      )}
    </div>
  );
}

/** A label and a value; `title` says more on hover (where a figure came from). */
export function Row(props: {
  label: string;
  children: React.ReactNode;
  name?: string;
  title?: string;
}): JSX.Element {
  return (
    <div className="jp-BinderExt-row" data-row={props.name} title={props.title}>
      <span className="jp-BinderExt-label">{props.label}</span>
      <span className="jp-BinderExt-value">{props.children}</span>
    </div>
  );
}

/** A long path or name: shortened in the middle of the line, the whole of it on hover. */
export function LongText(props: {
  text: string;
  code?: boolean;
  name?: string;
}): JSX.Element {
  const Tag = props.code ? 'code' : 'span';
  return (
    <Tag
      className="jp-BinderExt-long"
      title={props.text}
      data-figure={props.name}
    >
      {props.text}
    </Tag>
  );
}

/**
 * A usage bar: `value` of `max`, with an optional mark at `mark` (the guarantee).
 * `level` colours it; the server decides what is worth a warning.
 */
export function Bar(props: {
  value: number;
  /** What the bar measures, for assistive tools (a meter needs a name). */
  label: string;
  mark?: number | null;
  title?: string;
  level?: 'ok' | 'warn' | 'error';
}): JSX.Element {
  const level = props.level ?? 'ok';
  return (
    <div
      className={`jp-BinderExt-bar jp-mod-${level}`}
      title={props.title}
      aria-label={props.label}
      aria-valuetext={props.title}
      role="meter"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(props.value)}
    >
      <div
        className="jp-BinderExt-barFill"
        style={{ width: `${props.value}%` }}
      />
      {props.mark !== null && props.mark !== undefined && props.mark > 0 && (
        <div
          className="jp-BinderExt-barMark"
          style={{ left: `${props.mark}%` }}
        />
      )}
    </div>
  );
}

/** An external link that opens in a new tab. */
export function ExternalLink(props: {
  href: string;
  children?: React.ReactNode;
}): JSX.Element {
  return (
    <a
      href={props.href}
      target="_blank"
      rel="noopener noreferrer"
      className="jp-BinderExt-link"
    >
      {props.children ?? props.href}
    </a>
  );
}

/** A small button in the JupyterLab style. */
export function ActionButton(props: {
  label: string;
  onClick: () => void;
  disabled?: boolean;
  kind?: 'accept' | 'warn' | 'default';
  title?: string;
  name?: string;
}): JSX.Element {
  const kind = props.kind ?? 'default';
  return (
    <button
      type="button"
      className={`jp-Button jp-mod-styled jp-mod-small jp-BinderExt-button jp-mod-${kind}`}
      onClick={props.onClick}
      disabled={props.disabled}
      title={props.title}
      data-action={props.name}
    >
      {props.label}
    </button>
  );
}

/** The outcome of an action: its message, or the error the server gave. */
export function ActionOutcome(props: {
  busy: boolean;
  result: {
    message?: string | null;
    next_step?: string | null;
    ok?: boolean;
  } | null;
  error: BinderAPIError | null;
  trans: TranslationBundle;
  name: string;
}): JSX.Element | null {
  const { busy, result, error, trans } = props;
  if (busy) {
    return (
      <div className="jp-BinderExt-outcome" data-outcome={props.name}>
        {trans.__('Working…')}
      </div>
    );
  }
  if (error) {
    return (
      <div data-outcome={props.name}>
        <ErrorBox error={error} trans={trans} />
      </div>
    );
  }
  if (result && (result.message || result.next_step)) {
    return (
      <div
        className={`jp-BinderExt-outcome ${result.ok === false ? 'jp-mod-warn' : ''}`}
        data-outcome={props.name}
      >
        {result.message && <div>{result.message}</div>}
        {result.next_step && (
          <div className="jp-BinderExt-muted">{result.next_step}</div>
        )}
      </div>
    );
  }
  return null;
}
