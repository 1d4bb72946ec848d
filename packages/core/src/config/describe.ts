import type { EffectiveConfig } from './options.js';
import type { ResolvedSetting, SettingSource } from './resolve-setting.js';

export function formatSource(source: SettingSource): string {
  switch (source.kind) {
    case 'default':
      return 'default';
    case 'env':
      return `env ${source.variable}`;
    case 'code':
      return `code ${source.option}`;
  }
}

/**
 * One line per setting: its option path, effective value and source. A section that is off
 * shows as `off` and hides its settings; an object value (a Discovery) shows its class name.
 */
export function describeSettings(
  config: EffectiveConfig,
  settings: readonly ResolvedSetting[],
): string {
  const lines: string[] = [];
  for (const s of settings) {
    const section = s.def.section;
    const off =
      section !== undefined && (config as unknown as Record<string, unknown>)[section] === false;
    if (off && s.def.path.length > 1) continue;
    const name = s.def.path.join('.');
    let shown: string;
    if (section !== undefined && s.def.path.length === 1) shown = off ? 'off' : 'on';
    else if (s.value === undefined) shown = '(unset)';
    else if (typeof s.value === 'object' && s.value !== null && !Array.isArray(s.value))
      shown = `(${s.value.constructor?.name ?? 'object'})`;
    else shown = s.def.format(s.value as never);
    lines.push(`${name.padEnd(38)} ${shown.padEnd(22)} ${formatSource(s.source)}`);
  }
  return lines.join('\n');
}
