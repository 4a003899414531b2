import { LabIcon } from '@jupyterlab/ui-components';

/** A rocket-free mark for the panel: three linked rings, as in the Binder logo's spirit. */
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="none" stroke="#616161" stroke-width="2">
    <circle cx="12" cy="6.5" r="4"/>
    <circle cx="12" cy="17.5" r="4"/>
    <path d="M5 12h14"/>
  </g>
</svg>`;

export const binderIcon = new LabIcon({
  name: 'jupyter-binder-ext:binder',
  svgstr
});
