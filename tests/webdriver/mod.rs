//! A minimal W3C WebDriver client over HTTP: just what the end-to-end tests use.
// Shared by two test binaries, each of which uses only part of it.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);
/// The element reference key of the W3C protocol.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct WebDriver {
    http: reqwest::Client,
    base: String,
}

pub struct Element(String);

impl WebDriver {
    /// Starts the app under tauri-driver (listening on `port`) and opens a session on its window.
    pub async fn start(port: u16, application: &Path) -> WebDriver {
        let http = reqwest::Client::new();
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "wry",
            "tauri:options": { "application": application.to_string_lossy() }
        }}});
        let root = format!("http://127.0.0.1:{port}");
        let answer = send(&http, reqwest::Method::POST, &format!("{root}/session"), Some(capabilities)).await;
        let session =
            answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_owned();
        WebDriver { http, base: format!("{root}/session/{session}") }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        send(&self.http, method, &format!("{}{path}", self.base), body).await
    }

    /// Runs `script` (the body of a function) in the page and returns what it returns.
    pub async fn execute(&self, script: &str) -> Value {
        let answer =
            self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] }))).await;
        answer["value"].clone()
    }

    async fn try_find(&self, css: &str) -> Option<Element> {
        let answer = self
            .http
            .post(format!("{}/element", self.base))
            .header("content-type", "application/json")
            .body(json!({ "using": "css selector", "value": css }).to_string())
            .send()
            .await
            .ok()?;
        let value: Value = serde_json::from_slice(&answer.bytes().await.ok()?).ok()?;
        value["value"][ELEMENT].as_str().map(|id| Element(id.to_owned()))
    }

    pub async fn find(&self, css: &str) -> Element {
        self.try_find(css).await.unwrap_or_else(|| panic!("no element {css}"))
    }

    /// Waits until an element matching `css` exists.
    pub async fn wait_for(&self, css: &str) -> Element {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(element) = self.try_find(css).await {
                return element;
            }
            assert!(tokio::time::Instant::now() < deadline, "no element {css} after {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Clicks the element matching `css` until it goes away, as a button that removes itself does. A click can land
    /// on an element the UI replaced meanwhile (it re-renders lists on every event): WebDriver reports no error
    /// then, and nothing happens, so the click is made again, up to three times.
    pub async fn click_until_gone(&self, css: &str) {
        let gone = async || self.try_find(css).await.is_none();
        assert!(self.click_until(css, gone, false).await, "{css} is still there after three clicks");
    }

    /// Clicks the element matching `css` until an element matches `appears` (a `<details>` opened by its summary):
    /// a click that lands while the window is still being laid out (just after a resize) hits whatever was there
    /// a moment before, without an error. It is not clicked again once `appears` matches, since a second click on a
    /// summary would close what the first opened.
    pub async fn click_until_found(&self, css: &str, appears: &str) {
        let found = async || self.try_find(appears).await.is_some();
        assert!(self.click_until(css, found, true).await, "{appears} never appeared after three clicks on {css}");
    }

    /// Clicks the element matching `css` until the element matching `shown_in` shows `text`, as opening a
    /// conversation changes the title. A click that lands on an element the UI has just replaced is lost without
    /// an error (see [`WebDriver::click_until_gone`]), so it is made again, up to three times.
    pub async fn click_until_text(&self, css: &str, shown_in: &str, text: &str) {
        let shown = async || match self.try_find(shown_in).await {
            Some(element) => {
                self.try_text(&element).await.is_some_and(|shown| shown.to_lowercase().contains(&text.to_lowercase()))
            }
            None => false,
        };
        assert!(
            self.click_until(css, shown, false).await,
            "{shown_in} never showed {text:?} after three clicks on {css}"
        );
    }

    /// Clicks `css` up to three times, each followed by up to 3 s of waiting for `done`; with `look_first`, a
    /// `done` that holds already is not clicked at all. Answers whether `done` came to hold.
    async fn click_until(&self, css: &str, done: impl AsyncFn() -> bool, look_first: bool) -> bool {
        for _ in 0..3 {
            if look_first && done().await {
                return true;
            }
            self.click_on(css).await;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
            while tokio::time::Instant::now() < deadline {
                if done().await {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        }
        false
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.try_find(css).await.is_some() {
            assert!(tokio::time::Instant::now() < deadline, "{css} still there after {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits until the element matching `css` shows `text` (in any case: WebDriver reads text as styled, and some
    /// headings are shown in capitals); returns all its text.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut last = String::new();
        loop {
            // The UI re-renders lists on every event, so an element found may be replaced before it is read.
            if let Some(element) = self.try_find(css).await {
                if let Some(current) = self.try_text(&element).await {
                    last = current;
                    if last.to_lowercase().contains(&text.to_lowercase()) {
                        return last;
                    }
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "{css} never showed {text:?}; last: {last:?}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits for the element matching `css` and returns its attribute `name`. WebKitWebDriver reads no text from
    /// some elements (`<code>` among them), so values a test needs are also given as attributes. The UI may replace
    /// the element between finding and reading it (the read then answers a stale-element error), so both are tried
    /// again until the attribute is read or the wait runs out.
    pub async fn attribute(&self, css: &str, name: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut last = Value::Null;
        loop {
            if let Some(element) = self.try_find(css).await {
                let url = format!("{}/element/{}/attribute/{name}", self.base, element.0);
                if let Ok(answer) = self.http.get(url).send().await {
                    last = serde_json::from_slice(&answer.bytes().await.unwrap_or_default()).unwrap_or(Value::Null);
                    if let Some(value) = last["value"].as_str() {
                        return value.to_owned();
                    }
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "{css} has no attribute {name}; last answer: {last}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    async fn try_text(&self, element: &Element) -> Option<String> {
        let url = format!("{}/element/{}/text", self.base, element.0);
        let answer = self.http.get(url).send().await.ok()?;
        if !answer.status().is_success() {
            return None;
        }
        let value: Value = serde_json::from_slice(&answer.bytes().await.ok()?).ok()?;
        value["value"].as_str().map(str::to_owned)
    }

    /// Waits for the element matching `css` and clicks it. The UI re-renders lists on every event, so the element
    /// found may be replaced before the click lands: then it is found again. An element that a panel opening just
    /// now has pushed below the fold, or that the window's resize is still moving, can be "not interactable" for a
    /// moment on a loaded machine: it is brought to the middle of the view and clicked again, until the deadline.
    pub async fn click_on(&self, css: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let element = self.wait_for(css).await;
            let url = format!("{}/element/{}/click", self.base, element.0);
            let answer = self.http.post(url).header("content-type", "application/json").body("{}").send().await;
            let answer = answer.expect("WebDriver is reachable");
            let status = answer.status();
            let value: Value = serde_json::from_slice(&answer.bytes().await.unwrap_or_default()).unwrap_or(Value::Null);
            if status.is_success() {
                return;
            }
            let error = value["value"]["error"].as_str().unwrap_or_default();
            let passing =
                matches!(error, "stale element reference" | "element not interactable" | "element click intercepted");
            if !passing || tokio::time::Instant::now() >= deadline {
                // Where the element is, and what is drawn at its middle: what "not interactable" meant.
                let where_it_is = self.execute(&where_is(css)).await;
                panic!("clicking {css}: {status} {value}; {where_it_is}");
            }
            if error != "stale element reference" {
                let where_it_is = self.execute(&where_is(css)).await;
                eprintln!("clicking {css}: {error}; brought into view and clicked again ({where_it_is})");
                let css = serde_json::to_string(css).unwrap_or_default();
                self.execute(&format!("document.querySelector({css})?.scrollIntoView({{block: 'center'}});")).await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn clear(&self, element: &Element) {
        self.call(reqwest::Method::POST, &format!("/element/{}/clear", element.0), Some(json!({}))).await;
    }

    pub async fn type_into(&self, element: &Element, text: &str) {
        let path = format!("/element/{}/value", element.0);
        self.call(reqwest::Method::POST, &path, Some(json!({ "text": text }))).await;
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", Some(json!({ "width": width, "height": height }))).await;
    }

    pub async fn close(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

async fn send(http: &reqwest::Client, method: reqwest::Method, url: &str, body: Option<Value>) -> Value {
    let mut request = http.request(method, url).header("content-type", "application/json");
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let response = tokio::time::timeout(WAIT * 2, request.send())
        .await
        .expect("WebDriver answers in time")
        .expect("WebDriver is reachable");
    let status = response.status();
    let value: Value = serde_json::from_slice(&response.bytes().await.unwrap_or_default()).unwrap_or(Value::Null);
    assert!(status.is_success(), "WebDriver {url}: {status} {value}");
    value
}

/// A script answering, for the element matching `css`, its box, the viewport, the page's scroll and what is drawn at
/// the element's middle.
fn where_is(css: &str) -> String {
    let css = serde_json::to_string(css).unwrap_or_default();
    format!(
        "const e = document.querySelector({css}); if (!e) return 'gone'; const r = e.getBoundingClientRect(); \
         const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); \
         return JSON.stringify({{box: [r.left, r.top, r.width, r.height], viewport: [innerWidth, innerHeight], \
         scroll: [scrollX, scrollY, document.documentElement.scrollHeight], \
         style: [getComputedStyle(e).display, getComputedStyle(e).visibility], \
         at: at ? at.outerHTML.slice(0, 160) : null}});"
    )
}
