// The web app's form starts at the defaults the pipeline declares (APP_DEFAULTS), which are the CLI's: the same LCD
// budget and width as `fit`, the same measurement-model steps, the same refusal of targets outside the gene panel.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { APP_DEFAULTS } from '../src/app/pipeline.ts';
import { LCD_DEFAULTS } from '../src/lcd/hyperparameters.ts';
import { PRIOR_DEFAULTS } from '../src/measurement/prior.ts';

const html = readFileSync(new URL('../src/app/index.html', import.meta.url), 'utf8');
const inputValue = (id: string) => new RegExp(`<input id="${id}"[^>]*value="([^"]*)"`).exec(html)?.[1];
/** A select's first option (what the page starts with). */
const firstOption = (id: string) =>
  new RegExp(`<select id="${id}">\\s*<option(?: value="([^"]*)")?>([^<]*)<`).exec(html)?.slice(1).find(Boolean);

describe('web app defaults', () => {
  it('are the CLI defaults', () => {
    expect(APP_DEFAULTS.steps).toBe(LCD_DEFAULTS.steps);
    expect(APP_DEFAULTS.hidden).toBe(LCD_DEFAULTS.hidden);
    expect(APP_DEFAULTS.priorSteps).toBe(PRIOR_DEFAULTS.steps);
    expect(APP_DEFAULTS.unmeasuredTargets).toBe('error');
    expect(APP_DEFAULTS.measurement).toBe('zip');
  });
  it('fill the page form', () => {
    expect(inputValue('steps')).toBe(String(APP_DEFAULTS.steps));
    expect(inputValue('hidden')).toBe(String(APP_DEFAULTS.hidden));
    expect(inputValue('n-genes')).toBe(String(APP_DEFAULTS.nGenes));
    expect(inputValue('min-cells')).toBe(String(APP_DEFAULTS.minCellsPerGene));
    expect(inputValue('seed')).toBe(String(APP_DEFAULTS.seed));
    expect(inputValue('prior-steps')).toBe(String(APP_DEFAULTS.priorSteps));
    expect(firstOption('unmeasured')).toBe(APP_DEFAULTS.unmeasuredTargets);
    expect(firstOption('measurement')).toBe(APP_DEFAULTS.measurement);
  });
});
