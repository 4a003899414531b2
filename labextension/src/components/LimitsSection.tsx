/** "Limits": guarantee, limit and live usage of CPU, RAM and GPUs, from `GET limits`. */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  formatBytes,
  formatCores,
  formatGB,
  percent,
  trimNumber
} from '../format';
import { ILimitsAnswer } from '../tokens';
import {
  Bar,
  ISectionProps,
  Notice,
  Section,
  Warnings,
  figureLevel,
  useModel
} from './common';

/** Where each figure came from, as the server names it: said on hover, not in the line. */
function provenance(
  trans: TranslationBundle,
  sources: [string, string | null | undefined][]
): string {
  return sources
    .filter(([, source]) => source && source !== 'none')
    .map(([what, source]) => trans.__('%1 from: %2', what, source ?? ''))
    .join('\n');
}

function Figure(props: {
  name: string;
  title: string;
  summary: React.ReactNode;
  hover?: string;
  children?: React.ReactNode;
}): JSX.Element {
  return (
    <div
      className="jp-BinderExt-figure"
      data-resource={props.name}
      title={props.hover || undefined}
    >
      <div className="jp-BinderExt-figureHead">
        <span className="jp-BinderExt-figureName">{props.title}</span>
        <span className="jp-BinderExt-figureSummary">{props.summary}</span>
      </div>
      {props.children}
    </div>
  );
}

/** "guaranteed 1 · limit 4": only the figures that are known. */
function Details(props: { parts: (React.ReactNode | null)[] }): JSX.Element {
  const parts = props.parts.filter(part => part !== null && part !== false);
  return (
    <div className="jp-BinderExt-figureDetail">
      {parts.map((part, i) => (
        <React.Fragment key={i}>
          {i > 0 && ' · '}
          {part}
        </React.Fragment>
      ))}
    </div>
  );
}

function CpuFigure(
  props: ISectionProps & { limits: ILimitsAnswer }
): JSX.Element {
  const { trans } = props;
  const { cpu, warnings } = props.limits;
  const used = cpu.used_cores;
  return (
    <Figure
      name="cpu"
      title={trans.__('CPU')}
      hover={provenance(trans, [
        [trans.__('usage'), cpu.source],
        [trans.__('guarantee'), cpu.guarantee_source],
        [trans.__('limit'), cpu.limit_source]
      ])}
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
        label={trans.__('CPU in use')}
        mark={percent(cpu.guarantee, cpu.limit)}
        level={figureLevel(warnings, 'cpu')}
        title={trans.__(
          '%1 of %2 cores in use',
          formatCores(used),
          formatCores(cpu.limit)
        )}
      />
      <Details
        parts={[
          cpu.guarantee !== null ? (
            <>
              {trans.__('guaranteed')}{' '}
              <span data-figure="guarantee">{formatCores(cpu.guarantee)}</span>
            </>
          ) : null,
          cpu.nr_throttled
            ? trans._n(
                'slowed at the limit once',
                'slowed at the limit %1 times',
                cpu.nr_throttled
              )
            : null
        ]}
      />
    </Figure>
  );
}

function MemoryFigure(
  props: ISectionProps & { limits: ILimitsAnswer }
): JSX.Element {
  const { trans } = props;
  const { memory, warnings } = props.limits;
  // The server says which figure is "in use" (the working set where the kernel has one).
  const current = memory.in_use;
  const withCache =
    memory.used !== null && memory.used !== current
      ? trans.__(
          '%1 counting file cache the kernel can reclaim.',
          formatBytes(memory.used)
        )
      : '';
  return (
    <Figure
      name="memory"
      title={trans.__('RAM')}
      hover={[
        provenance(trans, [
          [trans.__('usage'), memory.source],
          [trans.__('guarantee'), memory.guarantee_source],
          [trans.__('limit'), memory.limit_source]
        ]),
        withCache
      ]
        .filter(Boolean)
        .join('\n')}
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
        label={trans.__('RAM in use')}
        mark={percent(memory.guarantee, memory.limit)}
        level={figureLevel(warnings, 'memory')}
        title={trans.__(
          '%1 of %2 in use',
          formatBytes(current),
          formatBytes(memory.limit)
        )}
      />
      <Details
        parts={[
          memory.guarantee !== null ? (
            <>
              {trans.__('guaranteed')}{' '}
              <span data-figure="guarantee">{formatGB(memory.guarantee)}</span>{' '}
              GB
            </>
          ) : null,
          memory.oom_kills ? (
            <span className="jp-BinderExt-warnText">
              {trans._n(
                '%1 process killed for lack of memory',
                '%1 processes killed for lack of memory',
                memory.oom_kills
              )}
            </span>
          ) : null
        ]}
      />
    </Figure>
  );
}

function GpuFigure(
  props: ISectionProps & { limits: ILimitsAnswer }
): JSX.Element {
  const { trans } = props;
  const { gpu, warnings } = props.limits;
  const devices = gpu.devices ?? [];
  return (
    <Figure
      name="gpu"
      title={trans.__('GPU')}
      // Why there is none (no driver, no library) is for the curious: on hover only.
      hover={gpu.source ? trans.__('GPUs from: %1', gpu.source) : ''}
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
            #{device.index} {device.name ?? trans.__('unknown model')}
            {device.utilization !== null && (
              <> · {trans.__('%1 % busy', trimNumber(device.utilization, 0))}</>
            )}
          </div>
          <Bar
            value={percent(device.memory_used, device.memory_total)}
            label={trans.__('GPU memory in use')}
            level={figureLevel(warnings, 'gpu')}
            title={trans.__(
              '%1 of %2 GPU memory in use',
              formatBytes(device.memory_used),
              formatBytes(device.memory_total)
            )}
          />
        </div>
      ))}
    </Figure>
  );
}

export function LimitsSection(props: ISectionProps): JSX.Element {
  const { model, trans } = props;
  useModel(model, ['limits']);
  return (
    <Section
      id="limits"
      title={trans.__('Limits')}
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
