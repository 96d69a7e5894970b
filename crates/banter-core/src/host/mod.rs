//! The host: an axum server carrying Socket.IO v4 (socketioxide) with Banter's handlers.
//!
//! [`serve`] is a function of its inputs, as in mini-redis: it is given a bound listener and a shutdown signal,
//! so the caller (CLI, desktop app, test) picks the address and decides when it ends. [`spawn`] wraps it for
//! callers that want a handle instead.

pub mod access;
mod admin;
pub mod attachments;
mod chat;
mod delivery;
pub mod files;
mod follow;
mod gate;
mod http;
mod hub;
mod listen;
mod presence;
pub mod registry;
mod throttle;
mod turns;

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use rand::Rng;
use socketioxide::adapter::Adapter;
use socketioxide::{ParserConfig, SocketIo};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use hub::Hub;

use crate::cluster::driver::ReconnectingDriver;
use crate::limits::Limits;
use crate::protocol::{
    event, BanInfo, BanRequest, Banned, Closing, ClosingReason, ErrorBody, KickRequest, Kicked, Message, MessageRef,
    NameReleased, RoomDeleted,
};
use crate::store::{ClusterStore, Durability, Location, SqliteStore, Store, StoreConfig, StoreError};

/// How a host is set up.
#[derive(Debug, Clone)]
pub struct HostConfig {
    pub limits: Limits,
    /// The token the `/admin` namespace requires; a random one is made when none is given.
    pub admin_token: Option<String>,
    /// The web client for browser guests (`banter_web::client()`), which the engine itself knows nothing about.
    pub web: Option<WebClient>,
    /// Where the host keeps its rooms, history, names and attachments. [`Location::Memory`] (the default here,
    /// for tests) forgets everything when the host stops; the CLI and the app use a data folder.
    pub location: Location,
    pub durability: Durability,
    /// The code a handshake must carry (`auth.accessCode`); `None` lets anyone who reaches the host in.
    pub access_code: Option<access::AccessCode>,
    /// Advertising on the network (mDNS); `None`, the default here, advertises nothing.
    pub discovery: Option<Discovery>,
    /// The Valkey or Redis server of a cluster (`redis://HOST:PORT[/DB]`): every host started with the same one
    /// serves the same chat, kept there. `None`, the default, is a host alone, keeping its chat in `location`
    /// (which, in a cluster, keeps only the bytes of the files people send through this host).
    pub cluster: Option<String>,
}

/// How a host advertises itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// What the record calls the host: its owner's name, or a title.
    pub title: String,
    pub interfaces: crate::discovery::Interfaces,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            limits: Limits::default(),
            admin_token: None,
            web: None,
            location: Location::Memory,
            durability: Durability::Normal,
            access_code: None,
            discovery: None,
            cluster: None,
        }
    }
}

/// Why a host could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(
        "The admin token must be at least {MIN_ADMIN_TOKEN_CHARS} characters, so that it cannot be guessed; leave it \
         out to have a random one made."
    )]
    WeakAdminToken,
    /// The cluster's server cannot serve a cluster, or could not be reached.
    #[error("Cannot serve the cluster: {0}.")]
    Cluster(String),
}

/// How long a host waits for its cluster's server at start, and for each call to it after.
const CLUSTER_CALLS: std::time::Duration = std::time::Duration::from_secs(5);

/// The adapter of a cluster's hosts: `socketioxide-redis` on a driver that reconnects.
type ClusterAdapter = socketioxide_redis::CustomRedisAdapter<socketioxide::adapter::Emitter, ReconnectingDriver>;

/// A host's Socket.IO server: alone, or one of a cluster's.
#[derive(Debug, Clone)]
enum Io {
    Alone(SocketIo),
    Cluster(SocketIo<ClusterAdapter>),
}

/// Runs `$body` with `$io` bound to the server, whichever adapter it has.
macro_rules! with_io {
    ($io:expr, $name:ident => $body:expr) => {
        match $io {
            Io::Alone($name) => $body,
            Io::Cluster($name) => $body,
        }
    };
}

/// Characters an admin token must have. A random one has 32 hexadecimal digits.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 16;

/// Pages a host serves beside Socket.IO.
#[derive(Debug, Clone)]
pub struct WebClient {
    /// The page and its assets.
    pub pages: axum::Router,
    /// `GET /socket.io/socket.io.js`. Kept apart because socketioxide claims every `/socket.io/` path: this route
    /// is added after its layer so that it is not swallowed.
    pub socket_io_client: axum::routing::MethodRouter,
}

/// What a host keeps, opened.
struct Opened {
    store: Arc<dyn Store>,
    registry: registry::Registry,
    host_id: String,
    /// A cluster's server and the writes its log carries, for the host to follow.
    cluster: Option<(redis::Client, tokio::sync::mpsc::Receiver<crate::store::cluster::Applied>)>,
    /// What a cluster's server keeps of what it acknowledged, in words.
    durability: Option<&'static str>,
}

/// Opens the store (off the runtime's workers: it reads and may upgrade the database) and loads what the host
/// keeps in memory. A cluster's server is checked first, and its durability logged.
/// `local` is where the host listens: a cluster's other hosts fetch the bytes of the files sent through this one
/// at its first shareable address.
async fn open_store(config: &HostConfig, local: SocketAddr) -> Result<Opened, StartError> {
    let store_config = StoreConfig {
        location: config.location.clone(),
        durability: config.durability,
        attachment_quota_bytes: config.limits.attachment_store_bytes,
    };
    let (store, cluster): (Arc<dyn Store>, _) = match &config.cluster {
        None => {
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&store_config))
                .await
                .map_err(io::Error::other)??;
            (Arc::new(store), None)
        }
        Some(url) => {
            let (client, server) = crate::cluster::probe(url, CLUSTER_CALLS)
                .await
                .map_err(|error| StartError::Cluster(error.to_string()))?;
            let durability = server.durability.describe();
            if server.durability == crate::cluster::ClusterDurability::EveryWrite {
                tracing::info!(software = %server.software, version = %server.version, "serving a cluster: {durability}");
            } else {
                tracing::warn!(software = %server.software, version = %server.version, "serving a cluster: {durability}");
            }
            let described = format!("{} at {}", server.software, server.address);
            let store = ClusterStore::open(&client, &described, &store_config, CLUSTER_CALLS).await?;
            let reachable = shareable_addresses(local).first().copied().unwrap_or(local);
            store.serve_files_at(format!("http://{reachable}/"));
            // Taken before the snapshot, so that nothing another host changes meanwhile is missed.
            let feed = store.feed().ok_or_else(|| StartError::Cluster("the log is followed already".into()))?;
            (Arc::new(store), Some((client, feed, durability)))
        }
    };
    let (cluster, durability) = match cluster {
        Some((client, feed, durability)) => (Some((client, feed)), Some(durability)),
        None => (None, None),
    };
    let snapshot = store.snapshot().await?;
    let host_id = snapshot.host_id.clone();
    let registry = registry::Registry::new(config.limits.clone(), snapshot);
    Ok(Opened { store, registry, host_id, cluster, durability })
}

/// The parts of a running host.
struct Built {
    router: axum::Router,
    io: Io,
    /// What a cluster's host follows of the log, and how it shares presence.
    cluster: Option<Following>,
    durability: Option<&'static str>,
    hub: Hub,
    network: crate::limits::NetworkLimits,
    discovery: Option<Discovery>,
    deliveries: Deliveries,
}

/// Builds the Socket.IO layer and the HTTP routes around it, sharing one [`Hub`].
async fn build(config: HostConfig, local: SocketAddr) -> Result<Built, StartError> {
    let admin_token = match config.admin_token.clone() {
        Some(token) if token.chars().count() < MIN_ADMIN_TOKEN_CHARS => return Err(StartError::WeakAdminToken),
        Some(token) => token,
        None => format!("{:032x}", rand::thread_rng().gen::<u128>()),
    };
    let Opened { store, registry, host_id, cluster, durability } = open_store(&config, local).await?;
    let limits = config.limits;
    let (files_root, ephemeral) = match &config.location {
        Location::Folder(folder) => (folder.join("files"), false),
        Location::Memory => (files::ephemeral_root(), true),
    };
    let files = files::Files::open(files_root, ephemeral, limits.files)?;
    let open_files = listen::raise_open_file_limit();
    let max_connections = listen::connection_cap(&limits.network, open_files);
    tracing::info!(open_files, max_connections, "connection limits");
    let gate = gate::Gate::new(limits.network.clone(), max_connections, limits.connect_timeout);
    let (queue, deliveries) = delivery::queue();
    let secrets = hub::Secrets { admin_token, access_code: config.access_code.clone() };
    let hub = Hub::new(registry, store, files, host_id, secrets, queue, Arc::clone(&gate));
    let parser = ParserConfig::common()
        .max_incoming_binaries(limits.max_incoming_binaries)
        .max_incoming_binary_buf_size(limits.max_payload_bytes)
        .packet_completion_timeout(limits.packet_completion_timeout);
    let builder = SocketIo::builder()
        .with_parser(parser)
        .max_payload(u64::try_from(limits.max_payload_bytes).unwrap_or(u64::MAX))
        .ws_max_message_size(limits.max_payload_bytes)
        .ws_max_frame_size(limits.max_frame_bytes)
        .max_buffer_size(limits.socket_buffer_packets)
        .connect_timeout(limits.connect_timeout)
        .with_state(hub.clone());
    let mut router = http::routes(hub.clone()).merge(files::http::routes(hub.clone()));
    if let Some(web) = &config.web {
        router = router.merge(web.pages.clone());
    }
    let (mut router, io, cluster) = match cluster {
        None => {
            let (layer, io) = builder.build_layer();
            chat::register(&io);
            admin::register(&io);
            (router.layer(layer), Io::Alone(io), None)
        }
        Some((client, feed)) => {
            let cluster_failed = |error: &dyn std::fmt::Display| StartError::Cluster(error.to_string());
            let driver = ReconnectingDriver::new(&client, CLUSTER_CALLS).await.map_err(|e| cluster_failed(&e))?;
            let adapter = socketioxide_redis::RedisAdapterCtr::new_with_driver(
                driver,
                socketioxide_redis::RedisAdapterConfig::new().with_prefix("banter-socket.io"),
            );
            let (layer, io) = builder.with_adapter::<ClusterAdapter>(adapter).build_layer();
            chat::register(&io).await.map_err(|e| cluster_failed(&e))?;
            admin::register(&io).await.map_err(|e| cluster_failed(&e))?;
            let instance = format!("{:016x}", rand::thread_rng().gen::<u64>());
            let presence = crate::cluster::presence::Presence::open(&client, &instance, CLUSTER_CALLS)
                .await
                .map_err(|e| cluster_failed(&e))?;
            (router.layer(layer), Io::Cluster(io), Some(Following { feed, presence }))
        }
    };
    if let Some(web) = config.web {
        router = router.route("/socket.io/socket.io.js", web.socket_io_client);
    }
    // Outermost, so that every request is screened (foreign names, foreign origins, session floods) before
    // anything else sees it, and every answer says that its content type is not to be sniffed.
    let router = router.layer(axum::middleware::from_fn_with_state(Arc::clone(&gate), http::screen)).layer(
        tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            axum::http::HeaderValue::from_static("nosniff"),
        ),
    );
    Ok(Built { router, io, cluster, durability, hub, network: limits.network, discovery: config.discovery, deliveries })
}

/// What a cluster's host follows: the log's writes, and the other hosts' people.
struct Following {
    feed: tokio::sync::mpsc::Receiver<crate::store::cluster::Applied>,
    presence: crate::cluster::presence::Presence,
}

/// The receiving end of the post queue, which `serve_built` hands to its delivery task.
type Deliveries = tokio::sync::mpsc::UnboundedReceiver<delivery::Delivery>;

/// What a host says to every guest when it stops on purpose.
pub const SHUTDOWN_MESSAGE: &str = "The host ended the chat.";

/// Serves Banter on `listener` until `shutdown` completes, then tells every guest the host is closing,
/// disconnects them, closes the store and returns.
pub async fn serve(
    listener: TcpListener,
    config: HostConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let built = build(config, listener.local_addr()?).await?;
    Ok(serve_built(listener, built, shutdown).await?)
}

async fn serve_built(
    listener: TcpListener,
    built: Built,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let Built { router, io, cluster, hub, network, discovery, deliveries, .. } = built;
    with_io!(io, io => serve_with(listener, router, io, cluster, hub, network, discovery, deliveries, shutdown).await)
}

/// [`serve_built`] for a server with a known adapter.
#[allow(clippy::too_many_arguments)] // The parts of `Built`, taken apart to know the adapter's type.
async fn serve_with<A: Adapter>(
    listener: TcpListener,
    router: axum::Router,
    io: SocketIo<A>,
    cluster: Option<Following>,
    hub: Hub,
    network: crate::limits::NetworkLimits,
    discovery: Option<Discovery>,
    deliveries: Deliveries,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let gate = Arc::clone(hub.gate());
    let port = listener.local_addr()?.port();
    let advertising = discovery.map(|discovery| AbortOnDrop(tokio::spawn(advertise(hub.clone(), discovery, port))));
    // The hub keeps the queue's sender and socketioxide keeps the hub, so the task would never see the queue
    // close: it is stopped with the server instead. A post it had not kept yet was not acknowledged either, so
    // its author sends it again.
    let sending = if cluster.is_some() { delivery::Sending::ByFollowing } else { delivery::Sending::Here };
    let delivering = AbortOnDrop(tokio::spawn(delivery::run(io.clone(), hub.clone(), deliveries, sending)));
    let (following, sharing, leaving) = match cluster {
        Some(Following { feed, presence }) => (
            Some(AbortOnDrop(tokio::spawn(follow::follow(io.clone(), hub.clone(), feed)))),
            Some(AbortOnDrop(tokio::spawn(presence::share(io.clone(), hub.clone(), presence.clone())))),
            Some(presence),
        ),
        None => (None, None, None),
    };
    let reaping = AbortOnDrop(tokio::spawn(chat::reap(io.clone(), hub.clone())));
    let sweeping = AbortOnDrop(tokio::spawn(files::sweep_now_and_then(hub.clone())));
    let graceful = async move {
        shutdown.await;
        tracing::info!("host shutting down: telling guests, then disconnecting them");
        let notice = Closing { reason: ClosingReason::Shutdown, message: SHUTDOWN_MESSAGE.into() };
        // This host's guests only: the others' hosts go on.
        if let Err(error) = io.local().to(hub::BANTER_SOCKETS).emit(event::SESSION_CLOSING, &notice).await {
            tracing::warn!(%error, "could not tell every guest about the shutdown");
        }
        io.close().await;
    };
    let served = listen::serve(listener, router, gate, network, graceful).await;
    drop(delivering);
    drop(following);
    drop(sharing);
    // This host's people leave the cluster's presence with it, not once its heartbeat lapses.
    if let Some(presence) = leaving {
        if let Err(error) = presence.leave().await {
            tracing::warn!(%error, "could not take this host out of the cluster's presence; its heartbeat will lapse");
        }
    }
    drop(reaping);
    drop(sweeping);
    // Dropping the task drops its record, which withdraws it.
    drop(advertising);
    // Lets the store finish its last commit and releases the data folder for the next host.
    hub.store().close().await;
    served
}

/// How often the record's online count is brought up to date, at most.
const ADVERTISED_ONLINE_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// Advertises the host until aborted, keeping the online count current. A network without multicast is logged
/// and the host goes on without a record.
async fn advertise(hub: Hub, discovery: Discovery, port: u16) {
    let online = || hub.registry().users().len();
    let advert = crate::discovery::Advert {
        host_id: hub.host_id().to_owned(),
        title: discovery.title,
        port,
        access_code: hub.access_code().is_some(),
        online: online(),
    };
    let mut advertisement = match crate::discovery::Advertisement::start(advert, &discovery.interfaces) {
        Ok(advertisement) => advertisement,
        Err(error) => {
            tracing::warn!(%error, "cannot advertise the host on the network; people join by address");
            return;
        }
    };
    tracing::info!(?advertisement, "advertising on the network");
    loop {
        tokio::time::sleep(ADVERTISED_ONLINE_EVERY).await;
        if let Err(error) = advertisement.set_online(online()) {
            tracing::warn!(%error, "could not update the mDNS record");
        }
    }
}

/// Aborts a task when dropped, so that a server future dropped midway (as `HostHandle::shutdown` may) stops its
/// helpers too.
#[derive(Debug)]
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Why a host could not start listening.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("Port {port} is already in use on {ip}; choose another port.")]
    PortInUse { ip: IpAddr, port: u16 },
    #[error("Could not listen on {address}: {source}")]
    Other { address: SocketAddr, source: io::Error },
}

/// Connections the kernel may hold for the host before it accepts them. Tokio's default is 128: when a whole
/// office reconnects after a restart, the rest would have their connections dropped and retried a second later.
/// Linux caps it at `net.core.somaxconn` (4096 on current kernels).
pub const LISTEN_BACKLOG: u32 = 4096;

/// Binds the listener a host will serve on, with a clear error for the usual mistake (a port in use).
pub async fn bind(ip: IpAddr, port: u16) -> Result<TcpListener, BindError> {
    let address = SocketAddr::new(ip, port);
    let listen = || {
        let socket = if ip.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        // As std and tokio's own bind do: a restarted host can take its port back while old connections linger.
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        socket.bind(address)?;
        socket.listen(LISTEN_BACKLOG)
    };
    listen().map_err(|source| match source.kind() {
        io::ErrorKind::AddrInUse => BindError::PortInUse { ip, port },
        _ => BindError::Other { address, source },
    })
}

/// The addresses others can use to join a host listening on `local`: every IPv4 address of this machine when
/// listening on all of them (loopback last, since it only works from here), or the one address listened on.
pub fn shareable_addresses(local: SocketAddr) -> Vec<SocketAddr> {
    if !local.ip().is_unspecified() {
        return vec![local];
    }
    let mut addresses: Vec<SocketAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|interface| interface.ip())
        .filter(|ip| ip.is_ipv4() && !ip.is_loopback())
        .map(|ip| SocketAddr::new(ip, local.port()))
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), local.port()));
    addresses
}

/// How long a graceful shutdown may wait for open connections.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// A running host started by [`spawn`].
#[derive(Debug)]
pub struct HostHandle {
    local_addr: SocketAddr,
    hub: Hub,
    io: Io,
    durability: Option<&'static str>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

/// Opens the host's store and starts the host on `listener` in a new task.
pub async fn spawn(listener: TcpListener, config: HostConfig) -> Result<HostHandle, StartError> {
    let local_addr = listener.local_addr()?;
    let built = build(config, local_addr).await?;
    let hub = built.hub.clone();
    let io = built.io.clone();
    let durability = built.durability;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_built(listener, built, async move {
        // A dropped handle stops the host too: nothing could stop it otherwise.
        let _ = stopped.await;
    }));
    Ok(HostHandle { local_addr, hub, io, durability, stop: Some(stop), task })
}

impl HostHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The token of the `/admin` namespace.
    pub fn admin_token(&self) -> &str {
        self.hub.admin_token()
    }

    /// The code guests must give, if the host requires one.
    pub fn access_code(&self) -> Option<&str> {
        self.hub.access_code().map(access::AccessCode::as_str)
    }

    /// The host's shared state, for in-process observers (the desktop app's host panel, tests).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The host's id (see [`crate::protocol::Welcome::host_id`]).
    pub fn host_id(&self) -> &str {
        self.hub.host_id()
    }

    /// The host's short fingerprint ([`crate::fingerprint::fingerprint`] of its id), for people to compare.
    pub fn fingerprint(&self) -> String {
        crate::fingerprint::fingerprint(self.hub.host_id())
    }

    /// Where the host keeps its data, for people.
    pub fn data_location(&self) -> String {
        self.hub.store().describe()
    }

    /// For a host of a cluster, what its server keeps of what it acknowledged, in words; `None` for a host alone.
    pub fn cluster_durability(&self) -> Option<&'static str> {
        self.durability
    }

    /// Bans the user who holds `name`, as the `/admin` namespace's `user:ban` does (for the desktop app's owner).
    pub async fn ban(&self, request: BanRequest) -> Result<Banned, ErrorBody> {
        with_io!(&self.io, io => admin::ban(io, &self.hub, request).await)
    }

    /// Disconnects every connection of whoever holds `name`, as `/admin`'s `user:kick` does: they are told why and
    /// do not reconnect by themselves, but may come back (a ban keeps them out).
    pub fn kick(&self, name: &str) -> Result<Kicked, ErrorBody> {
        with_io!(&self.io, io => admin::kick(io, &self.hub, &KickRequest { name: name.to_owned(), reason: None }))
    }

    /// Lifts the ban of whoever holds `name` (`user:unban`).
    pub async fn unban(&self, name: &str) -> Result<NameReleased, ErrorBody> {
        admin::unban(&self.hub, name).await
    }

    /// Deletes a room with its history, taking everyone out of it, as `/admin`'s `room:delete` does.
    pub async fn delete_room(&self, room: &str) -> Result<RoomDeleted, ErrorBody> {
        with_io!(&self.io, io => admin::delete_room(io, &self.hub, room).await)
    }

    /// Deletes a message in any room (the admin's `message:delete`); answers its tombstone.
    pub async fn delete_message(&self, room: &str, seq: u64) -> Result<Message, ErrorBody> {
        admin::delete_message(&self.hub, &MessageRef { room: room.to_owned(), seq }).await
    }

    /// Frees a name bound to someone's key for anyone to take (`name:release`).
    pub async fn release_name(&self, name: &str) -> Result<NameReleased, ErrorBody> {
        admin::release_name(&self.hub, name).await
    }

    /// The bans that hold now (`bans:list`).
    pub fn bans(&self) -> Vec<BanInfo> {
        self.hub.registry().bans(crate::clock::now_millis())
    }

    /// Stops the host gracefully and waits until it has stopped.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            // The receiver is gone only if the server already ended; its result is what matters then.
            let _ = stop.send(());
        }
        // A client that never finishes its request must not keep the host (and whoever stops it) waiting forever.
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join_error)) => Err(io::Error::other(join_error)),
            Err(_) => {
                tracing::warn!("connections still open after the grace period; closing them");
                self.task.abort();
                self.hub.store().close().await;
                Ok(())
            }
        }
    }
}
