//! Which call a datagram on a worker's shared browser socket belongs to: a STUN check names the
//! call by our ICE username fragment (RFC 8445 §7.2.2: `USERNAME` is `ours:theirs`), and every
//! address a check came from then names it for DTLS and SRTP.

use std::collections::HashMap;
use std::net::SocketAddr;

/// A call leg's number within its worker.
pub(crate) type LegId = u64;

const STUN_HEADER: usize = 20;
const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xa4, 0x42];
const USERNAME: u16 = 0x0006;

/// Our ufrag from a STUN message's `USERNAME`; `None` for anything that is not STUN or has none.
pub(crate) fn stun_local_ufrag(datagram: &[u8]) -> Option<&str> {
    // RFC 5389 §6: the first two bits are zero and the magic cookie follows the length.
    if datagram.len() < STUN_HEADER || datagram[0] >= 2 || datagram[4..8] != MAGIC_COOKIE {
        return None;
    }
    let length = u16::from_be_bytes([datagram[2], datagram[3]]) as usize;
    let attributes = datagram.get(STUN_HEADER..STUN_HEADER + length)?;
    let mut at = 0;
    while at + 4 <= attributes.len() {
        let kind = u16::from_be_bytes([attributes[at], attributes[at + 1]]);
        let len = u16::from_be_bytes([attributes[at + 2], attributes[at + 3]]) as usize;
        let value = attributes.get(at + 4..at + 4 + len)?;
        if kind == USERNAME {
            let username = std::str::from_utf8(value).ok()?;
            return username.split(':').next();
        }
        // Attributes are padded to four bytes.
        at += 4 + len.div_ceil(4) * 4;
    }
    None
}

/// The worker's routing tables.
#[derive(Default)]
pub(crate) struct Demux {
    by_ufrag: HashMap<String, LegId>,
    by_browser: HashMap<SocketAddr, LegId>,
}

impl Demux {
    pub(crate) fn add_leg(&mut self, id: LegId, ufrag: &str) {
        self.by_ufrag.insert(ufrag.to_string(), id);
    }

    /// The leg a browser datagram is for (a STUN check by its ufrag, anything else by its
    /// source).
    pub(crate) fn browser_leg(&self, source: SocketAddr, datagram: &[u8]) -> Option<LegId> {
        match stun_local_ufrag(datagram) {
            Some(ufrag) => self.by_ufrag.get(ufrag).copied(),
            None => self.by_browser.get(&source).copied(),
        }
    }

    /// `source` sent a check the leg took: its DTLS and media come from there too.
    pub(crate) fn learn_browser(&mut self, id: LegId, source: SocketAddr) -> bool {
        self.by_browser.insert(source, id) != Some(id)
    }

    /// Forgets everything that names the leg (an address another leg took since stays).
    pub(crate) fn remove_leg(&mut self, id: LegId, ufrag: &str, browser: &[SocketAddr]) {
        if self.by_ufrag.get(ufrag) == Some(&id) {
            self.by_ufrag.remove(ufrag);
        }
        for address in browser {
            if self.by_browser.get(address) == Some(&id) {
                self.by_browser.remove(address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding_request(username: &str) -> Vec<u8> {
        let mut attrs = Vec::new();
        // A PRIORITY attribute first, so the USERNAME is found after skipping one.
        attrs.extend_from_slice(&[0x00, 0x24, 0x00, 0x04, 1, 2, 3, 4]);
        attrs.extend_from_slice(&USERNAME.to_be_bytes());
        attrs.extend_from_slice(&(username.len() as u16).to_be_bytes());
        attrs.extend_from_slice(username.as_bytes());
        while attrs.len() % 4 != 0 {
            attrs.push(0);
        }
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(&[7; 12]);
        m.extend_from_slice(&attrs);
        m
    }

    #[test]
    fn a_check_names_our_ufrag() {
        assert_eq!(
            stun_local_ufrag(&binding_request("abcd:wxyz1")),
            Some("abcd")
        );
    }

    #[test]
    fn media_and_truncated_messages_name_nothing() {
        // An RTP packet (version 2) and a DTLS record.
        assert_eq!(stun_local_ufrag(&[0x80; 40]), None);
        assert_eq!(stun_local_ufrag(&[22; 40]), None);
        let mut cut = binding_request("abcd:wxyz");
        cut.truncate(30);
        assert_eq!(stun_local_ufrag(&cut), None);
    }

    #[test]
    fn a_leg_removed_leaves_another_legs_address() {
        let mut d = Demux::default();
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        d.add_leg(1, "one");
        d.add_leg(2, "two");
        d.learn_browser(1, a);
        d.learn_browser(2, a); // the port was reused by a newer call
        d.remove_leg(1, "one", &[a]);
        assert_eq!(d.browser_leg(a, &[0x80; 12]), Some(2));
        d.remove_leg(2, "two", &[a]);
        assert_eq!(d.browser_leg(a, &[0x80; 12]), None);
    }
}
