//! The one state object the app manages: the chat session, the embedded host, the remembered settings.

use std::path::PathBuf;
use std::time::Duration;

use banter_core::client::{wait_until_connected, Client, ClientConfig, ClientEvent};
use banter_core::host::HostHandle;
use banter_core::protocol::{BanInfo, BanRequest, Message};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Runtime};
use tokio::sync::Mutex;
use url::Url;

use crate::events;
use crate::ipc::IpcError;
use crate::network::Network;
use crate::settings::SettingsStore;
use crate::transfers::Transfers;

/// How long joining may take before the UI is told it failed.
const JOIN_LIMIT: Duration = Duration::from_secs(15);

/// Given to `app.manage`; commands reach it through `State<AppState>`.
#[derive(Debug)]
pub struct AppState {
    /// Held for the whole of a join, so that two joins at once cannot both install a session.
    joining: Mutex<()>,
    session: Mutex<Option<Session>>,
    host: Mutex<Option<HostHandle>>,
    pub settings: SettingsStore,
    pub network: Network,
    pub transfers: Transfers,
}

/// A joined chat: the engine's client and the task forwarding its events.
#[derive(Debug)]
pub struct Session {
    pub client: Client,
    forwarder: JoinHandle<()>,
}

impl AppState {
    pub fn new(config_folder: Option<PathBuf>, cache_folder: Option<PathBuf>) -> Self {
        AppState {
            joining: Mutex::new(()),
            session: Mutex::new(None),
            host: Mutex::new(None),
            settings: SettingsStore::load(config_folder),
            network: Network::default(),
            transfers: Transfers::new(cache_folder),
        }
    }

    /// Connects to a host and starts forwarding its events to the webview, replacing any previous session. Waits
    /// until the host has accepted (or refused) the connection, so that the UI can show why it failed. Answers
    /// with the host's id (none from a plain Socket.IO server).
    pub async fn join<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        mut config: ClientConfig,
    ) -> Result<Option<String>, IpcError> {
        let _joining = self.joining.lock().await;
        // The same key on every host: it holds this user's name there.
        config.user_key.get_or_insert_with(|| self.settings.user_key());
        self.leave().await;
        let me = config.name.trim().to_owned();
        let (client, mut events) = Client::connect(config)?;
        let (outcome, seen) = wait_until_connected(&mut events, JOIN_LIMIT).await;
        if let Err(error) = outcome {
            client.close().await;
            return Err(error.into());
        }
        let host_id = seen.iter().find_map(|event| match event {
            ClientEvent::Welcome(welcome) => Some(welcome.host_id.clone()),
            _ => None,
        });
        let forwarder = tauri::async_runtime::spawn(events::forward(app.clone(), me, seen, events));
        *self.session.lock().await = Some(Session { client, forwarder });
        Ok(host_id)
    }

    /// Leaves the current chat, if any.
    pub async fn leave(&self) {
        // Taken out first, so that the lock is not held while the client closes.
        let session = self.session.lock().await.take();
        if let Some(session) = session {
            // The forwarder stops first: the closing session's last events must not reach the next one.
            session.forwarder.abort();
            session.client.close().await;
        }
    }

    /// The current session's client, or the error the UI shows when there is none.
    pub async fn client(&self) -> Result<Client, IpcError> {
        self.session.lock().await.as_ref().map(|session| session.client.clone()).ok_or_else(IpcError::not_connected)
    }

    /// The base URL of the host the session is on now (of a cluster's several, the one that answered): where its
    /// attachments, files and uploads are.
    pub async fn base_url(&self) -> Result<Url, IpcError> {
        self.session.lock().await.as_ref().map(|session| session.client.host_url()).ok_or_else(IpcError::not_connected)
    }

    /// Keeps the embedded host, stopping any previous one.
    pub async fn keep_host(&self, handle: HostHandle) {
        let previous = self.host.lock().await.replace(handle);
        if let Some(previous) = previous {
            stop_host(previous).await;
        }
    }

    /// Bans a user on the embedded host, for its owner; returns the bans that now hold.
    pub async fn ban(&self, request: BanRequest) -> Result<Vec<BanInfo>, IpcError> {
        let host = self.host.lock().await;
        let host = host.as_ref().ok_or_else(not_hosting)?;
        host.ban(request).await?;
        Ok(host.bans())
    }

    /// Lifts a ban on the embedded host; returns the bans that still hold.
    pub async fn unban(&self, name: &str) -> Result<Vec<BanInfo>, IpcError> {
        let host = self.host.lock().await;
        let host = host.as_ref().ok_or_else(not_hosting)?;
        host.unban(name).await?;
        Ok(host.bans())
    }

    /// Deletes a room of the embedded host with its history, for its owner; answers with the room's name.
    pub async fn delete_room(&self, room: &str) -> Result<String, IpcError> {
        let host = self.host.lock().await;
        let host = host.as_ref().ok_or_else(not_hosting)?;
        Ok(host.delete_room(room).await?.room)
    }

    /// Deletes anyone's message on the embedded host, for its owner; answers its tombstone.
    pub async fn delete_message(&self, room: &str, seq: u64) -> Result<Message, IpcError> {
        let host = self.host.lock().await;
        let host = host.as_ref().ok_or_else(not_hosting)?;
        Ok(host.delete_message(room, seq).await?)
    }

    /// Disconnects someone from the embedded host, for its owner; answers how many connections were closed.
    pub async fn kick(&self, name: &str) -> Result<u32, IpcError> {
        let host = self.host.lock().await;
        let host = host.as_ref().ok_or_else(not_hosting)?;
        Ok(host.kick(name)?.connections)
    }

    /// Frees a name bound on the embedded host, for its owner; answers with the name as it was bound.
    pub async fn release_name(&self, name: &str) -> Result<String, IpcError> {
        let host = self.host.lock().await;
        let host = host.as_ref().ok_or_else(not_hosting)?;
        Ok(host.release_name(name).await?.name)
    }

    /// Whether this app hosts a chat now. Busy (the host starting or stopping) counts as hosting: closing the window
    /// then asks first rather than cut a chat off.
    pub fn hosting_now(&self) -> bool {
        self.host.try_lock().map_or(true, |host| host.is_some())
    }

    /// Leaves the chat and stops the embedded host, telling its guests.
    pub async fn stop_hosting(&self) {
        self.leave().await;
        let handle = self.host.lock().await.take();
        if let Some(handle) = handle {
            stop_host(handle).await;
        }
    }
}

fn not_hosting() -> IpcError {
    IpcError::new("not_hosting", "This app is not hosting a chat: only the host's owner can ban.")
}

async fn stop_host(handle: HostHandle) {
    if let Err(error) = handle.shutdown().await {
        tracing::warn!(%error, "the embedded host did not stop cleanly");
    }
}
