//! The log: the checkpoint signed after Jake's article, and the proofs that join the article's
//! publication to it.

use serde_json::{Value, json};

use super::{JAKE_ID, POST_ID, at};

/// The size of the tree the example checkpoint signs.
pub const TREE_SIZE: u64 = 4;

pub fn checkpoint() -> Value {
    json!({
        "origin": "bocha event log",
        "treeSize": TREE_SIZE,
        "root": "SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=",
        "signedAt": at::PUBLISHED,
        "keyId": "2c70e12b7a0646f9",
        "publicKey": "LHDhK3oGRvkiefQnx7OOczTY5Tic/xZ6HcMOc/gmtoM=",
        "signature": "AHPsJm1PtK2/PRBKpxT58RAy/Yq22IKfxAtSyG9khdeSjMLr1GRvP+PzdL4R2QW/S+J1+obziJ2CqffcXkHdMg==",
    })
}

pub fn inclusion() -> Value {
    json!({
        "event": {
            "position": 4,
            "aggregateType": "Post",
            "aggregateId": POST_ID,
            "sequence": 1,
            "eventType": "PostPublished",
            "eventVersion": "1",
            "payload": "{\"id\": \"01a20cb7-7be3-7110-a1ca-0015e0b7cefc\", \"type\": \"PostPublished\", \"_sealed\": {\"by\": \"01a20cad-2c64-7c1e-86c0-2e62a2e95cd1\", \"box\": \"…\"}}",
            "metadata": format!("{{\"actor\": \"{JAKE_ID}\", \"request_id\": \"01a20cb7-7be1-7c52-8d3e-5f4f0e6a1b2c\"}}"),
            "recordedAt": 1_795_509_681_123_000_i64,
            "prevHash": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "hash": "0EuY9I6Pi8wVxq5awFCAHNbc/UKPtfnmXE4W54BzQPo=",
        },
        "leafIndex": 3,
        "treeSize": TREE_SIZE,
        "path": [
            "9kVR/NbweCPLh5cc+5FEZCXaGChrOrHvk14MvXpp9oo=",
            "OUbKZP942TymEJCkN8u2s9LKDUiPX5zPMFlgg2iydpM=",
        ],
        "checkpoint": checkpoint(),
    })
}

pub fn consistency() -> Value {
    json!({
        "from": 2,
        "to": TREE_SIZE,
        "path": ["0PYxyh3bqNs7z8ueBXzcmNA3nxvuAOdaVFFHon2t2YI="],
    })
}
