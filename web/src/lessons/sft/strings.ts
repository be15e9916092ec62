// The SFT, DPO, Paged KV and Run viewer labs read their text from the ALIGN-WEB block of
// web/src/i18n.ts (keys 'align.*', English and Chinese); tr('sft.title') = t('align.sft.title').
import { t, tf, type StringKey } from '../../i18n';

type AlignSuffix<K> = K extends `align.${infer S}` ? S : never;
export type AlignKey = AlignSuffix<StringKey>;

export function tr(key: AlignKey): string {
  return t(`align.${key}` as StringKey);
}

/** tr() with {name} placeholders filled in (see tf in i18n.ts). */
export function trf(key: AlignKey, vars: Record<string, string | number>): string {
  return tf(`align.${key}` as StringKey, vars);
}
