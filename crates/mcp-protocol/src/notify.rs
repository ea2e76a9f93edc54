//! Server-wide change events: list changes and resource updates.

use tokio::sync::broadcast;

/// Something changed on the server that clients may want to hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// The tool list changed.
    ToolsListChanged,
    /// The prompt list changed.
    PromptsListChanged,
    /// The resource list changed.
    ResourcesListChanged,
    /// One resource's contents changed.
    ResourceUpdated(String),
}

impl ServerEvent {
    /// The notification method announcing this event.
    pub fn method(&self) -> &'static str {
        match self {
            ServerEvent::ToolsListChanged => "notifications/tools/list_changed",
            ServerEvent::PromptsListChanged => "notifications/prompts/list_changed",
            ServerEvent::ResourcesListChanged => "notifications/resources/list_changed",
            ServerEvent::ResourceUpdated(_) => "notifications/resources/updated",
        }
    }
}

/// Announces [`ServerEvent`]s to every connected client: legacy sessions get the
/// `notifications/*/list_changed` messages, stateless clients get them on their
/// `subscriptions/listen` streams. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Notifier {
    tx: broadcast::Sender<ServerEvent>,
}

impl Notifier {
    pub(crate) fn new() -> Self {
        let (tx, _) = broadcast::channel(256);
        Notifier { tx }
    }

    /// Announces an event; a no-op when nobody listens.
    pub fn notify(&self, event: ServerEvent) {
        let _ = self.tx.send(event);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ServerEvent> {
        self.tx.subscribe()
    }
}
