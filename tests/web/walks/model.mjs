// Model lab: switches change the parameter count; attention heatmaps are drawn per head.
export async function walk(page, ctx) {
  await ctx.open('model');
  await ctx.until(() => document.querySelectorAll('#m-maps canvas').length === 8, null, 30_000, 'expected 2 layers x 4 heads of heatmaps');
  const p1 = await page.locator('[data-stat=params]').textContent();
  await page.locator('#m-ffn').selectOption('gelu_mlp');
  await ctx.until((p) => document.querySelector('[data-stat=params]')?.textContent !== p, p1, 10_000, 'the parameter count did not change with the FFN');
  await page.locator('#m-heads').fill('8');
  await page.locator('#m-kv').fill('8');
  await page.locator('#m-kv').dispatchEvent('change');
  await page.locator('#m-run').click();
  await ctx.until(() => document.querySelectorAll('#m-maps canvas').length === 16, null, 30_000, '8 heads x 2 layers of heatmaps expected');
  await ctx.shot('model');
}
