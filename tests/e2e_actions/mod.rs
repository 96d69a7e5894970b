//! The actions on messages in the real app, hosting, with a terminal guest: a reply that quotes and jumps, a
//! reaction both ways, an edit with Up in the empty composer, the owner deleting a guest's message, search, the same
//! actions in a direct conversation; and the
//! app as a desktop app: a second launch hands over to the first, and closing the window while hosting asks first.

use std::time::Duration;

use crate::harness::*;
use crate::webdriver::WebDriver;
use crate::{banter_app, banter_cli, screenshot_path};

/// Clicks a message's action button. The actions show while the pointer is over a message (or the keyboard is in
/// it); WebDriver moves no pointer, so the click is made by the page, on the same button a user would press.
async fn press(app: &WebDriver, css: &str) {
    app.wait_for(css).await;
    let script = format!("const button = document.querySelector({css:?}); button.click(); return true;");
    app.execute(&script).await;
}

/// Waits until the element matching `css` holds `text`, read from the DOM: WebKitWebDriver reads the text of an
/// element that clips its overflow (a quote cut with an ellipsis) as empty, though it is drawn.
pub(crate) async fn wait_for_content(app: &WebDriver, css: &str, text: &str) {
    let script = format!("return document.querySelector({css:?})?.textContent ?? '';");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let shown = app.execute(&script).await;
        if shown.as_str().is_some_and(|shown| shown.contains(text)) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{css} never held {text:?}; last: {shown}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn replies_reactions_edits_and_deletions(display: &Display) {
    let data = tempdir("actions");
    let (_driver, port) = start_driver(display, &data, false).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    let room_port = fill_host_form(&app, "Mira").await;
    app.click_on("[data-testid=host-start]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    let address = format!("127.0.0.1:{room_port}");
    let mut rex = Cli::join_with(&banter_cli(), &address, "rex", &["--numbers"]).await;
    app.wait_for_text("[data-testid=messages]", "rex joined").await;

    rex.say("Who has the keys to the server room?").await;
    app.wait_for_text("[data-testid=messages]", "Who has the keys").await;
    // Reply: the composer quotes the message, and the reply reaches the terminal with its quote.
    press(&app, "[data-seq='1'] [data-testid=action-reply]").await;
    app.wait_for_text("[data-testid=composer-context]", "Replying to rex").await;
    wait_for_content(&app, "[data-testid=composer-context] .quote-text", "Who has the keys").await;
    app_says(&app, "I do.").await;
    rex.expect_line("[lobby #2] Mira ↩ rex “Who has the keys to the server room?”: I do.").await;
    app.wait_for_text("[data-seq='1'] [data-testid=reply-count]", "1 reply").await;
    app.wait_gone("[data-testid=composer-context]:not([hidden])").await;

    // Reactions, from the terminal and from the app's picker.
    rex.say("/react #2 🎉").await;
    app.wait_for_text("[data-seq='2'] [data-testid=reaction]", "🎉 1").await;
    press(&app, "[data-seq='1'] [data-testid=action-react]").await;
    app.wait_for("[data-testid=emoji-picker]").await;
    press(&app, "[data-testid=emoji-picker] [data-emoji='👍']").await;
    rex.expect_line("[lobby #1] * reactions on rex's “Who has the keys to the server room?”: 👍 Mira").await;
    app.wait_for("[data-seq='1'] [data-testid=reaction][aria-pressed=true]").await;

    // Up in the empty composer edits the user's last message.
    let composer = app.wait_for("[data-testid=composer]").await;
    app.type_into(&composer, "\u{E013}").await;
    app.wait_for_text("[data-testid=composer-context]", "Editing your message").await;
    app.clear(&composer).await;
    app_says(&app, "I do, in my bag.").await;
    rex.expect_line("[lobby #2] Mira (edited): I do, in my bag.").await;
    app.wait_for_text("[data-seq='2'] [data-testid=edited]", "edited").await;
    app.wait_for_text("[data-seq='2'] .message-text", "I do, in my bag.").await;
    display.screenshot(&screenshot_path("thread.png"), 1100, 720);

    // The quote jumps to the message it answers.
    press(&app, "[data-seq='2'] [data-testid=quote]").await;
    app.wait_for("[data-seq='1'].highlight").await;

    // The host's owner deletes the guest's message, asked first: a tombstone here, the same in the terminal, and
    // the reply's quote says so.
    press(&app, "[data-seq='1'] [data-testid=action-delete]").await;
    app.wait_for("[data-testid=delete-message-confirm]").await;
    press(&app, "[data-testid=delete-message-yes]").await;
    app.wait_for("[data-seq='1'] [data-testid=tombstone]").await;
    wait_for_content(&app, "[data-seq='2'] [data-testid=quote] .quote-text", "message deleted").await;
    rex.expect_line("[lobby #1] * rex's “Who has the keys to the server room?” was deleted").await;
    let history = crate::room_history(&address, "lobby").await;
    assert!(!history.contains("server room"), "the deleted text is gone from the host: {history}");

    // Search (Ctrl+K): the reply is found by a word of it, and a hit shows its message.
    app.type_into(&app.find("[data-testid=composer]").await, "\u{E009}k").await;
    let search = app.wait_for("[data-testid=search-input]").await;
    app.type_into(&search, "bag").await;
    app.wait_for_text("[data-testid=search-hit] mark", "bag").await;
    app.click_on("[data-testid=search-hit]").await;
    app.wait_for("[data-seq='2'].highlight").await;

    // A direct message from the terminal is answered, reacted to and edited in the app as a room message is.
    rex.say("/dm Mira can I borrow them?").await;
    app.click_on("[data-testid=conversation-rex]").await;
    app.wait_for_text("[data-testid=conversation-title]", "rex").await;
    app.wait_for_text("[data-testid=messages]", "can I borrow them?").await;
    press(&app, "[data-seq='1'] [data-testid=action-react]").await;
    app.wait_for("[data-testid=emoji-picker]").await;
    press(&app, "[data-testid=emoji-picker] [data-emoji='👍']").await;
    app.wait_for("[data-seq='1'] [data-testid=reaction][aria-pressed=true]").await;
    press(&app, "[data-seq='1'] [data-testid=action-reply]").await;
    app.wait_for_text("[data-testid=composer-context]", "Replying to rex").await;
    app_says(&app, "Sure.").await;
    rex.expect_line("[dm] Mira → rex ↩ rex “can I borrow them?”: Sure.").await;
    app.wait_for_text("[data-seq='1'] [data-testid=reply-count]", "1 reply").await;
    let composer = app.wait_for("[data-testid=composer]").await;
    app.type_into(&composer, "\u{E013}").await;
    app.wait_for_text("[data-testid=composer-context]", "Editing your message").await;
    app.clear(&composer).await;
    app_says(&app, "Sure, until Friday.").await;
    rex.expect_line("[dm] Mira → rex ↩ rex “can I borrow them?”: Sure, until Friday. (edited)").await;
    app.click_on("[data-testid=conversation-lobby]").await;

    // In a narrow window the people list opens over the conversation.
    app.resize(420, 720).await;
    app.click_on("[data-testid=people-toggle]").await;
    app.wait_for("[data-testid='member-rex']").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    display.screenshot(&screenshot_path("people-small.png"), 420, 720);
    app.click_on("[data-testid=people-close]").await;
    app.resize(1100, 720).await;

    // Near the length limit the composer counts down; past it nothing is sent and the text stays.
    let too_long = "y".repeat(4001);
    app.execute(&format!(
        "const box = document.querySelector('[data-testid=composer]'); box.value = '{too_long}'; \
         box.dispatchEvent(new Event('input')); return true;"
    ))
    .await;
    app.wait_for_text("[data-testid=composer-counter]", "-1").await;
    app.click_on("[data-testid=send]").await;
    app.wait_for_text(".composer-error", "at most 4,000 can be sent").await;
    let kept = app.execute("return document.querySelector('[data-testid=composer]').value.length;").await;
    assert_eq!(kept.as_u64(), Some(4001), "the refused text stays in the composer");
    app.execute(
        "const box = document.querySelector('[data-testid=composer]'); box.value = ''; \
         box.dispatchEvent(new Event('input')); return true;",
    )
    .await;

    app.click_until_gone("[data-testid=stop-hosting]").await;
    app.wait_for("[data-testid=start-screen]").await;
    app.close().await;
}

/// A second launch of the app does not open a second chat: it brings the running window forward and exits.
pub async fn a_second_launch_brings_the_first_window_forward(display: &Display) {
    let bus = crate::notifications::session_bus().await;
    let data = tempdir("single");
    let (_driver, port) =
        start_driver_with(display, &data, false, &[("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())]).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.wait_for("[data-testid=host-name]").await;
    let second = tokio::process::Command::new(banter_app())
        .env("DISPLAY", &display.name)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .env("XDG_DATA_HOME", data.join("data"))
        .env("XDG_CONFIG_HOME", data.join("config"))
        .env("XDG_CACHE_HOME", data.join("cache"))
        .env("BANTER_DISCOVERY", "off")
        .kill_on_drop(true)
        .status();
    let ended = tokio::time::timeout(WAIT, second).await.expect("the second launch ends by itself").unwrap();
    assert!(ended.success(), "the second launch hands over and exits 0: {ended}");
    // The first one is still there, and still answers.
    app.wait_for("[data-testid=host-name]").await;
    app.close().await;
}

/// Closing the window while hosting asks first, since it would end the chat for everyone: Keep hosting leaves the
/// chat running; Stop hosting and quit stops the host (its port closes) and the app.
pub async fn closing_the_window_while_hosting_asks_first(display: &Display) {
    let data = tempdir("closing");
    let (_driver, port) = start_driver(display, &data, false).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    let room_port = fill_host_form(&app, "Mira").await;
    app.click_on("[data-testid=host-start]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    let mut rex = Cli::join(&banter_cli(), &format!("127.0.0.1:{room_port}"), "rex").await;
    app.wait_for_text("[data-testid=messages]", "rex joined").await;

    display.close_app_window();
    app.wait_for_text("[data-testid=close-dialog]", "1 other person is in it now.").await;
    display.screenshot(&screenshot_path("close-hosting.png"), 1100, 720);
    app.click_on("[data-testid=close-keep-hosting]").await;
    app.wait_gone("[data-testid=close-dialog]").await;
    rex.say("still here?").await;
    app.wait_for_text("[data-testid=messages]", "still here?").await;

    display.close_app_window();
    app.click_on("[data-testid=close-stop-hosting]").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", room_port)).await.is_ok() {
        assert!(tokio::time::Instant::now() < deadline, "the host still listens after Stop hosting and quit");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sets the level of the open room's notifications from the header, as a user picks it.
async fn choose_notify_level(app: &WebDriver, level: &str) {
    app.wait_for("[data-testid=notify-level]").await;
    let script = format!(
        "const select = document.querySelector('[data-testid=notify-level]'); select.value = {level:?}; \
         select.dispatchEvent(new Event('change')); return true;"
    );
    app.execute(&script).await;
}

/// While the app is in the background, a mention and a direct message raise a desktop notification, the rest of
/// a room only at the level "all"; while its window has the focus, nothing does. The notifications reach a real
/// D-Bus notification server, as on a desktop.
pub async fn a_mention_notifies_while_the_app_is_in_the_background(display: &Display) {
    use crate::notifications::{session_bus, NotificationServer, Shown};

    let bus = session_bus().await;
    let mut shown = NotificationServer::start(&bus).await;
    let data = tempdir("notify");
    let (_driver, port) =
        start_driver_with(display, &data, false, &[("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())]).await;
    let app = WebDriver::start(port, banter_app()).await;
    let room_port = fill_host_form(&app, "Mira").await;
    app.click_on("[data-testid=host-start]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    let mut rex = Cli::join(&banter_cli(), &format!("127.0.0.1:{room_port}"), "rex").await;
    app.wait_for_text("[data-testid=messages]", "rex joined").await;

    display.focus_app_window(false);
    // At the default level a plain message stays quiet and a mention speaks: were the first one shown, it would
    // be the first notification.
    rex.say("lunch, anyone?").await;
    rex.say("@Mira the deploy is done").await;
    let first = shown.next().await;
    assert_eq!(first, Shown { summary: "rex mentioned you in #lobby".into(), body: "@Mira the deploy is done".into() });
    rex.say("/dm Mira the <b>key</b> is under the mat").await;
    let direct = shown.next().await;
    assert_eq!(direct.summary, "rex (direct message)");
    assert_eq!(direct.body, "the &lt;b&gt;key&lt;/b&gt; is under the mat", "markup reaches the server escaped");

    choose_notify_level(&app, "all").await;
    app.wait_for("[data-testid=notify-level] option[value=all]:checked").await;
    rex.say("coffee too").await;
    assert_eq!(shown.next().await, Shown { summary: "rex in #lobby".into(), body: "coffee too".into() });
    choose_notify_level(&app, "nothing").await;
    app.wait_for("[data-testid=notify-level] option[value=nothing]:checked").await;
    rex.say("@Mira still there?").await;
    app.wait_for_text("[data-testid=messages]", "still there?").await;
    shown.nothing_shown().await;

    // In front, the app shows messages itself and raises no notification.
    choose_notify_level(&app, "all").await;
    app.wait_for("[data-testid=notify-level] option[value=all]:checked").await;
    display.focus_app_window(true);
    rex.say("@Mira are you reading this?").await;
    app.wait_for_text("[data-testid=messages]", "are you reading this?").await;
    shown.nothing_shown().await;

    app.click_until_gone("[data-testid=stop-hosting]").await;
    app.close().await;
}
