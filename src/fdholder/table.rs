//! The descriptors a fd-holder daemon holds: one per identifier, each
//! with its deadline. Compact (a sorted vector of 32-byte slots plus each
//! identifier's bytes), and indexed by deadline only for those that can
//! expire, so that the daemon sleeps until the nearest one and no longer:
//! entries sharing a deadline are distinct keys (deadline, identifier).

use crate::tai::Tain;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use std::collections::BTreeSet;

/// One held descriptor.
struct Slot {
    id: Box<[u8]>,
    label: u64,
    nanos: u32,
    fd: OwnedFd,
}

impl Slot {
    fn deadline(&self) -> Tain {
        Tain { label: self.label, nanos: self.nanos }
    }
}

/// The held descriptors.
#[derive(Default)]
pub struct Table {
    slots: Vec<Slot>,
    expiry: BTreeSet<(Tain, Box<[u8]>)>,
}

/// `finite(deadline, now)`: a deadline the daemon must watch (less than
/// 2^60 s away; further ones are "never").
fn finite(deadline: &Tain, now: &Tain) -> bool {
    !super::is_never(deadline, now)
}

impl Table {
    /// `len()`: how many descriptors are held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// `is_empty()`: nothing is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    fn position(&self, id: &[u8]) -> Result<usize, usize> {
        self.slots.binary_search_by(|s| (*s.id).cmp(id))
    }

    /// `contains(id)`: `id` is held.
    pub fn contains(&self, id: &[u8]) -> bool {
        self.position(id).is_ok()
    }

    /// `get(id)`: the descriptor held under `id`.
    pub fn get(&self, id: &[u8]) -> Option<BorrowedFd<'_>> {
        self.position(id).ok().map(|i| self.slots[i].fd.as_fd())
    }

    /// `get_with_deadline(id)`: the descriptor held under `id`, and its
    /// deadline.
    pub fn get_with_deadline(&self, id: &[u8]) -> Option<(BorrowedFd<'_>, Tain)> {
        self.position(id).ok().map(|i| (self.slots[i].fd.as_fd(), self.slots[i].deadline()))
    }

    /// `insert(id, deadline, fd, now)`: holds `fd` under `id`; a
    /// descriptor already held there is closed and replaced. Returns
    /// whether one was replaced.
    pub fn insert(&mut self, id: &[u8], deadline: Tain, fd: OwnedFd, now: &Tain) -> bool {
        let slot = Slot { id: id.into(), label: deadline.label, nanos: deadline.nanos, fd };
        if finite(&deadline, now) {
            self.expiry.insert((deadline, id.into()));
        }
        match self.position(id) {
            Ok(i) => {
                let old = std::mem::replace(&mut self.slots[i], slot);
                if old.deadline() != deadline {
                    self.expiry.remove(&(old.deadline(), old.id));
                }
                true
            }
            Err(i) => {
                self.slots.insert(i, slot);
                false
            }
        }
    }

    /// `remove(id)`: stops holding `id`, giving its descriptor back.
    pub fn remove(&mut self, id: &[u8]) -> Option<OwnedFd> {
        let i = self.position(id).ok()?;
        let s = self.slots.remove(i);
        self.expiry.remove(&(s.deadline(), s.id));
        if self.slots.capacity() > 64 && self.slots.len() < self.slots.capacity() / 4 {
            self.slots.shrink_to(self.slots.len() * 2);
        }
        Some(s.fd)
    }

    /// `next_deadline()`: the nearest deadline of an expiring descriptor.
    pub fn next_deadline(&self) -> Option<Tain> {
        self.expiry.first().map(|(t, _)| *t)
    }

    /// `expire(now)`: closes and forgets every descriptor whose deadline
    /// is not after `now`; returns how many.
    pub fn expire(&mut self, now: &Tain) -> usize {
        let mut n = 0;
        while let Some((t, _)) = self.expiry.first() {
            if t > now {
                break;
            }
            let Some((_, id)) = self.expiry.pop_first() else { break };
            if let Ok(i) = self.position(&id) {
                self.slots.remove(i);
                n += 1;
            }
        }
        n
    }

    /// `iter()`: (identifier, deadline, descriptor) in identifier order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Tain, BorrowedFd<'_>)> {
        self.slots.iter().map(|s| (&*s.id, s.deadline(), s.fd.as_fd()))
    }

    /// `entry(i)`: the i-th entry in identifier order.
    pub fn entry(&self, i: usize) -> Option<(&[u8], Tain, BorrowedFd<'_>)> {
        self.slots.get(i).map(|s| (&*s.id, s.deadline(), s.fd.as_fd()))
    }

    /// `clear()`: closes everything.
    pub fn clear(&mut self) {
        self.slots = Vec::new();
        self.expiry = BTreeSet::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fd() -> OwnedFd {
        crate::fd::pipe_cloexec().unwrap().0
    }

    #[test]
    fn equal_deadlines_and_expiry() {
        let now = Tain { label: 1 << 62, nanos: 0 };
        let t = now.add_ms(300);
        let mut tb = Table::default();
        assert!(!tb.insert(b"a", t, fd(), &now));
        assert!(!tb.insert(b"b", t, fd(), &now));
        assert!(!tb.insert(b"n", super::super::never(now), fd(), &now));
        assert!(tb.remove(b"b").is_some());
        assert!(!tb.insert(b"c", t.add_ms(1), fd(), &now));
        assert_eq!(tb.next_deadline(), Some(t));
        assert_eq!(tb.expire(&now), 0);
        assert_eq!(tb.expire(&t), 1);
        assert_eq!(tb.next_deadline(), Some(t.add_ms(1)));
        assert!(tb.insert(b"c", super::super::never(now), fd(), &now));
        assert_eq!(tb.next_deadline(), None);
        assert_eq!(
            tb.iter().map(|e| e.0.to_vec()).collect::<Vec<_>>(),
            vec![b"c".to_vec(), b"n".to_vec()]
        );
    }
}
