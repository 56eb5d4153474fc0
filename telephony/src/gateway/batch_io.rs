//! Batched UDP for the media workers (Linux `recvmmsg`/`sendmmsg`): one system call reads or
//! sends up to [`BATCH`] datagrams. Safe wrappers around the two calls; the buffers they fill
//! or read are owned here and reused, so nothing is allocated per packet.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;

use socket2::SockAddr;

/// Datagrams per system call.
pub(crate) const BATCH: usize = 32;
/// Large enough for any datagram a browser or trunk sends us (DTLS records included).
const DATAGRAM_MAX: usize = 2048;

/// Datagrams read by one `recvmmsg`.
pub(crate) struct RecvBatch {
    buffers: Box<[[u8; DATAGRAM_MAX]]>,
    sources: Box<[libc::sockaddr_storage]>,
    lengths: [usize; BATCH],
    source_lengths: [libc::socklen_t; BATCH],
    count: usize,
}

impl RecvBatch {
    pub(crate) fn new() -> RecvBatch {
        RecvBatch {
            buffers: vec![[0; DATAGRAM_MAX]; BATCH].into_boxed_slice(),
            // SAFETY: sockaddr_storage is plain data; all-zero is a valid (unspecified) address.
            sources: vec![unsafe { std::mem::zeroed() }; BATCH].into_boxed_slice(),
            lengths: [0; BATCH],
            source_lengths: [0; BATCH],
            count: 0,
        }
    }

    /// Reads what the socket holds, up to [`BATCH`] datagrams; `Ok(0)` when it holds nothing
    /// (non-blocking socket).
    pub(crate) fn recv(&mut self, socket: &impl AsRawFd) -> io::Result<usize> {
        self.count = 0;
        let mut iovecs: [libc::iovec; BATCH] = std::array::from_fn(|i| libc::iovec {
            iov_base: self.buffers[i].as_mut_ptr().cast(),
            iov_len: DATAGRAM_MAX,
        });
        // SAFETY: mmsghdr is plain data; all-zero is a valid value (no name, no control).
        let mut headers: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for (i, h) in headers.iter_mut().enumerate() {
            h.msg_hdr.msg_name = (&mut self.sources[i] as *mut libc::sockaddr_storage).cast();
            h.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as _;
            h.msg_hdr.msg_iov = &mut iovecs[i];
            h.msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every header points at a buffer and an address slot owned by `self` (or
        // `iovecs` on this stack frame), of the sizes given; they outlive the call.
        let n = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                headers.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock => Ok(0),
                _ => Err(e),
            };
        }
        self.count = n as usize;
        for (i, h) in headers.iter().take(self.count).enumerate() {
            self.lengths[i] = h.msg_len as usize;
            self.source_lengths[i] = h.msg_hdr.msg_namelen;
        }
        Ok(self.count)
    }

    /// How many datagrams the last [`RecvBatch::recv`] read.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The `i`th datagram read and where it came from (`None` past the count, or for a
    /// source that is not an IP address).
    pub(crate) fn get(&self, i: usize) -> Option<(SocketAddr, &[u8])> {
        if i >= self.count {
            return None;
        }
        let address = socket_address(&self.sources[i], self.source_lengths[i])?;
        let data = &self.buffers[i][..self.lengths[i].min(DATAGRAM_MAX)];
        Some((address, data))
    }
}

/// An IPv4 or IPv6 address the kernel wrote (`None` for any other family or a short length).
fn socket_address(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
    let len = len as usize;
    match storage.ss_family as libc::c_int {
        libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says the storage holds a sockaddr_in, and storage is large
            // and aligned enough for any socket address.
            let a =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddrV4::new(ip, u16::from_be(a.sin_port)).into())
        }
        libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for sockaddr_in6.
            let a = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            let port = u16::from_be(a.sin6_port);
            Some(SocketAddrV6::new(ip, port, a.sin6_flowinfo, a.sin6_scope_id).into())
        }
        _ => None,
    }
}

/// Datagrams waiting to go out in one `sendmmsg`.
#[derive(Default)]
pub(crate) struct SendBatch {
    bytes: Vec<u8>,
    packets: Vec<(SockAddr, usize, usize)>,
}

impl SendBatch {
    pub(crate) fn push(&mut self, destination: SocketAddr, datagram: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(datagram);
        self.packets
            .push((SockAddr::from(destination), start, datagram.len()));
    }

    pub(crate) fn is_full(&self) -> bool {
        self.packets.len() >= BATCH
    }

    /// Sends everything queued. UDP: what the kernel does not take now is lost like any other
    /// datagram, so errors only end the batch early.
    pub(crate) fn flush(&mut self, socket: &impl AsRawFd) {
        let mut sent = 0;
        while sent < self.packets.len() {
            let chunk = &self.packets[sent..(sent + BATCH).min(self.packets.len())];
            let mut iovecs: [libc::iovec; BATCH] = std::array::from_fn(|_| libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            });
            // SAFETY: mmsghdr is plain data; all-zero is a valid value.
            let mut headers: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
            for (i, (address, start, len)) in chunk.iter().enumerate() {
                iovecs[i] = libc::iovec {
                    iov_base: self.bytes[*start..*start + *len].as_ptr() as *mut libc::c_void,
                    iov_len: *len,
                };
                headers[i].msg_hdr.msg_name = address.as_ptr() as *mut libc::c_void;
                headers[i].msg_hdr.msg_namelen = address.len();
                headers[i].msg_hdr.msg_iov = &mut iovecs[i];
                headers[i].msg_hdr.msg_iovlen = 1;
            }
            // SAFETY: the headers point at addresses and bytes owned by `self` and at
            // `iovecs` on this frame, all alive and unchanged during the call; the kernel only
            // reads them (and writes `msg_len`).
            let n = unsafe {
                libc::sendmmsg(
                    socket.as_raw_fd(),
                    headers.as_mut_ptr(),
                    chunk.len() as libc::c_uint,
                    libc::MSG_DONTWAIT,
                )
            };
            if n <= 0 {
                // A datagram the kernel refused (full buffer, ICMP error pending): skip it.
                sent += 1;
            } else {
                sent += n as usize;
            }
        }
        self.bytes.clear();
        self.packets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_sent_is_a_batch_received() {
        let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver.set_nonblocking(true).unwrap();
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = receiver.local_addr().unwrap();
        let mut out = SendBatch::default();
        for i in 0..40u8 {
            out.push(to, &[i; 172]);
        }
        out.flush(&sender);
        let mut batch = RecvBatch::new();
        let mut got = Vec::new();
        for _ in 0..100 {
            let n = batch.recv(&receiver).unwrap();
            for i in 0..n {
                let (from, data) = batch.get(i).unwrap();
                assert_eq!(from, sender.local_addr().unwrap());
                assert_eq!(data.len(), 172);
                got.push(data[0]);
            }
            if got.len() == 40 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(got, (0..40).collect::<Vec<u8>>());
        assert_eq!(batch.recv(&receiver).unwrap(), 0, "nothing left");
    }
}
