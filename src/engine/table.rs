//! The live sessions: by key, and automatic ones by player id (unique among live sessions).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};
use crate::session::SessionCore;

pub struct SessionTable {
    sessions: Mutex<HashMap<u64, Arc<SessionCore>>>,
    players: Mutex<HashMap<String, u64>>,
    next_key: AtomicU64,
}

impl Default for SessionTable {
    fn default() -> Self {
        SessionTable { sessions: Mutex::default(), players: Mutex::default(), next_key: AtomicU64::new(1) }
    }
}

impl SessionTable {
    /// A client-wide number for a new session (or ticker).
    pub fn next_key(&self) -> u64 {
        self.next_key.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds a session; `PlayerIdInUse` if another live session has its player id.
    pub fn insert(&self, core: &Arc<SessionCore>) -> Result<()> {
        if let Some(player_id) = &core.player_id {
            let mut players = self.players.lock();
            if players.contains_key(player_id) {
                return Err(Error::new(
                    ErrorKind::PlayerIdInUse,
                    format!("player id \"{player_id}\" already has a live session; end or free it first"),
                ));
            }
            players.insert(player_id.clone(), core.key);
        }
        self.sessions.lock().insert(core.key, Arc::clone(core));
        Ok(())
    }

    pub fn get(&self, key: u64) -> Option<Arc<SessionCore>> {
        self.sessions.lock().get(&key).cloned()
    }

    pub fn by_player(&self, player_id: &str) -> Option<Arc<SessionCore>> {
        let key = self.players.lock().get(player_id).copied()?;
        self.get(key)
    }

    /// Frees the session's player id for a new session (if it still holds it).
    pub fn release_player(&self, core: &SessionCore) {
        if let Some(player_id) = &core.player_id {
            let mut players = self.players.lock();
            if players.get(player_id) == Some(&core.key) {
                players.remove(player_id);
            }
        }
    }

    pub fn remove(&self, key: u64) {
        self.sessions.lock().remove(&key);
    }

    pub fn all(&self) -> Vec<Arc<SessionCore>> {
        self.sessions.lock().values().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.sessions.lock().len()
    }
}
