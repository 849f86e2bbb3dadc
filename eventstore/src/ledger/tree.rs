//! The Merkle tree over the whole log, as RFC 9162 (Certificate Transparency v2) §2.1 defines
//! it, so that any CT-style client can check our proofs.
//!
//! Nothing here touches storage. The store keeps the hash of every *perfect aligned subtree*
//! (a [`Node`]) as leaves arrive ([`Frontier::push`] says which ones each leaf completes), and a
//! proof is then a handful of look-ups: [`Plan`] names the subtree ranges the RFC asks for, the
//! nodes they are made of, and folds the looked-up hashes into the proof. The verifiers here
//! work from the tree's shape (the inner/border split of a path) rather than by replaying the
//! RFC's bit-shifting loops, so that the integration tests' verifier (`app/tests/it/rfc9162.rs`),
//! which replays them, is a second, separate reading of the RFC.

use std::fmt;
use std::ops::Range;

use sha2::{Digest, Sha256};

/// A SHA-256 digest: every hash in the tree, leaf or interior.
pub type Hash = [u8; 32];

/// The root of the empty tree, MTH({}) = SHA-256(""), so that a log with no entries still has
/// a checkpoint to sign.
#[must_use]
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The hash of one entry, SHA-256(0x00 || data): the prefix keeps a leaf from ever passing for
/// an interior node (the second-preimage defence of RFC 9162 §2.1.1).
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// The hash of an interior node, SHA-256(0x01 || left || right), prefixed apart from leaves.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// A perfect aligned subtree: the `2^level` leaves `[index << level, (index + 1) << level)`.
///
/// These are the only hashes the store keeps; they never change once all their leaves exist,
/// and every hash a proof needs is one of them or a fold of a few (see [`Plan::nodes`]).
/// Level 0 nodes are the leaf hashes themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    /// The height above the leaves: the node covers `2^level` leaves.
    pub level: u32,
    /// The position among the nodes of the same level, counted from the left.
    pub index: u64,
}

impl Node {
    /// The leaves the node covers, so that the store can tell whether a tree of some size holds
    /// it entirely (`range.end <= size`). `None` for a node past the last leaf position a `u64`
    /// can count, which no tree can hold.
    #[must_use]
    pub fn leaves(self) -> Option<Range<u64>> {
        let width = 1u64.checked_shl(self.level)?;
        let start = self.index.checked_mul(width)?;
        Some(start..start.checked_add(width)?)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "level {}, index {}", self.level, self.index)
    }
}

/// What can go wrong building proofs and frontiers: all of it is a caller asking for something
/// the tree does not have, never a broken tree.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TreeError {
    /// An inclusion proof for a leaf the tree does not hold (yet).
    #[error("leaf {index} is not in a tree of {size} leaves")]
    LeafOutOfRange {
        /// The leaf asked for.
        index: u64,
        /// The size of the tree it was asked in.
        size: u64,
    },
    /// A consistency proof between sizes that have none: the old tree must be non-empty and no
    /// bigger than the new one (RFC 9162 §2.1.4 requires `0 < m <= n`).
    #[error("no consistency proof from {old} to {new} leaves")]
    BadSizes {
        /// The size of the older tree.
        old: u64,
        /// The size of the newer tree.
        new: u64,
    },
    /// The store could not produce a node a proof needs: it should hold every node of the
    /// sizes it has published, so this is a gap in storage.
    #[error("node at {0} is not stored")]
    MissingNode(Node),
    /// A frontier read back with the wrong number of roots for its size (one per set bit).
    #[error("a tree of {size} leaves has {expected} frontier roots, not {got}")]
    FrontierMismatch {
        /// The size the frontier claims.
        size: u64,
        /// How many roots that size needs.
        expected: u32,
        /// How many were given.
        got: usize,
    },
}

/// The right edge of a tree: the roots of its perfect subtrees, largest first (one per set bit
/// of the size).
///
/// It is all that appending needs, so the writer keeps only this in memory and can rebuild it
/// from the store after a restart ([`Frontier::from_roots`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    roots: Vec<Hash>,
}

impl Frontier {
    /// The stored nodes that make up the frontier of a tree of `size` leaves, largest first:
    /// one per set bit of `size`, each starting where the bigger ones end. Look these up to
    /// call [`Frontier::from_roots`].
    #[must_use]
    pub fn nodes(size: u64) -> Vec<Node> {
        pieces(0, size)
    }

    /// Rebuilds a frontier from the hashes of the nodes [`Frontier::nodes`] names for `size`,
    /// in that order.
    ///
    /// # Errors
    ///
    /// [`TreeError::FrontierMismatch`] when the number of roots is not the number of set bits
    /// of `size`.
    pub fn from_roots(size: u64, roots: Vec<Hash>) -> Result<Self, TreeError> {
        let expected = size.count_ones();
        if usize::try_from(expected).ok() != Some(roots.len()) {
            return Err(TreeError::FrontierMismatch {
                size,
                expected,
                got: roots.len(),
            });
        }
        Ok(Self { size, roots })
    }

    /// How many leaves the tree holds.
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// The hashes of the frontier's nodes, in the order of [`Frontier::nodes`].
    #[must_use]
    pub fn roots(&self) -> &[Hash] {
        &self.roots
    }

    /// Appends one leaf hash and returns every perfect node it completes, the leaf itself
    /// (level 0) first, then level 1, 2, ...: exactly the rows the store must add.
    ///
    /// The new leaf is leaf number `size`; it completes one node per trailing one bit of
    /// `size`, each time merging with the smallest frontier root, which is its left sibling.
    ///
    /// A tree of `u64::MAX` leaves cannot count another: the push is refused, returning no
    /// nodes and changing nothing. No log gets there (positions are Postgres `bigint`s), and
    /// refusing quietly keeps appending infallible for every size that can occur.
    pub fn push(&mut self, leaf: Hash) -> Vec<(Node, Hash)> {
        let index = self.size;
        let Some(size) = index.checked_add(1) else {
            return Vec::new();
        };
        let mut hash = leaf;
        let mut made = vec![(Node { level: 0, index }, hash)];
        for level in 1..=index.trailing_ones() {
            // `roots` has one entry per set bit of `size`, so there are enough to pop.
            let Some(left) = self.roots.pop() else { break };
            hash = node_hash(&left, &hash);
            made.push((
                Node {
                    level,
                    index: index >> level,
                },
                hash,
            ));
        }
        self.roots.push(hash);
        self.size = size;
        made
    }

    /// The tree head, MTH of all the leaves ([`empty_root`] for none): the roots folded right
    /// to left, `H(1, big, H(1, mid, small))`, which is how RFC 9162 §2.1.1 splits a tree
    /// whose size is not a power of two.
    #[must_use]
    pub fn root(&self) -> Hash {
        fold(self.roots.iter().copied()).unwrap_or_else(empty_root)
    }
}

/// What a proof needs: the ordered subtree ranges `[start, end)` whose MTHs make the proof,
/// per RFC 9162.
///
/// Planning is separate from fetching so the store can read every node it needs in one query
/// ([`Plan::nodes`]) and then [`Plan::assemble`] the proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    ranges: Vec<Range<u64>>,
}

impl Plan {
    /// The audit path of leaf `index` in a tree of `size` leaves, RFC 9162 §2.1.3.1
    /// PATH(m, D[n]): the sibling of each subtree on the way from the leaf to the root,
    /// lowest first.
    ///
    /// # Errors
    ///
    /// [`TreeError::LeafOutOfRange`] when `index >= size`.
    pub fn inclusion(index: u64, size: u64) -> Result<Self, TreeError> {
        if index >= size {
            return Err(TreeError::LeafOutOfRange { index, size });
        }
        // The RFC's recursion, unrolled from the root down: the current subtree is
        // [start, start + n) and the leaf is m into it. Each step yields the sibling of the
        // half holding the leaf, so the ranges come out highest first.
        let mut ranges = Vec::new();
        let (mut start, mut m, mut n) = (0, index, size);
        while n > 1 {
            let k = split(n);
            if m < k {
                ranges.push(start + k..start + n);
                n = k;
            } else {
                ranges.push(start..start + k);
                start += k;
                m -= k;
                n -= k;
            }
        }
        ranges.reverse();
        Ok(Self { ranges })
    }

    /// The consistency proof from the tree of the first `old` leaves to the tree of `new`,
    /// RFC 9162 §2.1.4.1 PROOF(m, D[n]); empty when the sizes are equal.
    ///
    /// # Errors
    ///
    /// [`TreeError::BadSizes`] when `old == 0` (the RFC defines no proof from the empty tree)
    /// or `old > new`.
    pub fn consistency(old: u64, new: u64) -> Result<Self, TreeError> {
        if old == 0 || old > new {
            return Err(TreeError::BadSizes { old, new });
        }
        // SUBPROOF(m, D[n], b) unrolled from the root down, as in `inclusion`; `whole` is b:
        // still true while the old tree is the whole of the current subtree's left part, in
        // which case the verifier already knows its hash (the old root) and it is left out.
        let mut ranges = Vec::new();
        let (mut start, mut m, mut n, mut whole) = (0, old, new, true);
        while m < n {
            let k = split(n);
            if m <= k {
                ranges.push(start + k..start + n);
                n = k;
            } else {
                ranges.push(start..start + k);
                start += k;
                m -= k;
                n -= k;
                whole = false;
            }
        }
        if !whole {
            ranges.push(start..start + m);
        }
        ranges.reverse();
        Ok(Self { ranges })
    }

    /// The subtree ranges whose MTHs make the proof, in proof order.
    #[must_use]
    pub fn ranges(&self) -> &[Range<u64>] {
        &self.ranges
    }

    /// Every stored node needed to compute the proof, deduplicated and sorted.
    ///
    /// Each range `[a, b)` the recursion yields has `a` a multiple of the smallest power of two
    /// at least `b - a`: a left sibling `[s, s + k)` is perfect with `s` a multiple of `k`; a
    /// right sibling `[s + k, s + n)` has `n - k <= k` and `s + k` a multiple of `k`; the
    /// consistency proof's last range lies inside a perfect, aligned subtree it starts. Such a
    /// range is shaped exactly like a whole tree of `b - a` leaves, so it splits like a
    /// frontier: by the binary digits of `b - a`, largest first, each piece aligned to its own
    /// size. A perfect range is one piece; only ranges on the tree's right edge are several.
    #[must_use]
    pub fn nodes(&self) -> Vec<Node> {
        let mut nodes: Vec<Node> = self
            .ranges
            .iter()
            .flat_map(|range| pieces(range.start, range.end))
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }

    /// The proof's hashes in RFC order, each the fold (right to left, as in
    /// [`Frontier::root`]) of its range's pieces, given a look-up of stored node hashes.
    ///
    /// # Errors
    ///
    /// [`TreeError::MissingNode`] for the first node `lookup` cannot give.
    pub fn assemble(&self, lookup: impl Fn(Node) -> Option<Hash>) -> Result<Vec<Hash>, TreeError> {
        self.ranges
            .iter()
            .map(|range| {
                let hashes = pieces(range.start, range.end)
                    .into_iter()
                    .map(|node| lookup(node).ok_or(TreeError::MissingNode(node)))
                    .collect::<Result<Vec<_>, _>>()?;
                // Plans make no empty ranges; if one did, MTH({}) would be its right hash.
                Ok(fold(hashes).unwrap_or_else(empty_root))
            })
            .collect()
    }
}

/// Checks that `leaf` is entry `index` of the tree of `size` leaves with head `root`
/// (RFC 9162 §2.1.3.2).
///
/// Accepts the proofs the RFC's algorithm accepts, but computes from the path's shape: below
/// the level where the paths of `index` and of the last leaf part (the bit length of
/// `index ^ (size - 1)`, the *inner* levels) every node has a sibling, left or right by the bit
/// of `index`; above it the path runs along the right edge, where only the levels at which
/// `index` has a one bit (the *border*) have a sibling, always on the left. The proof's length
/// must be exactly inner + border.
#[must_use]
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let inner = bit_len(index ^ (size - 1));
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    let Some((inner_proof, border_proof)) = proof.split_at_checked(to_usize(inner)) else {
        return false;
    };
    if border_proof.len() != to_usize(border) {
        return false;
    }
    let mut hash = *leaf;
    for (level, sibling) in inner_proof.iter().enumerate() {
        hash = if (index >> level) & 1 == 0 {
            node_hash(&hash, sibling)
        } else {
            node_hash(sibling, &hash)
        };
    }
    for sibling in border_proof {
        hash = node_hash(sibling, &hash);
    }
    hash == *root
}

/// Checks that the tree of `new_size` leaves with head `new_root` extends the tree of
/// `old_size` leaves with head `old_root` (RFC 9162 §2.1.4.2).
///
/// Equal sizes need an empty proof and equal heads (the RFC's algorithm assumes
/// `first < second`); an empty old tree is refused, as [`Plan::consistency`] refuses it.
///
/// The proof is, in effect, the inclusion proof of the old tree's last leaf in the new tree,
/// cut short below the level of the old tree's smallest frontier root (a perfect subtree
/// present in both trees, given as the first hash, or the old root itself when the old size
/// is a power of two). From there the new head takes every sibling; the old head only those
/// on the left, since the right ones were added later.
#[must_use]
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size == 0 || old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    let last = old_size - 1;
    let shift = old_size.trailing_zeros();
    // `last` ends in `shift` one bits and `new_size - 1` is bigger, so they part above them.
    let Some(inner) = bit_len(last ^ (new_size - 1)).checked_sub(shift) else {
        return false;
    };
    let border = last.checked_shr(shift + inner).unwrap_or(0).count_ones();
    let (seed, proof) = if old_size.is_power_of_two() {
        (*old_root, proof)
    } else {
        let Some((first, rest)) = proof.split_first() else {
            return false;
        };
        (*first, rest)
    };
    let Some((inner_proof, border_proof)) = proof.split_at_checked(to_usize(inner)) else {
        return false;
    };
    if border_proof.len() != to_usize(border) {
        return false;
    }
    let path = last >> shift;
    let (mut old_hash, mut new_hash) = (seed, seed);
    for (level, sibling) in inner_proof.iter().enumerate() {
        if (path >> level) & 1 == 1 {
            old_hash = node_hash(sibling, &old_hash);
            new_hash = node_hash(sibling, &new_hash);
        } else {
            new_hash = node_hash(&new_hash, sibling);
        }
    }
    for sibling in border_proof {
        old_hash = node_hash(sibling, &old_hash);
        new_hash = node_hash(sibling, &new_hash);
    }
    old_hash == *old_root && new_hash == *new_root
}

/// The largest power of two below `n`: where RFC 9162 splits a tree of `n >= 2` leaves
/// (0 for smaller `n`, which is never split).
fn split(n: u64) -> u64 {
    n.saturating_sub(1).checked_ilog2().map_or(0, |bit| 1 << bit)
}

/// The number of significant bits of `x`: 0 for 0, 64 at most.
const fn bit_len(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// A bit count as a slice length; every platform's `usize` holds 64.
fn to_usize(x: u32) -> usize {
    usize::try_from(x).unwrap_or(usize::MAX)
}

/// The aligned perfect nodes making up `[start, end)` by the binary digits of its length,
/// largest first; `start` must be a multiple of the smallest power of two at least as long as
/// the range (true of the whole tree and of every range a [`Plan`] makes).
fn pieces(start: u64, end: u64) -> Vec<Node> {
    let len = end.saturating_sub(start);
    let mut at = start;
    (0..u64::BITS)
        .rev()
        .filter(|level| (len >> level) & 1 == 1)
        .map(|level| {
            let node = Node {
                level,
                index: at >> level,
            };
            at += 1 << level;
            node
        })
        .collect()
}

/// Folds subtree hashes, largest first, into the hash of their union: `H(1, a, H(1, b, c))`.
fn fold(hashes: impl IntoIterator<Item = Hash, IntoIter: DoubleEndedIterator>) -> Option<Hash> {
    hashes
        .into_iter()
        .rev()
        .reduce(|right, left| node_hash(&left, &right))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use super::*;

    /// MTH straight from RFC 9162 §2.1.1, over leaf hashes. Memoised by first leaf and length,
    /// which name a range because every test tree is a prefix of the same distinct leaves
    /// (unoptimised SHA-256 is slow enough to matter).
    fn mth(leaves: &[Hash]) -> Hash {
        thread_local! {
            static MEMO: RefCell<HashMap<(Hash, usize), Hash>> = RefCell::default();
        }
        let key = (leaves.first().copied().unwrap_or_default(), leaves.len());
        if let Some(hash) = MEMO.with_borrow(|memo| memo.get(&key).copied()) {
            return hash;
        }
        let hash = match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = usize::try_from(split(u64::try_from(n).unwrap())).unwrap();
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        };
        MEMO.with_borrow_mut(|memo| memo.insert(key, hash));
        hash
    }

    /// PATH(m, D[n]) straight from §2.1.3.1.
    fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n == 1 {
            return Vec::new();
        }
        let k = usize::try_from(split(u64::try_from(n).unwrap())).unwrap();
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true) straight from §2.1.4.1.
    fn subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if whole { Vec::new() } else { vec![mth(leaves)] };
        }
        let k = usize::try_from(split(u64::try_from(n).unwrap())).unwrap();
        if m <= k {
            let mut p = subproof(m, &leaves[..k], whole);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = subproof(m - k, &leaves[k..], false);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    /// The sides of an inclusion path's siblings, lowest first (true: on the left): what the
    /// verifier computes with, so two sizes with the same sides verify the same proofs.
    fn path_sides(m: u64, n: u64) -> Vec<bool> {
        if n <= 1 {
            return Vec::new();
        }
        let k = split(n);
        let mut sides = if m < k {
            path_sides(m, k)
        } else {
            path_sides(m - k, n - k)
        };
        sides.push(m >= k);
        sides
    }

    /// The steps of SUBPROOF from the root down (true: into the right half): they fix how the
    /// verifier combines a consistency proof, as `path_sides` does for inclusion.
    fn proof_steps(m: u64, n: u64) -> Vec<bool> {
        let mut steps = Vec::new();
        let (mut m, mut n) = (m, n);
        while m < n {
            let k = split(n);
            if m <= k {
                steps.push(false);
                n = k;
            } else {
                steps.push(true);
                m -= k;
                n -= k;
            }
        }
        steps
    }

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
            .collect()
    }

    /// A tree of `n` leaves pushed one by one, with every node it stored.
    fn grow(n: u64) -> (Frontier, HashMap<Node, Hash>, Vec<Hash>) {
        let leaves = leaves(n);
        let mut frontier = Frontier::default();
        let mut store = HashMap::new();
        for leaf in &leaves {
            for (node, hash) in frontier.push(*leaf) {
                assert!(store.insert(node, hash).is_none(), "{node} stored twice");
            }
        }
        (frontier, store, leaves)
    }

    /// A look-up that, like the store at `size`, knows only nodes whose leaves all exist.
    fn lookup(store: &HashMap<Node, Hash>, size: u64) -> impl Fn(Node) -> Option<Hash> + '_ {
        move |node| {
            (node.leaves().unwrap().end <= size)
                .then(|| store.get(&node).copied())
                .flatten()
        }
    }

    fn range_of(leaves: &[Hash], node: Node) -> &[Hash] {
        let r = node.leaves().unwrap();
        &leaves[usize::try_from(r.start).unwrap()..usize::try_from(r.end).unwrap()]
    }

    #[test]
    fn hashes_follow_the_rfc_prefixes() {
        let hex: String = empty_root()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .concat();
        assert_eq!(
            hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let h: Hash = Sha256::digest([0u8, b'a']).into();
        assert_eq!(leaf_hash(b"a"), h);
        let mut joined = vec![1u8];
        joined.extend_from_slice(&h);
        joined.extend_from_slice(&empty_root());
        let n: Hash = Sha256::digest(&joined).into();
        assert_eq!(node_hash(&h, &empty_root()), n);
    }

    #[test]
    fn pushes_make_the_reference_tree() {
        let all = leaves(70);
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), empty_root());
        for (n, leaf) in (1u64..).zip(&all) {
            let made = frontier.push(*leaf);
            assert_eq!(
                made[0],
                (
                    Node {
                        level: 0,
                        index: n - 1
                    },
                    *leaf
                )
            );
            for (i, (node, hash)) in made.iter().enumerate() {
                assert_eq!(node.level, u32::try_from(i).unwrap());
                assert_eq!(
                    node.leaves().unwrap().end,
                    n,
                    "{node} completed by leaf {}",
                    n - 1
                );
                assert_eq!(*hash, mth(range_of(&all, *node)), "{node}");
            }
            assert_eq!(made.len(), usize::try_from(n.trailing_zeros()).unwrap() + 1);
            assert_eq!(frontier.size(), n);
            let prefix = &all[..usize::try_from(n).unwrap()];
            assert_eq!(frontier.root(), mth(prefix), "size {n}");
            let nodes = Frontier::nodes(n);
            assert_eq!(nodes.len(), frontier.roots().len());
            for (node, hash) in nodes.iter().zip(frontier.roots()) {
                assert_eq!(*hash, mth(range_of(&all, *node)), "{node} at size {n}");
            }
        }
    }

    #[test]
    fn frontier_nodes_tile_the_tree() {
        assert!(Frontier::nodes(0).is_empty());
        assert_eq!(
            Frontier::nodes(13),
            [
                Node { level: 3, index: 0 },
                Node { level: 2, index: 2 },
                Node { level: 0, index: 12 }
            ]
        );
        let nodes = Frontier::nodes(u64::MAX);
        assert_eq!(nodes.len(), 64);
        assert_eq!(nodes[0], Node { level: 63, index: 0 });
        assert_eq!(
            nodes[63],
            Node {
                level: 0,
                index: u64::MAX - 1
            }
        );
    }

    #[test]
    fn a_frontier_read_back_keeps_growing() {
        let (_, store, all) = grow(70);
        let heads: Vec<Hash> = (0..=all.len()).map(|n| mth(&all[..n])).collect();
        for size in 0..=60 {
            let roots = Frontier::nodes(size)
                .into_iter()
                .map(|node| store[&node])
                .collect();
            let mut frontier = Frontier::from_roots(size, roots).unwrap();
            for n in size + 1..=70 {
                let made = frontier.push(all[usize::try_from(n - 1).unwrap()]);
                for (node, hash) in made {
                    assert_eq!(store[&node], hash, "{node} after reading back {size}");
                }
                assert_eq!(frontier.root(), heads[usize::try_from(n).unwrap()]);
            }
        }
    }

    #[test]
    fn inclusion_proofs_match_the_rfc() {
        let (_, store, all) = grow(40);
        for size in 1..=40u64 {
            let tree = &all[..usize::try_from(size).unwrap()];
            let root = mth(tree);
            for index in 0..size {
                let plan = Plan::inclusion(index, size).unwrap();
                for node in plan.nodes() {
                    assert!(node.leaves().unwrap().end <= size);
                }
                let proof = plan.assemble(lookup(&store, size)).unwrap();
                let i = usize::try_from(index).unwrap();
                assert_eq!(proof, path(i, tree), "PATH({index}, D[{size}])");
                let leaf = &tree[i];
                assert!(verify_inclusion(leaf, index, size, &proof, &root));

                for j in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[j][j % 32] ^= 1 << (j % 8);
                    assert!(!verify_inclusion(leaf, index, size, &bad, &root));
                }
                let mut bad_root = root;
                bad_root[7] ^= 0x80;
                assert!(!verify_inclusion(leaf, index, size, &proof, &bad_root));
                assert!(!verify_inclusion(
                    &leaf_hash(b"other"),
                    index,
                    size,
                    &proof,
                    &root
                ));
                if let Some((_, shorter)) = proof.split_last() {
                    assert!(!verify_inclusion(leaf, index, size, shorter, &root));
                }
                let mut longer = proof.clone();
                longer.push(root);
                assert!(!verify_inclusion(leaf, index, size, &longer, &root));
                // Near the true values, where shapes are likeliest to coincide (every value
                // is slow with unoptimised SHA-256).
                let near = |x: u64| x.saturating_sub(3)..=x + 3;
                for other in near(index).filter(|&other| other != index && other < size) {
                    assert!(
                        !verify_inclusion(leaf, other, size, &proof, &root),
                        "{index} as {other}"
                    );
                }
                // A wrong size fails unless it gives the path the same shape, in which case
                // the verifier does the very same hashing: nothing could tell them apart.
                for other in near(size).filter(|&other| other != size) {
                    let same_shape = other > index && path_sides(index, other) == path_sides(index, size);
                    assert_eq!(
                        verify_inclusion(leaf, index, other, &proof, &root),
                        same_shape,
                        "leaf {index} of {size} claimed in {other}"
                    );
                }
            }
            assert_eq!(
                Plan::inclusion(size, size),
                Err(TreeError::LeafOutOfRange { index: size, size })
            );
            assert!(!verify_inclusion(&tree[0], size, size, &[], &root));
        }
    }

    #[test]
    fn consistency_proofs_match_the_rfc() {
        let (_, store, all) = grow(40);
        for new in 1..=40u64 {
            let new_tree = &all[..usize::try_from(new).unwrap()];
            let new_root = mth(new_tree);
            for old in 1..=new {
                let m = usize::try_from(old).unwrap();
                let old_root = mth(&all[..m]);
                let plan = Plan::consistency(old, new).unwrap();
                for node in plan.nodes() {
                    assert!(node.leaves().unwrap().end <= new);
                }
                let proof = plan.assemble(lookup(&store, new)).unwrap();
                assert_eq!(proof, subproof(m, new_tree, true), "PROOF({old}, D[{new}])");
                assert!(
                    verify_consistency(old, new, &old_root, &new_root, &proof),
                    "{old} to {new}"
                );

                for j in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[j][j % 32] ^= 1 << (j % 8);
                    assert!(!verify_consistency(old, new, &old_root, &new_root, &bad));
                }
                let mut bad_root = old_root;
                bad_root[0] ^= 1;
                assert!(!verify_consistency(old, new, &bad_root, &new_root, &proof));
                let mut bad_root = new_root;
                bad_root[31] ^= 1;
                assert!(!verify_consistency(old, new, &old_root, &bad_root, &proof));
                let mut longer = proof.clone();
                longer.push(new_root);
                assert!(!verify_consistency(old, new, &old_root, &new_root, &longer));
                if !proof.is_empty() {
                    assert!(!verify_consistency(old, new, &old_root, &new_root, &proof[1..]));
                    assert!(!verify_consistency(
                        old,
                        new,
                        &old_root,
                        &new_root,
                        &proof[..proof.len() - 1]
                    ));
                }
                // Wrong sizes fail unless the proof has the same shape for them, as above.
                // Equal sizes check only that the heads are equal, whatever the size.
                let steps = proof_steps(old, new);
                let near = |x: u64| x.saturating_sub(3)..=x + 3;
                let claims = near(old).flat_map(|o| near(new).map(move |n| (o, n)));
                for (o, n) in claims {
                    if (o, n) == (old, new) {
                        continue;
                    }
                    let same_shape = if old == new {
                        o == n && o > 0
                    } else {
                        o > 0 && o < n && proof_steps(o, n) == steps
                    };
                    assert_eq!(
                        verify_consistency(o, n, &old_root, &new_root, &proof),
                        same_shape,
                        "{old} to {new} claimed as {o} to {n}"
                    );
                }
            }
            assert_eq!(
                Plan::consistency(0, new),
                Err(TreeError::BadSizes { old: 0, new })
            );
            assert_eq!(
                Plan::consistency(new + 1, new),
                Err(TreeError::BadSizes { old: new + 1, new })
            );
            assert!(!verify_consistency(0, new, &empty_root(), &new_root, &[]));
            assert!(!verify_consistency(new + 1, new, &new_root, &new_root, &[]));
        }
    }

    #[test]
    fn equal_sizes_need_equal_heads() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        assert!(Plan::consistency(5, 5).unwrap().ranges().is_empty());
        assert!(verify_consistency(5, 5, &a, &a, &[]));
        assert!(!verify_consistency(5, 5, &a, &b, &[]));
        assert!(!verify_consistency(5, 5, &a, &a, &[a]));
    }

    #[test]
    fn errors() {
        assert_eq!(
            Frontier::from_roots(5, vec![empty_root()]),
            Err(TreeError::FrontierMismatch {
                size: 5,
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            Frontier::from_roots(0, vec![empty_root()]),
            Err(TreeError::FrontierMismatch {
                size: 0,
                expected: 0,
                got: 1
            })
        );
        assert_eq!(Frontier::from_roots(0, Vec::new()).unwrap(), Frontier::default());

        let (_, store, _) = grow(7);
        let plan = Plan::inclusion(2, 7).unwrap();
        let missing = Node { level: 1, index: 0 };
        assert!(plan.nodes().contains(&missing));
        let result = plan.assemble(|node| (node != missing).then(|| store[&node]));
        assert_eq!(result, Err(TreeError::MissingNode(missing)));
        assert_eq!(
            TreeError::MissingNode(missing).to_string(),
            "node at level 1, index 0 is not stored"
        );

        let mut full = Frontier::from_roots(u64::MAX, vec![empty_root(); 64]).unwrap();
        assert!(full.push(empty_root()).is_empty());
        assert_eq!(full.size(), u64::MAX);
        assert_eq!(full.roots().len(), 64);
    }

    #[test]
    fn plans_for_huge_trees_stay_in_range() {
        let size = u64::MAX;
        for index in [0, 1, size / 2, size - 2, size - 1] {
            let plan = Plan::inclusion(index, size).unwrap();
            assert!(plan.ranges().iter().all(|r| r.start < r.end && r.end <= size));
            assert!(
                plan.nodes()
                    .iter()
                    .all(|n| n.leaves().is_some_and(|r| r.end <= size))
            );
        }
        for old in [1, 2, 3, size / 2, size - 1, size] {
            let plan = Plan::consistency(old, size).unwrap();
            assert!(
                plan.nodes()
                    .iter()
                    .all(|n| n.leaves().is_some_and(|r| r.end <= size))
            );
        }
        assert_eq!(Node { level: 64, index: 0 }.leaves(), None);
        assert_eq!(
            Node {
                level: 1,
                index: u64::MAX / 2
            }
            .leaves(),
            None
        );
        assert_eq!(Node { level: 1, index: 3 }.leaves(), Some(6..8));
    }

    #[test]
    fn every_range_splits_into_aligned_pieces() {
        for new in 1..=70u64 {
            let plans = (0..new)
                .map(|i| Plan::inclusion(i, new))
                .chain((1..=new).map(|old| Plan::consistency(old, new)));
            for plan in plans {
                for range in plan.unwrap().ranges() {
                    let pieces = pieces(range.start, range.end);
                    let mut at = range.start;
                    for node in pieces {
                        let r = node.leaves().unwrap();
                        assert_eq!(r.start, at, "{range:?} at size {new}");
                        at = r.end;
                    }
                    assert_eq!(at, range.end);
                }
            }
        }
    }
}
