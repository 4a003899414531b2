/** "Resources": guarantee, limit and live usage of CPU, RAM and GPUs, from `GET limits`. */
import * as React from 'react';

import {
  formatBytes,
  formatCores,
  formatGB,
  formatSource,
  percent,
  trimNumber
} from '../format';
import { ILimits, IWarning } from '../tokens';
import {
  Bar,
  ISectionProps,
  Notice,
  Section,
  Warnings,
  useModel
} from './common';

/** Warn-colour a bar when the server raised a warning about that resource. */
function levelFor(warnings: IWarning[], words: string[]): 'ok' | 'warn' {
  return warnings.some(w =>
    words.some(word => (w.kind ?? '').toLowerCase().includes(word))
  )
    ? 'warn'
    : 'ok';
}

function Figure(props: {
  name: string;
  title: string;
  summary: React.ReactNode;
  children?: React.ReactNode;
}): JSX.Element {
  return (
    <div className="jp-BinderExt-figure" data-resource={props.name}>
      <div className="jp-BinderExt-figureHead">
        <span className="jp-BinderExt-figureName">{props.title}</span>
        <span className="jp-BinderExt-figureSummary">{props.summary}</span>
      </div>
      {props.children}
    </div>
  );
}

function CpuFigure(props: ISectionProps & { limits: ILimits }): JSX.Element {
  const { trans } = props;
  const { cpu, warnings } = props.limits;
  const used = cpu.used_cores;
  return (
    <Figure
      name="cpu"
      title={trans.__('CPU')}
      summary={
        <>
          <span data-figure="used">{formatCores(used)}</span>
          {' / '}
          <span data-figure="limit">{formatCores(cpu.limit)}</span>{' '}
          {trans.__('cores')}
        </>
      }
    >
      <Bar
        value={percent(used, cpu.limit)}
        mark={percent(cpu.guarantee, cpu.limit)}
        level={levelFor(warnings ?? [], ['cpu', 'throttl'])}
        title={trans.__(
          '%1 of %2 cores in use',
          formatCores(used),
          formatCores(cpu.limit)
        )}
      />
      <div className="jp-BinderExt-figureDetail">
        {trans.__('guaranteed')}{' '}
        <span data-figure="guarantee">{formatCores(cpu.guarantee)}</span>
        <Source source={cpu.guarantee_source} paren />
        {' · '}
        {trans.__('limit')} {formatCores(cpu.limit)}
        <Source source={cpu.limit_source} paren />
        {cpu.nr_throttled ? (
          <>
            {' · '}
            {trans.__('throttled %1 times', cpu.nr_throttled)}
          </>
        ) : null}
        <Source source={cpu.source} label={trans.__('usage from')} />
      </div>
    </Figure>
  );
}

function MemoryFigure(props: ISectionProps & { limits: ILimits }): JSX.Element {
  const { trans } = props;
  const { memory, warnings } = props.limits;
  // The working set is what the kubelet compares with the limit; fall back to usage.
  const current = memory.working_set ?? memory.used;
  return (
    <Figure
      name="memory"
      title={trans.__('RAM')}
      summary={
        <>
          <span data-figure="used">{formatGB(current)}</span>
          {' / '}
          <span data-figure="limit">{formatGB(memory.limit)}</span> GB
        </>
      }
    >
      <Bar
        value={percent(current, memory.limit)}
        mark={percent(memory.guarantee, memory.limit)}
        level={levelFor(warnings ?? [], ['mem', 'oom'])}
        title={trans.__(
          '%1 of %2 in use',
          formatBytes(current),
          formatBytes(memory.limit)
        )}
      />
      <div className="jp-BinderExt-figureDetail">
        {trans.__('guaranteed')}{' '}
        <span data-figure="guarantee">{formatGB(memory.guarantee)}</span> GB
        <Source source={memory.guarantee_source} paren />
        {' · '}
        {trans.__('limit')} {formatGB(memory.limit)} GB
        <Source source={memory.limit_source} paren />
        {memory.used !== null && memory.used !== current && (
          <>
            {' · '}
            {trans.__('%1 with file cache', formatBytes(memory.used))}
          </>
        )}
        {memory.oom_kills ? (
          <>
            {' · '}
            <span className="jp-BinderExt-warnText">
              {trans._n('%1 OOM kill', '%1 OOM kills', memory.oom_kills)}
            </span>
          </>
        ) : null}
        <Source source={memory.source} label={trans.__('usage from')} />
      </div>
    </Figure>
  );
}

function GpuFigure(props: ISectionProps & { limits: ILimits }): JSX.Element {
  const { trans } = props;
  const { gpu, warnings } = props.limits;
  const devices = gpu.devices ?? [];
  return (
    <Figure
      name="gpu"
      title={trans.__('GPU')}
      summary={
        <span data-figure="count">
          {gpu.count > 0 ? gpu.count : trans.__('none')}
        </span>
      }
    >
      {devices.map(device => (
        <div
          key={device.index}
          className="jp-BinderExt-gpu"
          data-gpu={device.index}
        >
          <div className="jp-BinderExt-figureDetail">
            #{device.index} {device.name}
            {device.utilization !== null &&
              device.utilization !== undefined && (
                <>
                  {' '}
                  · {trans.__('%1 % busy', trimNumber(device.utilization, 0))}
                </>
              )}
          </div>
          <Bar
            value={percent(device.memory_used, device.memory_total)}
            level={levelFor(warnings ?? [], ['gpu'])}
            title={trans.__(
              '%1 of %2 GPU memory in use',
              formatBytes(device.memory_used),
              formatBytes(device.memory_total)
            )}
          />
        </div>
      ))}
      <div className="jp-BinderExt-figureDetail">
        <Source source={gpu.source} />
      </div>
    </Figure>
  );
}

/** Where a figure came from, as the server names it. */
function Source(props: {
  source: ILimits['cpu']['source'] | undefined;
  paren?: boolean;
  label?: string;
}): JSX.Element | null {
  const text = formatSource(props.source);
  if (!text) {
    return null;
  }
  return (
    <span className="jp-BinderExt-source" title={text}>
      {props.paren
        ? ` (${text})`
        : ` · ${props.label ? `${props.label} ` : ''}${text}`}
    </span>
  );
}

export function ResourcesSection(props: ISectionProps): JSX.Element {
  const { model, trans } = props;
  useModel(model, ['limits']);
  return (
    <Section
      id="resources"
      title={trans.__('Resources')}
      state={model.section('limits')}
      trans={trans}
      onRefresh={() => void model.refresh('limits')}
    >
      {limits => (
        <>
          <CpuFigure {...props} limits={limits} />
          <MemoryFigure {...props} limits={limits} />
          <GpuFigure {...props} limits={limits} />
          <Warnings warnings={limits.warnings} />
          <Notice text={limits.notice} />
        </>
      )}
    </Section>
  );
}
