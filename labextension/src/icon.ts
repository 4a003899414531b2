import { LabIcon } from '@jupyterlab/ui-components';

/**
 * Three linked rings, drawn with strokes only. `jp-icon3` sits on the group that has a
 * `stroke` and no `fill` attribute: JupyterLab's `.jp-icon3[stroke]` rule recolours the
 * strokes for each theme, and no `.jp-icon3[fill]` rule can fill the rings.
 */
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24" fill="none">
  <g class="jp-icon3" stroke="#616161" stroke-width="2">
    <circle cx="12" cy="6.5" r="4"/>
    <circle cx="12" cy="17.5" r="4"/>
    <path d="M5 12h14"/>
  </g>
</svg>`;

export const binderIcon = new LabIcon({
  name: 'jupyter-binder-ext:binder',
  svgstr
});
