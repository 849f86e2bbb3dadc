//! The hub without sockets: subscriptions read their queues directly.

use super::*;
use projections::live::ServerFrame;

const CAPS: Caps = Caps {
    per_user: 4,
    per_address: 6,
};
const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn owner(user: Uuid, address: IpAddr, session: Option<&str>) -> Owner {
    Owner {
        user,
        address,
        session: session.map(str::to_owned),
    }
}

fn subscribe(hub: &Hub, user: Uuid) -> Subscription {
    hub.subscribe(owner(user, HOME, None), CAPS).unwrap()
}

fn delivery(position: i64, user: Uuid) -> Delivery {
    Delivery {
        position,
        transaction_id: 0,
        nonce: None,
        user,
        frame: ServerFrame::Synced {
            room_id: Uuid::nil(),
            seq: position,
        },
        recorded_at: None,
    }
}

#[tokio::test]
async fn frames_reach_every_socket_of_the_user_once() {
    let hub = Hub::default();
    let (ann, ben) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let mut tab1 = subscribe(&hub, ann);
    let mut tab2 = subscribe(&hub, ann);
    let mut other = subscribe(&hub, ben);
    hub.deliver(&delivery(7, ann));
    hub.deliver(&delivery(7, ann));
    let sent = serde_json::to_string(&delivery(7, ann).frame).unwrap();
    assert_eq!(*tab1.frames.recv().await.unwrap().text, *sent);
    assert_eq!(*tab2.frames.recv().await.unwrap().text, *sent);
    assert!(tab1.frames.try_recv().is_err(), "the copy was dropped");
    assert!(other.frames.try_recv().is_err());
}

#[tokio::test]
async fn a_socket_that_stops_reading_is_dropped() {
    let hub = Hub::default();
    let ann = Uuid::from_u128(1);
    let mut slow = subscribe(&hub, ann);
    for position in 1..=(QUEUE as i64 + 1) {
        hub.deliver(&delivery(position, ann));
    }
    assert_eq!(hub.sockets(), 0);
    assert!(slow.closed.is_cancelled());
    let mut received = 0;
    while slow.frames.try_recv().is_ok() {
        received += 1;
    }
    assert_eq!(received, QUEUE);
}

#[test]
fn an_unsubscribed_socket_is_forgotten() {
    let hub = Hub::default();
    let sub = subscribe(&hub, Uuid::from_u128(1));
    assert_eq!(hub.sockets(), 1);
    drop(sub);
    assert_eq!(hub.sockets(), 0);
}

#[test]
fn a_person_and_an_address_hold_at_most_their_caps() {
    let hub = Hub::default();
    let (ann, ben) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let ann_tabs: Vec<_> = (0..CAPS.per_user).map(|_| subscribe(&hub, ann)).collect();
    assert_eq!(
        hub.subscribe(owner(ann, HOME, None), CAPS).err(),
        Some(TooMany::User)
    );
    let elsewhere = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    assert_eq!(
        hub.subscribe(owner(ann, elsewhere, None), CAPS).err(),
        Some(TooMany::User)
    );
    // Ben shares Ann's address: two more fit under its cap of six.
    let ben_tabs: Vec<_> = (0..2).map(|_| subscribe(&hub, ben)).collect();
    assert_eq!(
        hub.subscribe(owner(ben, HOME, None), CAPS).err(),
        Some(TooMany::Address)
    );
    assert!(hub.subscribe(owner(ben, elsewhere, None), CAPS).is_ok());
    drop(ann_tabs);
    drop(ben_tabs);
    assert_eq!(hub.sockets(), 0);
    assert!(
        hub.subscribe(owner(ann, HOME, None), CAPS).is_ok(),
        "closing sockets frees their places"
    );
}

#[test]
fn a_revocation_closes_the_sockets_it_names() {
    let hub = Hub::default();
    let (ann, ben) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let laptop = hub.subscribe(owner(ann, HOME, Some("laptop")), CAPS).unwrap();
    let phone = hub.subscribe(owner(ann, HOME, Some("phone")), CAPS).unwrap();
    let script = hub.subscribe(owner(ann, HOME, None), CAPS).unwrap();
    let other = hub.subscribe(owner(ben, HOME, Some("laptop")), CAPS).unwrap();

    let logged_out = Revocation {
        user: ann,
        session: Some("laptop".to_owned()),
    };
    assert_eq!(hub.revoke(&logged_out), 1);
    assert!(laptop.closed.is_cancelled());
    assert!(!phone.closed.is_cancelled() && !script.closed.is_cancelled() && !other.closed.is_cancelled());

    let everywhere = Revocation {
        user: ann,
        session: None,
    };
    assert_eq!(hub.revoke(&everywhere), 2);
    assert!(phone.closed.is_cancelled() && script.closed.is_cancelled());
    assert!(!other.closed.is_cancelled(), "another person's socket stays");
    assert_eq!(hub.sockets(), 1);
}
