//! How `socketioxide-redis` talks to the server: its pub/sub [`Driver`], on a connection that comes back by itself.
//!
//! The crate's own `RedisDriver` holds one connection for good: once the server restarts, its subscriptions are
//! gone and the host hears no other host again. This driver is the same driver on redis' `ConnectionManager`,
//! which reconnects when the link drops and subscribes again to every channel it had; a ping every few seconds
//! makes it try again even while nobody publishes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{PushInfo, PushKind, RedisError};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use tokio::sync::mpsc;

/// How often the driver checks its link to the server while idle.
const PING_EVERY: Duration = Duration::from_secs(2);

type Handlers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

/// `socketioxide-redis`'s driver on a reconnecting connection; see the module's documentation.
#[derive(Clone)]
pub struct ReconnectingDriver {
    handlers: Handlers,
    connection: ConnectionManager,
    /// Held by every clone, never read: the pings stop once the last is gone.
    _alive: Arc<()>,
}

impl std::fmt::Debug for ReconnectingDriver {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ReconnectingDriver")
    }
}

/// What the adapter hears from the server, or why a call failed.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DriverError(#[from] RedisError);

/// Hands a published message to the adapter's stream for its channel.
fn route(push: PushInfo, handlers: &Handlers) {
    if !matches!(push.kind, PushKind::Message | PushKind::SMessage) || push.data.len() < 2 {
        return;
    }
    let mut data = push.data.into_iter();
    let (Some(channel), Some(message)) = (data.next(), data.next()) else { return };
    let (Ok(channel), Ok(message)) =
        (redis::from_redis_value::<String>(channel), redis::from_redis_value::<Vec<u8>>(message))
    else {
        tracing::warn!("an unreadable message from the cluster's server");
        return;
    };
    let handler = handlers.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&channel).cloned();
    if let Some(handler) = handler {
        // A full stream means the adapter is behind: the message is dropped, as the crate's own driver does.
        if let Err(error) = handler.try_send((channel, message)) {
            tracing::warn!(%error, "the cluster's pub/sub stream is full");
        }
    }
}

impl ReconnectingDriver {
    pub async fn new(client: &redis::Client, limit: Duration) -> Result<ReconnectingDriver, RedisError> {
        let handlers = Handlers::default();
        let routed = Arc::clone(&handlers);
        let config = ConnectionManagerConfig::new()
            .set_push_sender(move |push: PushInfo| {
                route(push, &routed);
                Ok::<(), std::convert::Infallible>(())
            })
            .set_automatic_resubscription()
            .set_number_of_retries(3)
            .set_max_delay(Duration::from_secs(1))
            .set_connection_timeout(Some(limit))
            .set_response_timeout(Some(limit));
        let connection = ConnectionManager::new_with_config(client.clone(), config).await?;
        let alive = Arc::new(());
        tokio::spawn(ping_now_and_then(connection.clone(), Arc::downgrade(&alive)));
        Ok(ReconnectingDriver { handlers, connection, _alive: alive })
    }
}

async fn ping_now_and_then(mut connection: ConnectionManager, alive: std::sync::Weak<()>) {
    let mut down = false;
    loop {
        tokio::time::sleep(PING_EVERY).await;
        if alive.upgrade().is_none() {
            return;
        }
        let answer: Result<String, RedisError> = redis::cmd("PING").query_async(&mut connection).await;
        match (answer, down) {
            (Ok(_), true) => {
                tracing::info!("the cluster's pub/sub is back");
                down = false;
            }
            (Err(error), false) => {
                tracing::warn!(%error, "lost the cluster's pub/sub; other hosts' broadcasts wait until it is back");
                down = true;
            }
            _ => {}
        }
    }
}

impl Driver for ReconnectingDriver {
    type Error = DriverError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), Self::Error> {
        let mut connection = self.connection.clone();
        let _: redis::Value = redis::cmd("PUBLISH").arg(chan).arg(val).query_async(&mut connection).await?;
        Ok(())
    }

    async fn subscribe(&self, chan: String, size: usize) -> Result<MessageStream<ChanItem>, Self::Error> {
        self.connection.clone().subscribe(chan.as_str()).await?;
        let (sender, receiver) = mpsc::channel(size);
        self.handlers.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(chan, sender);
        Ok(MessageStream::new(receiver))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), Self::Error> {
        self.handlers.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&chan);
        self.connection.clone().unsubscribe(chan).await?;
        Ok(())
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, Self::Error> {
        let mut connection = self.connection.clone();
        let (_, count): (String, u16) =
            redis::cmd("PUBSUB").arg("NUMSUB").arg(chan).query_async(&mut connection).await?;
        Ok(count)
    }
}
