// Tokenizer lab: train the three tokenizers on the built-in stories, compare, step teaching BPE.
export async function walk(page, ctx) {
  await ctx.open('tokenizer');
  await page.locator('#tok-stories').click();
  await ctx.until(() => document.querySelector('#tok-corpus').value.length > 1000, null, 60_000, 'the built-in stories did not load');
  await page.locator('#tok-vocab').fill('400');
  await page.locator('#tok-train').click();
  await ctx.until(() => document.querySelectorAll('#tok-compare .compare-row').length === 3, null, 120_000, 'the comparison of 3 tokenizers did not appear');
  const counts = await page.$$eval('#tok-compare [data-count]', (els) => els.map((e) => Number(e.getAttribute('data-count'))));
  if (counts.length !== 3 || counts.some((n) => !(n > 0))) ctx.fail(`bad token counts ${counts}`);
  // typing re-tokenizes
  await page.locator('#tok-input').fill('a cat');
  await ctx.until(() => Number(document.querySelector('#tok-compare [data-count]')?.getAttribute('data-count')) < 5, null, 10_000, 'retokenizing did not happen');
  // teaching BPE from the keyboard
  await page.locator('#teach-start').focus();
  await page.keyboard.press('Enter');
  await ctx.until(() => !document.querySelector('#teach-step').disabled, null, 30_000, 'teaching BPE did not start');
  await page.locator('#teach-10').click();
  await ctx.until(() => document.querySelectorAll('#teach-merges li').length === 10, null, 30_000, '10 merges were not listed');
  await ctx.shot('tokenizer');
}
