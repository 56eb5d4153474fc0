//! Another browser takes a call in progress (what a transfer to another agent does): the
//! customer, the simulator calling in, talks with agent A's browser peer; the gateway answers
//! agent B's offer for the same call, and from then on the customer hears B and B hears the
//! customer, while A hears nothing more. The SIP side never notices. An offer that is not SDP
//! is refused and the call goes on with A.

use std::time::Duration;

use telephony::gateway::{GatewayError, LegCommand, LegEvent};
use telephony::simulator::CallInEvent;
use telephony::tones::tone_purity;
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use testkit::rig::*;

const CUSTOMER: &str = "+6591234567";
const BUSINESS: &str = "+6560000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_browser_takes_the_call_and_the_first_hears_nothing_more() {
    let simulator = simulator(None).await;
    let gateway = gateway_taking_calls(&simulator, "127.0.0.0/8").await;
    let mut incoming = gateway.take_incoming().expect("calls in");
    let mut call = simulator.call_in(CUSTOMER, BUSINESS).expect("placed");
    let mut ringing = arrives(&mut incoming).await;
    let (a, mut leg) = answer_in(&gateway, &mut ringing, true).await;
    assert_eq!(next_event(&mut call).await, CallInEvent::Answered);
    a.command(PeerCommand::Source(Source::Tone(1000.0)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let heard = call.take_heard();
    let from_a = tone_purity(last(&heard, 4000), 1000.0);
    assert!(from_a > 0.8, "the customer hears agent A: {from_a:.2}");

    // Not an offer: refused, and A keeps the call.
    assert!(matches!(
        gateway.new_browser(&leg, "v=0 nonsense"),
        Err(GatewayError::BadOffer(_))
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    call.take_heard();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let still_a = tone_purity(&call.take_heard(), 1000.0);
    assert!(still_a > 0.8, "A still talks: {still_a:.2}");

    // Agent B's browser takes the call.
    let mut b = BrowserPeer::new(LOOPBACK, true).await.expect("peer");
    let answer = gateway
        .new_browser(&leg, &b.offer)
        .expect("B's offer answered");
    b.accept_answer(answer);
    wait_for(&mut leg, Duration::from_secs(5), |e| {
        *e == LegEvent::BrowserConnected
    })
    .await;
    b.command(PeerCommand::Source(Source::Tone(600.0)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    call.take_heard();
    a.take_audio();
    b.take_audio();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let heard = call.take_heard();
    let from_b = tone_purity(last(&heard, 8000), 600.0);
    let from_a = tone_purity(last(&heard, 8000), 1000.0);
    assert!(from_b > 0.8, "the customer hears agent B: {from_b:.2}");
    assert!(from_a < 0.02, "and no more of agent A: {from_a:.3}");
    let at_b = b.take_audio();
    // Half a second of the 1.5 s at least (a loaded machine delivers late, not less).
    assert!(
        at_b.len() > 4000,
        "B hears the customer ({} samples)",
        at_b.len()
    );
    let echo = tone_purity(last(&at_b, 4000), 600.0);
    assert!(echo > 0.8, "the customer's echo of B's tone: {echo:.2}");
    let at_a = a.take_audio();
    assert!(
        at_a.len() < 800,
        "A hears nothing more ({} samples)",
        at_a.len()
    );

    leg.command(LegCommand::Bye);
    wait_for(&mut leg, Duration::from_secs(3), |e| {
        *e == LegEvent::EndConfirmed
    })
    .await;
}
