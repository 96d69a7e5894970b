//! The Settings screen in the real app: a refused name says why, a new name, the dark theme and the hosting
//! options are kept across a restart and fill the host form; in the chat, a room's notifications are set from it.

use std::time::Duration;

use crate::harness::*;
use crate::webdriver::WebDriver;
use crate::{banter_app, screenshot_path};

async fn value_of(app: &WebDriver, script: &str) -> serde_json::Value {
    app.execute(&format!("return {script};")).await
}

/// Waits until the page's drawn theme (`data-theme` on the root element) is `theme`.
async fn wait_for_theme(app: &WebDriver, theme: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let drawn = value_of(app, "document.documentElement.dataset.theme").await;
        if drawn.as_str() == Some(theme) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "the theme never became {theme}; it is {drawn}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn settings_are_kept_and_used(display: &Display) {
    let data = tempdir("settings");
    let wanted_port = free_port();
    {
        let (_driver, port) = start_driver(display, &data, false).await;
        let app = WebDriver::start(port, banter_app()).await;
        app.resize(1100, 720).await;
        wait_for_theme(&app, "light").await;
        app.click_on("[data-testid=open-settings]").await;
        let name = app.wait_for("[data-testid=settings-name]").await;
        app.type_into(&name, &"x".repeat(40)).await;
        app.click_on("[data-testid=settings-name-save]").await;
        app.wait_for_text("[data-testid=settings-name-status]", "at most 32 are allowed").await;
        app.clear(&name).await;
        app.type_into(&name, "Nova Host").await;
        app.click_on("[data-testid=settings-name-save]").await;
        app.wait_for_text("[data-testid=settings-name-status]", "Saved.").await;

        app.click_on("[data-testid=settings-theme-dark]").await;
        wait_for_theme(&app, "dark").await;
        let port_field = app.find("[data-testid=settings-port]").await;
        app.clear(&port_field).await;
        app.type_into(&port_field, "70000").await;
        app.click_on("[data-testid=settings-hosting-save]").await;
        app.wait_for_text("[data-testid=settings-hosting-status]", "1 to 65535").await;
        app.clear(&port_field).await;
        app.type_into(&port_field, &wanted_port.to_string()).await;
        app.click_on("[data-testid=settings-require-code]").await;
        app.click_on("[data-testid=settings-hosting-save]").await;
        app.wait_for_text("[data-testid=settings-hosting-status]", "Saved.").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        display.screenshot(&screenshot_path("settings.png"), 1100, 720);
        app.click_on("[data-testid=settings-close]").await;
        app.wait_gone("[data-testid=settings]").await;
        app.close().await;
    }

    // A new start: the same colours, and the host form offers what was set.
    let (_driver, port) = start_driver(display, &data, false).await;
    let app = WebDriver::start(port, banter_app()).await;
    app.resize(1100, 720).await;
    app.wait_for("[data-testid=host-start]").await;
    wait_for_theme(&app, "dark").await;
    let form = value_of(
        &app,
        "[document.querySelector('[data-testid=host-name]').value, \
          document.querySelector('[data-testid=host-port]').value, \
          document.querySelector('[data-testid=host-require-code]').checked]",
    )
    .await;
    assert_eq!(form, serde_json::json!(["Nova Host", wanted_port.to_string(), true]), "the host form");
    app.click_on("[data-testid=host-start]").await;
    app.wait_for("[data-testid=chat-screen]").await;
    // Read from the DOM: WebKitWebDriver reads an element that clips its overflow (the name, with an ellipsis) as
    // empty.
    let me = value_of(&app, "document.querySelector('[data-testid=me]').textContent").await;
    assert_eq!(me.as_str(), Some("Nova Host"), "hosting with the name set");
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", wanted_port)).await.is_ok(), "hosting on the port set");

    // In the chat, Settings sets the open room's notifications, which the header shows too.
    app.click_on("[data-testid=open-settings]").await;
    app.wait_for_text("[data-testid=settings]", "You host on port").await;
    app.execute(
        "const select = document.querySelector('[data-testid=settings-notify-lobby]'); select.value = 'all'; \
         select.dispatchEvent(new Event('change')); return true;",
    )
    .await;
    app.wait_for_text("[data-testid=settings-notify-status]", "Saved for #lobby.").await;
    display.screenshot(&screenshot_path("settings-chat.png"), 1100, 720);
    app.click_on("[data-testid=settings-theme-light]").await;
    wait_for_theme(&app, "light").await;
    app.click_on("[data-testid=settings-close]").await;
    app.wait_for("[data-testid=notify-level] option[value=all]:checked").await;
    app.click_until_gone("[data-testid=stop-hosting]").await;
    app.close().await;
}
