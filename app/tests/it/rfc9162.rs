//! An independent RFC 9162 (Certificate Transparency v2) proof verifier for the tests.
//!
//! It shares nothing with the server's `eventstore::ledger::tree`: it is written straight from
//! the RFC text (§2.1.1 for the hashes, §2.1.3.2 and §2.1.4.2 for the verification algorithms),
//! step by step and in the RFC's own names, so that a proof the server makes is checked by a
//! second reading of the standard rather than by the code that made it.

use sha2::{Digest, Sha256};

/// HASH(0x00 || d): the hash of one entry (RFC 9162 §2.1.1).
#[must_use]
pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut input = Vec::with_capacity(1 + data.len());
    input.push(0x00);
    input.extend_from_slice(data);
    Sha256::digest(&input).into()
}

/// HASH(0x01 || left || right): an interior node (RFC 9162 §2.1.1).
fn interior(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut input = [0u8; 65];
    input[0] = 0x01;
    input[1..33].copy_from_slice(left);
    input[33..].copy_from_slice(right);
    Sha256::digest(input).into()
}

/// LSB(x): whether the least significant bit of `x` is set.
const fn lsb(x: u64) -> bool {
    x & 1 == 1
}

/// RFC 9162 §2.1.3.2, "Verifying an Inclusion Proof".
///
/// Does `proof` (the `inclusion_path`) show that the entry hashing to `leaf_hash` is entry
/// `leaf_index` of the tree of `tree_size` entries whose root is `root`?
#[must_use]
pub fn verify_inclusion(
    leaf_hash: &[u8; 32],
    leaf_index: u64,
    tree_size: u64,
    proof: &[[u8; 32]],
    root: &[u8; 32],
) -> bool {
    // 1. Compare leaf_index from the inclusion_proof_v2 structure against tree_size. If
    //    leaf_index is greater than or equal to tree_size, then fail the proof verification.
    if leaf_index >= tree_size {
        return false;
    }
    // 2. Set fn to leaf_index and sn to tree_size - 1.
    let mut fn_ = leaf_index;
    let mut sn = tree_size - 1;
    // 3. Set r to hash.
    let mut r = *leaf_hash;
    // 4. For each value p in the inclusion_path array:
    for p in proof {
        // a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0 {
            return false;
        }
        // b. If LSB(fn) is set, or if fn is equal to sn, then:
        if lsb(fn_) || fn_ == sn {
            // i. Set r to HASH(0x01 || p || r).
            r = interior(p, &r);
            // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either
            //     LSB(fn) is set or fn is 0.
            if !lsb(fn_) {
                while !(lsb(fn_) || fn_ == 0) {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            // Otherwise: i. Set r to HASH(0x01 || r || p).
            r = interior(&r, p);
        }
        // c. Finally, right-shift both fn and sn one time.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0 and r and the
    //    root_hash are equal, then the log has proven the inclusion of hash. Otherwise, fail
    //    the proof verification.
    sn == 0 && r == *root
}

/// RFC 9162 §2.1.4.2, "Verifying Consistency between Two Tree Heads".
///
/// Does `proof` (the `consistency_path`) show that the tree of `second` entries with root
/// `second_root` extends the tree of `first` entries with root `first_root`?
///
/// The RFC states the algorithm for `0 < first < second`. Outside it: equal sizes are
/// consistent exactly when the proof is empty and the roots are equal; an empty first tree, or
/// a first tree bigger than the second, has no proof and fails.
#[must_use]
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &[u8; 32],
    second_root: &[u8; 32],
    proof: &[[u8; 32]],
) -> bool {
    if first == second && first > 0 {
        return proof.is_empty() && first_root == second_root;
    }
    if !(0 < first && first < second) {
        return false;
    }
    // 1. If consistency_path is an empty array, stop and fail the proof verification.
    if proof.is_empty() {
        return false;
    }
    // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path
    //    array.
    let mut path: Vec<[u8; 32]> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    // 3. Set fn to first - 1 and sn to second - 1.
    let mut fn_ = first - 1;
    let mut sn = second - 1;
    // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while lsb(fn_) {
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. Set both fr and sr to the first value in the consistency_path array.
    let mut fr = path[0];
    let mut sr = path[0];
    // 6. For each subsequent value c in the consistency_path array:
    for c in &path[1..] {
        // a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0 {
            return false;
        }
        // b. If LSB(fn) is set, or if fn is equal to sn, then:
        if lsb(fn_) || fn_ == sn {
            // i. Set fr to HASH(0x01 || c || fr).
            fr = interior(c, &fr);
            // ii. Set sr to HASH(0x01 || c || sr).
            sr = interior(c, &sr);
            // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either
            //      LSB(fn) is set or fn is 0.
            if !lsb(fn_) {
                while !(lsb(fn_) || fn_ == 0) {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            // Otherwise: i. Set sr to HASH(0x01 || sr || c).
            sr = interior(&sr, c);
        }
        // c. Finally, right-shift both fn and sn one time.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7. After completing iterating through the consistency_path array as described above,
    //    verify that the fr calculated is equal to the first_hash supplied, that the sr
    //    calculated is equal to the second_hash supplied, and that sn is 0.
    fr == *first_root && sr == *second_root && sn == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA-256 of the bytes given, concatenated: the trees below are hashed by hand with it.
    fn sha(parts: &[&[u8]]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize().into()
    }

    #[test]
    fn leaf_and_interior_hashes_are_prefixed() {
        assert_eq!(leaf_hash(b"d0"), sha(&[&[0], b"d0"]));
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        assert_eq!(interior(&a, &b), sha(&[&[1], &a, &b]));
    }

    #[test]
    fn a_one_leaf_tree() {
        // MTH({d0}) = HASH(0x00 || d0), and the inclusion path of its only leaf is empty.
        let d0 = sha(&[&[0], b"d0"]);
        assert!(verify_inclusion(&d0, 0, 1, &[], &d0));
        assert!(!verify_inclusion(&d0, 0, 1, &[d0], &d0));
        assert!(!verify_inclusion(&d0, 1, 1, &[], &d0));
        assert!(!verify_inclusion(&sha(&[&[0], b"d1"]), 0, 1, &[], &d0));
        // A tree is consistent with itself; equal sizes take no proof.
        assert!(verify_consistency(1, 1, &d0, &d0, &[]));
        assert!(!verify_consistency(1, 1, &d0, &d0, &[d0]));
        assert!(!verify_consistency(0, 1, &sha(&[]), &d0, &[]));
    }

    #[test]
    fn a_three_leaf_tree() {
        // D[3] = d0 d1 d2; k = 2, so MTH(D[3]) = HASH(0x01 || MTH(d0 d1) || h2).
        let h: Vec<[u8; 32]> = [b"d0", b"d1", b"d2"].iter().map(|d| sha(&[&[0], *d])).collect();
        let h01 = sha(&[&[1], &h[0], &h[1]]);
        let root2 = h01;
        let root3 = sha(&[&[1], &h01, &h[2]]);

        // PATH(0, D[3]) = PATH(0, D[0:2]) : MTH(D[2:3]) = [h1, h2].
        assert!(verify_inclusion(&h[0], 0, 3, &[h[1], h[2]], &root3));
        // PATH(1, D[3]) = [h0, h2].
        assert!(verify_inclusion(&h[1], 1, 3, &[h[0], h[2]], &root3));
        // PATH(2, D[3]) = PATH(0, D[2:3]) : MTH(D[0:2]) = [h01].
        assert!(verify_inclusion(&h[2], 2, 3, &[h01], &root3));
        // Wrong order, index, leaf, or a missing or extra hash.
        assert!(!verify_inclusion(&h[0], 0, 3, &[h[2], h[1]], &root3));
        assert!(!verify_inclusion(&h[0], 1, 3, &[h[1], h[2]], &root3));
        assert!(!verify_inclusion(&h[1], 0, 3, &[h[1], h[2]], &root3));
        assert!(!verify_inclusion(&h[2], 2, 3, &[], &root3));
        assert!(!verify_inclusion(&h[2], 2, 3, &[h01, h[0]], &root3));
        assert!(!verify_inclusion(&h[0], 3, 3, &[h[1], h[2]], &root3));

        // PROOF(2, D[3]) = SUBPROOF(2, D[0:2], true) : MTH(D[2:3]) = [h2]; first = 2 is a
        // power of two, so the verifier supplies the first root itself.
        assert!(verify_consistency(2, 3, &root2, &root3, &[h[2]]));
        // PROOF(1, D[3]) = SUBPROOF(1, D[0:2], true) : h2 = [h1, h2].
        assert!(verify_consistency(1, 3, &h[0], &root3, &[h[1], h[2]]));
        // PROOF(1, D[2]) = [h1].
        assert!(verify_consistency(1, 2, &h[0], &root2, &[h[1]]));
        // Tampered roots or proofs, and impossible sizes.
        assert!(!verify_consistency(2, 3, &root3, &root3, &[h[2]]));
        assert!(!verify_consistency(2, 3, &root2, &root2, &[h[2]]));
        assert!(!verify_consistency(2, 3, &root2, &root3, &[]));
        assert!(!verify_consistency(2, 3, &root2, &root3, &[h[2], h[2]]));
        assert!(!verify_consistency(1, 3, &h[0], &root3, &[h[2], h[1]]));
        assert!(!verify_consistency(3, 2, &root3, &root2, &[h[2]]));
        assert!(!verify_consistency(3, 3, &root2, &root3, &[]));
    }

    #[test]
    fn a_five_leaf_tree_from_a_three_leaf_one() {
        // D[5]: k = 4, MTH = HASH(1 || MTH(D[0:4]) || h4). PROOF(3, D[5]) =
        // SUBPROOF(3, D[0:4], true) : h4, and SUBPROOF(3, D[0:4]) = SUBPROOF(1, D[2:4], false) :
        // MTH(D[0:2]) = [h2, h3, h01], so the whole proof is [h2, h3, h01, h4].
        let h: Vec<[u8; 32]> = (0..5).map(|i| leaf_hash(format!("d{i}").as_bytes())).collect();
        let h01 = interior(&h[0], &h[1]);
        let h23 = interior(&h[2], &h[3]);
        let root3 = interior(&h01, &h[2]);
        let root5 = interior(&interior(&h01, &h23), &h[4]);
        let proof = [h[2], h[3], h01, h[4]];
        assert!(verify_consistency(3, 5, &root3, &root5, &proof));
        assert!(!verify_consistency(3, 5, &root3, &root5, &proof[..3]));
        assert!(!verify_consistency(3, 5, &root5, &root5, &proof));
        // And the inclusion path of d3 in D[5] is [h2, h01, h4].
        assert!(verify_inclusion(&h[3], 3, 5, &[h[2], h01, h[4]], &root5));
        assert!(!verify_inclusion(&h[3], 3, 4, &[h[2], h01, h[4]], &root5));
    }
}
