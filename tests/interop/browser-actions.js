// Replies, reactions, edits and deletions between two browser guests, and a guest that catches up on the changes
// made while its connection was cut (crates/banter-cli/tests/browser.rs drives the host, the proxy that cuts Bert's
// connection, and Carl, a Rust client):
//   1. Bert answers Ann's message with Reply; Ann sees the quote and the count of replies.
//   2. Ann reacts to the reply from the picker; Bert adds his own reaction and takes it back by clicking it.
//   3. Ann edits her message with Up in the empty composer; Bert sees it edited.
//   3b. Ann mentions Bert with @ and Tab; his copy of the message stands out.
//   3c. Text Bert selected stays selected, in the same row, while Ann types and sends.
//   4. While Bert is cut off, Carl changes more of his messages than a page holds (reactions, edits, a deletion);
//      once back, Bert's page shows each of them as it is now.
//   5. Bert deletes his reply; Ann sees the tombstone, and the count of replies goes.
//   6. Hostile text from Ann runs no script, injects no element and does not widen Bert's page.
//   7. Bert searches, sees the matching words marked, and a hit opens its message.
//   8. Reading the lobby in one of Bert's tabs clears its unread badge in his other tab.
//   8b. The same for a direct message; in it, Bert reacts and replies, and Ann edits with Up.
//   9. The lobby's notification level Bert sets in one tab shows in his other tabs, not in Ann's.
//  10. Ann's chat screen breaks no serious or critical accessibility rule (axe-core), light and dark.
// Usage: node browser-actions.js ANN_URL BERT_URL SCREENSHOTS_FOLDER. Reads "posted", "cut", "restored" on stdin; prints "step NAME"
// lines, then "actions ok".
const { WAIT_MS, launch, step, joinAs, say, sees, scrollBack, scrollUpTo, scrollToEnd, seriousAccessibilityViolations, stdinCommands, run } = require('./browser-common');

const [annUrl, bertUrl, screenshots] = process.argv.slice(2);
const command = stdinCommands();

const row = (page, text) => page.getByTestId('message').filter({ hasText: text }).first();

/** Shows a message's actions as a user does, by moving the pointer over it, and presses one. */
async function act(page, text, action) {
  const message = row(page, text);
  await message.hover();
  await message.getByTestId(action).click();
}

async function main() {
  const browser = await launch();
  try {
    const ann = await joinAs(await browser.newContext(), annUrl, 'Ann', { width: 1000, height: 700 });
    const bert = await joinAs(await browser.newContext(), bertUrl, 'Bert', { width: 1000, height: 700 });
    await say(ann, 'Lunch at noon?');
    await sees(bert, 'Lunch at noon?');

    await act(bert, 'Lunch at noon?', 'action-reply');
    await bert.getByTestId('composer-context').getByText('Replying to', { exact: false }).waitFor({ timeout: WAIT_MS });
    await say(bert, 'Works for me');
    const reply = row(ann, 'Works for me');
    await reply.getByTestId('quote').getByText('Lunch at noon?').waitFor({ timeout: WAIT_MS });
    await row(ann, 'Lunch at noon?').getByTestId('reply-count').getByText('1 reply').waitFor({ timeout: WAIT_MS });
    step('replied');

    await act(ann, 'Works for me', 'action-react');
    await ann.getByTestId('emoji-picker').locator('[data-emoji="🎉"]').click();
    const party = row(bert, 'Works for me').locator('[data-testid=reaction][data-emoji="🎉"]');
    await party.getByText('🎉 1').waitFor({ timeout: WAIT_MS });
    if ((await party.getAttribute('title')) !== 'Ann') throw new Error(`who reacted: ${await party.getAttribute('title')}`);
    await party.click();
    await party.getByText('🎉 2').waitFor({ timeout: WAIT_MS });
    await party.click();
    await row(ann, 'Works for me').locator('[data-testid=reaction][data-emoji="🎉"]').getByText('🎉 1').waitFor({ timeout: WAIT_MS });
    step('reacted');
    // On a touch screen there is no hover: holding a finger on the reaction shows who reacted, and does not toggle it.
    const annsParty = row(ann, 'Works for me').locator('[data-testid=reaction][data-emoji="🎉"]');
    await annsParty.dispatchEvent('pointerdown', { pointerType: 'touch', isPrimary: true });
    await row(ann, 'Works for me').getByTestId('reactors').getByText('🎉 Ann').waitFor({ timeout: WAIT_MS });
    await annsParty.dispatchEvent('pointerup', { pointerType: 'touch', isPrimary: true });
    await annsParty.dispatchEvent('click');
    await ann.waitForTimeout(300);
    if ((await annsParty.textContent()) !== '🎉 1') throw new Error(`a long press toggled the reaction: ${await annsParty.textContent()}`);
    step('reactors');

    await ann.getByTestId('composer').press('ArrowUp');
    await ann.getByTestId('composer-context').getByText('Editing your message', { exact: false }).waitFor({ timeout: WAIT_MS });
    const editing = await ann.getByTestId('composer').inputValue();
    if (editing !== 'Lunch at noon?') throw new Error(`Up put ${JSON.stringify(editing)} in the composer`);
    await say(ann, 'Lunch at 12:30?');
    await row(bert, 'Lunch at 12:30?').getByTestId('edited').waitFor({ timeout: WAIT_MS });
    // The reply's quote follows the message it answers.
    await row(bert, 'Works for me').getByTestId('quote').getByText('Lunch at 12:30?').waitFor({ timeout: WAIT_MS });
    step('edited');

    // @ offers the names that start with what follows it; Tab takes one. Bert's copy stands out for him.
    await ann.getByTestId('composer').pressSequentially('@Be');
    await ann.getByTestId('mention-option').getByText('@Bert').waitFor({ timeout: WAIT_MS });
    await ann.getByTestId('composer').press('Tab');
    const written = await ann.getByTestId('composer').inputValue();
    if (written !== '@Bert ') throw new Error(`the mention wrote ${JSON.stringify(written)}`);
    await ann.getByTestId('composer').pressSequentially('your turn');
    await ann.getByTestId('composer').press('Enter');
    const mentioned = row(bert, 'your turn');
    await mentioned.locator('[data-testid=mention].me').getByText('@Bert').waitFor({ timeout: WAIT_MS });
    if (!(await mentioned.evaluate((element) => element.classList.contains('mentions-me')))) throw new Error('the mention does not stand out');
    if (await row(ann, 'your turn').evaluate((element) => element.classList.contains('mentions-me'))) throw new Error('the author sees it as a mention of herself');
    step('mentioned');

    // What Bert selected stays selected while Ann types and sends: rows already shown are left as they are.
    await row(bert, 'Lunch at 12:30?').evaluate((element) => {
      element.dataset.kept = 'yes';
      document.getSelection().selectAllChildren(element.querySelector('.message-text'));
    });
    await ann.getByTestId('composer').pressSequentially('still selected?');
    await bert.getByTestId('typing').getByText('Ann is typing', { exact: false }).waitFor({ timeout: WAIT_MS });
    await ann.getByTestId('composer').press('Enter');
    await sees(bert, 'still selected?');
    const kept = await bert.evaluate(() => ({
      selected: document.getSelection().toString(),
      same: document.querySelector('[data-kept=yes]') !== null,
    }));
    if (!kept.selected.startsWith('Lunch at 12:30?') || !kept.same) throw new Error(`after others typed and sent: ${JSON.stringify(kept)}`);
    step('selection-kept');

    await command('posted');
    await sees(bert, 'carl 120');
    console.log('step carl-seen');
    await command('cut');
    await bert.getByTestId('banner').getByText('Connection lost', { exact: false }).waitFor({ timeout: WAIT_MS });
    step('cut');
    await command('restored');
    // Every one of Carl's 120 messages as it is now: 👍 on each but the deleted one, two edited, one a tombstone.
    // The page keeps a window of the lobby's rows, so they are read by scrolling back, until the last change is in
    // (a bounded number of times).
    await sees(bert, 'filler 110');
    let caught = null;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const carls = (await scrollBack(bert)).filter((each) => /^carl \d+/.test(each.text) || (each.deleted && each.seq > 0));
      caught = {
        thumbs: carls.filter((each) => each.reactions.includes('👍')).length,
        first: carls.some((each) => each.text.startsWith('carl 1, edited') && each.edited),
        last: carls.some((each) => each.text.startsWith('carl 120, edited') && each.edited),
        tombstones: carls.filter((each) => each.deleted).length,
        deletedShown: carls.some((each) => each.text === 'carl 2'),
      };
      if (caught.thumbs === 119 && caught.first && caught.last && caught.tombstones === 1 && !caught.deletedShown) break;
      await bert.getByTestId('messages').evaluate((element) => element.scrollTo(0, element.scrollHeight));
      await bert.waitForTimeout(500);
    }
    if (!(caught.thumbs === 119 && caught.first && caught.last && caught.tombstones === 1 && !caught.deletedShown)) {
      throw new Error(`after the catch-up: ${JSON.stringify(caught)}`);
    }
    await scrollToEnd(bert);
    step('caught-up');

    // Bert's reply is older than the window of rows the page keeps now: he scrolls up to it.
    await scrollUpTo(bert, 'Works for me');
    await act(bert, 'Works for me', 'action-delete');
    await bert.getByTestId('delete-message-yes').click();
    await scrollUpTo(ann, 'Lunch at 12:30?');
    await ann.locator('[data-testid=tombstone]').getByText('message deleted').first().waitFor({ timeout: WAIT_MS });
    await row(ann, 'Lunch at 12:30?').getByTestId('reply-count').waitFor({ state: 'detached', timeout: WAIT_MS });
    step('deleted');
    await scrollToEnd(bert);
    // Ann is still far up: a message that comes now is counted on the way back down, which takes her there.
    await say(bert, 'Still up there, Ann?');
    await ann.getByTestId('jump-latest').getByText('1 new message').waitFor({ timeout: WAIT_MS });
    await ann.getByTestId('jump-latest').click();
    await sees(ann, 'Still up there, Ann?');
    await ann.getByTestId('jump-latest').waitFor({ state: 'hidden', timeout: WAIT_MS });
    step('jump-latest');

    // Hostile text: markup stays text, no script runs, an odd scheme is no link, a direction control does not
    // reverse what follows, and a 3,900-character word does not widen the page.
    const hostile = `<img src=x onerror="window.pwned=1">**bold** javascript:alert(1) a\u202Eevil ${'w'.repeat(3900)}`;
    await say(ann, hostile);
    const shown = row(bert, '**bold**').or(row(bert, 'javascript:alert(1)'));
    await shown.first().waitFor({ timeout: WAIT_MS });
    const verdict = await bert.evaluate(() => {
      const messages = document.querySelector('[data-testid=messages]');
      const last = [...document.querySelectorAll('[data-testid=message]')].pop();
      return {
        pwned: 'pwned' in window,
        images: last.querySelectorAll('img').length,
        links: last.querySelectorAll('a').length,
        bold: last.querySelector('strong')?.textContent ?? null,
        reversed: /\u202E/.test(last.textContent),
        wide: document.documentElement.scrollWidth > window.innerWidth || messages.scrollWidth > messages.clientWidth,
      };
    });
    const wanted = { pwned: false, images: 0, links: 0, bold: 'bold', reversed: false, wide: false };
    if (JSON.stringify(verdict) !== JSON.stringify(wanted)) throw new Error(`hostile text: ${JSON.stringify(verdict)}`);
    step('hostile');

    // Search (Ctrl+K): the matching words marked; a hit opens its message, scrolled to and marked.
    await bert.keyboard.press('Control+k');
    await bert.getByTestId('search-input').fill('carl 7');
    const hit = bert.getByTestId('search-hit').filter({ hasText: 'carl 7' }).first();
    await hit.locator('mark').first().waitFor({ timeout: WAIT_MS });
    await bert.screenshot({ path: `${screenshots}/search.png` });
    const seq = await hit.getAttribute('data-seq');
    await hit.click();
    await bert.locator(`[data-testid=message][data-seq="${seq}"].highlight`).waitFor({ timeout: WAIT_MS });
    if (!(await bert.getByTestId('search-panel').isHidden())) throw new Error('the search stayed open after a pick');
    await bert.keyboard.press('Control+k');
    await bert.getByTestId('search-input').fill('"NEAR(');
    await bert.getByTestId('search-status').getByText('Nothing found', { exact: false }).waitFor({ timeout: WAIT_MS });
    await bert.getByTestId('search-input').press('Escape');
    step('searched');

    // Read state follows the user: both of Bert's tabs have a direct message open, so a lobby message counts as
    // unread in both; reading the lobby in one clears it in the other.
    await bert.getByTestId('member-Ann').click();
    await bert.getByTestId('conversation-title').getByText('Ann').waitFor({ timeout: WAIT_MS });
    const bertTab = await joinAs(bert.context(), bertUrl, 'Bert', { width: 1000, height: 700 });
    await bertTab.getByTestId('member-Ann').click();
    await bertTab.getByTestId('conversation-title').getByText('Ann').waitFor({ timeout: WAIT_MS });
    await say(ann, 'read me once');
    const lobbyBadge = bertTab.getByTestId('conversation-lobby').locator('.badge');
    await lobbyBadge.getByText('1').waitFor({ timeout: WAIT_MS });
    await bertTab.waitForFunction(() => document.title === '(1) Banter', null, { timeout: WAIT_MS });
    await bert.getByTestId('conversation-lobby').locator('.badge').getByText('1').waitFor({ timeout: WAIT_MS });
    await bert.getByTestId('conversation-lobby').click();
    await sees(bert, 'read me once');
    await lobbyBadge.waitFor({ state: 'detached', timeout: WAIT_MS });
    await bertTab.waitForFunction(() => document.title === 'Banter', null, { timeout: WAIT_MS });
    step('read-elsewhere');

    // Direct messages are read, reacted to, answered and edited as in a room: a direct message read in one of
    // Bert's tabs is read in the other, and each change reaches the other person.
    await bertTab.getByTestId('conversation-lobby').click();
    await ann.getByTestId('member-Bert').click();
    await ann.getByTestId('conversation-title').getByText('Bert').waitFor({ timeout: WAIT_MS });
    await say(ann, 'psst, Bert');
    const dmBadge = bertTab.getByTestId('conversation-Ann').locator('.badge');
    await dmBadge.getByText('1').waitFor({ timeout: WAIT_MS });
    await bert.getByTestId('conversation-Ann').locator('.badge').getByText('1').waitFor({ timeout: WAIT_MS });
    await bert.getByTestId('conversation-Ann').click();
    await sees(bert, 'psst, Bert');
    await dmBadge.waitFor({ state: 'detached', timeout: WAIT_MS });
    await act(bert, 'psst, Bert', 'action-react');
    await bert.getByTestId('emoji-picker').locator('[data-emoji="🎉"]').click();
    await row(ann, 'psst, Bert').locator('[data-testid=reaction][data-emoji="🎉"]').getByText('🎉 1').waitFor({ timeout: WAIT_MS });
    await ann.getByTestId('composer').press('ArrowUp');
    await ann.getByTestId('composer-context').getByText('Editing your message', { exact: false }).waitFor({ timeout: WAIT_MS });
    await say(ann, 'psst, Bert: the door code changed');
    await row(bert, 'the door code changed').getByTestId('edited').waitFor({ timeout: WAIT_MS });
    await act(bert, 'the door code changed', 'action-reply');
    await say(bert, 'Thanks, noted');
    await row(ann, 'Thanks, noted').getByTestId('quote').getByText('the door code changed', { exact: false }).waitFor({ timeout: WAIT_MS });
    await row(ann, 'the door code changed').getByTestId('reply-count').getByText('1 reply').waitFor({ timeout: WAIT_MS });
    await bert.screenshot({ path: `${screenshots}/direct-thread.png` });
    await bert.getByTestId('conversation-lobby').click();
    await ann.getByTestId('conversation-lobby').click();
    step('direct');

    // The notification level of a room is kept for the user: set in one tab, the other shows it, and so does a
    // tab opened after.
    await bert.getByTestId('notify-level').selectOption('nothing');
    await bertTab.getByTestId('conversation-lobby').click();
    await bertTab.waitForFunction(() => document.querySelector('[data-testid=notify-level]')?.value === 'nothing', null, { timeout: WAIT_MS });
    const thirdTab = await joinAs(bert.context(), bertUrl, 'Bert', { width: 1000, height: 700 });
    await thirdTab.waitForFunction(() => document.querySelector('[data-testid=notify-level]')?.value === 'nothing', null, { timeout: WAIT_MS });
    if ((await ann.getByTestId('notify-level').inputValue()) !== 'mentions') throw new Error("Bert's setting changed Ann's");
    step('notify-level');

    // Settings in the browser: the dark theme is drawn at once, reaches the user's other tab, and outlasts a
    // reload; the dialog breaks no serious accessibility rule.
    await thirdTab.getByTestId('open-settings').click();
    await thirdTab.getByTestId('settings-theme-dark').check();
    const dark = () => document.documentElement.dataset.theme === 'dark';
    await thirdTab.waitForFunction(dark, null, { timeout: WAIT_MS });
    await bertTab.waitForFunction(dark, null, { timeout: WAIT_MS });
    const settingsViolations = await seriousAccessibilityViolations(thirdTab);
    if (settingsViolations.length) throw new Error(`accessibility (settings):\n${settingsViolations.join('\n')}`);
    await thirdTab.getByTestId('settings-close').click();
    await thirdTab.getByTestId('settings').waitFor({ state: 'detached', timeout: WAIT_MS });
    await thirdTab.reload();
    await thirdTab.getByTestId('chat-screen').waitFor({ timeout: WAIT_MS });
    await thirdTab.waitForFunction(dark, null, { timeout: WAIT_MS });
    step('settings');

    // The chat screen, with replies, reactions, a tombstone, mentions and links in it, breaks no serious or
    // critical accessibility rule (axe-core), in the light theme and the dark one.
    for (const scheme of ['light', 'dark']) {
      await ann.emulateMedia({ colorScheme: scheme });
      const violations = await seriousAccessibilityViolations(ann);
      if (violations.length) throw new Error(`accessibility (${scheme}):\n${violations.join('\n')}`);
    }
    step('accessible');
    console.log('actions ok');
  } finally {
    await browser.close();
  }
}

run(main, 'actions test');
