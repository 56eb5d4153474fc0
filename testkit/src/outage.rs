//! A back end going down, as its client sees it: a TCP front on loopback that forwards to the
//! real service (moto, say) until it is cut. Cut, it drops the connections it carries and
//! closes every new one at once; restored, it forwards again on the same address.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Outage {
    addr: SocketAddr,
    up: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Outage {
    /// A front for `target`, forwarding.
    pub async fn front(target: SocketAddr) -> Outage {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (up, _) = watch::channel(true);
        let task = tokio::spawn(serve(listener, target, up.clone()));
        Outage { addr, up, task }
    }

    /// Where clients connect (`http://{addr}` for an HTTP service).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The service goes down: open connections drop, new ones are closed on arrival.
    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    /// The service is back.
    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, target: SocketAddr, up: watch::Sender<bool>) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        let mut state = up.subscribe();
        if !*state.borrow_and_update() {
            continue; // dropped: closed on arrival
        }
        tokio::spawn(async move {
            let Ok(mut outbound) = TcpStream::connect(target).await else {
                return;
            };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                _ = state.wait_for(|up| !*up) => {}
            }
        });
    }
}
