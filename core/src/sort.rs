//! Stable sorting with one copy of the sorting code for the whole program.
//!
//! `<[T]>::sort_by` is generic over the element type and the comparison closure, so every call
//! site gets its own copy of the standard library's driftsort: about 3.6 KB of wasm each, 17
//! copies in the page's first-load module (docs/benchmarks.md, Page weight), more than any
//! function of ours. Here one small merge sort runs, non-generic, over `u32` indices with the
//! comparison behind `dyn` (not the standard sort: even one copy of it is ≈ 4 KB), and the
//! caller's elements are then moved into that order in place. What a call site keeps of its own
//! is a few hundred bytes.
//!
//! Same result as `sort_by` (stable: equal elements keep their order), O(n log n) comparisons
//! (n − 1 for input already in order), two `Vec<u32>`s of scratch, one dynamic call per
//! comparison: noise next to what the lists sorted here feed
//! (tens to thousands of items per build). Hot sorts of large inputs may stay on the standard
//! library's.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`, as `v.sort_by(cmp)` would.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let n = u32::try_from(v.len()).expect("fewer than 2^32 elements");
    let mut order: Vec<u32> = (0..n).collect();
    {
        let v = &*v;
        sort_indices(&mut order, &mut |a, b| cmp(&v[a as usize], &v[b as usize]));
    }
    permute(v, &mut order);
}

/// [`sort_by`] for slices that are nearly always short: up to [`SMALL`] elements are sorted in
/// place by insertion (no scratch to allocate, a few dozen bytes of code per call site), longer
/// ones by [`sort_by`]. Stable, as `sort_by`. For hot loops over tiny lists (a directory's
/// imports), where `sort_by`'s two scratch vectors per call would cost more than the sort.
/// (Tried for ~8 elements of 56 bytes: finding the place then `rotate_right`, and sorting
/// positions on the stack then moving the elements once, both ran more instructions.)
pub fn sort_small_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() > SMALL {
        return sort_by(v, cmp);
    }
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && cmp(&v[j - 1], &v[j]) == Ordering::Greater {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The longest slice [`sort_small_by`] sorts by insertion.
pub const SMALL: usize = 24;

/// Sorts `v` stably by its elements' order, as `v.sort()` would.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Sorts `v` stably by `key`, as `v.sort_by_key(key)` would.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// The one sorting routine: a bottom-up merge sort of the indices, stable (a tie takes the left
/// run's index first). Not the standard library's sort: its driftsort, even once for `u32`, is
/// ≈ 4 KB of wasm (quicksort, drift, small sorts), this a few hundred bytes. Comparisons: at
/// most ⌈log₂ n⌉ passes of fewer than n each, and n − 1 in all for input already in order (two
/// neighbouring runs in order are copied after one comparison).
#[inline(never)]
fn sort_indices(order: &mut [u32], cmp: &mut dyn FnMut(u32, u32) -> Ordering) {
    let n = order.len();
    let mut scratch = vec![0u32; n];
    let mut in_order = true;
    {
        let (mut src, mut dst): (&mut [u32], &mut [u32]) = (&mut *order, &mut scratch);
        let mut width = 1;
        while width < n {
            let mut start = 0;
            while start < n {
                let mid = (start + width).min(n);
                let end = (start + 2 * width).min(n);
                merge(&src[start..end], &mut dst[start..end], mid - start, cmp);
                start = end;
            }
            std::mem::swap(&mut src, &mut dst);
            in_order = !in_order;
            width *= 2;
        }
    }
    if !in_order {
        order.copy_from_slice(&scratch);
    }
}

/// Merges `src[..mid]` and `src[mid..]`, each in order, into `dst` (the same length).
fn merge(src: &[u32], dst: &mut [u32], mid: usize, cmp: &mut dyn FnMut(u32, u32) -> Ordering) {
    if mid == src.len() || cmp(src[mid - 1], src[mid]) != Ordering::Greater {
        dst.copy_from_slice(src);
        return;
    }
    let (mut i, mut j) = (0, mid);
    for out in dst.iter_mut() {
        let left = j == src.len() || (i < mid && cmp(src[i], src[j]) != Ordering::Greater);
        if left {
            *out = src[i];
            i += 1;
        } else {
            *out = src[j];
            j += 1;
        }
    }
}

/// Rearranges `v` so that position `i` holds what was at `order[i]`, following each cycle of
/// the permutation with swaps (each element moves once per swap, no clones, no second buffer).
/// `order` is left as the identity.
fn permute<T>(v: &mut [T], order: &mut [u32]) {
    for start in 0..v.len() {
        let mut at = start;
        loop {
            let from = order[at] as usize;
            order[at] = at as u32;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as the standard library's stable sort, ties included: the elements
        /// carry their original position, which the comparison ignores.
        #[test]
        fn same_as_std_stable_sort(keys in proptest::collection::vec(0u8..8, 0..200)) {
            let tagged: Vec<(u8, usize)> = keys.iter().copied().zip(0..).collect();
            let mut want = tagged.clone();
            want.sort_by(|a, b| a.0.cmp(&b.0));
            let mut got = tagged;
            sort_by(&mut got, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(got, want);
        }
    }

    proptest! {
        /// Any length (runs of every width, odd tails) and any comparison outcome pattern.
        #[test]
        fn same_as_std_stable_sort_long(keys in proptest::collection::vec(0u16..300, 0..2_000)) {
            let tagged: Vec<(u16, usize)> = keys.iter().copied().zip(0..).collect();
            let mut want = tagged.clone();
            want.sort_by(|a, b| a.0.cmp(&b.0));
            let mut got = tagged;
            sort_by(&mut got, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(got, want);
        }
    }

    /// Input in order costs n − 1 comparisons; reversed input is sorted too.
    #[test]
    fn sorted_input_is_one_comparison_per_element() {
        for n in [2usize, 3, 7, 8, 9, 100, 1_000] {
            let mut v: Vec<usize> = (0..n).collect();
            let mut calls = 0;
            sort_by(&mut v, |a, b| {
                calls += 1;
                a.cmp(b)
            });
            assert_eq!(v, (0..n).collect::<Vec<_>>());
            assert_eq!(calls, n - 1, "n = {n}");
            let mut r: Vec<usize> = (0..n).rev().collect();
            sort(&mut r);
            assert_eq!(r, v);
        }
    }

    proptest! {
        /// Short and long slices (either side of `SMALL`), many ties: the same as std's stable sort.
        #[test]
        fn sort_small_by_is_std_stable_sort(keys in proptest::collection::vec(0u8..6, 0..60)) {
            let tagged: Vec<(u8, usize)> = keys.iter().copied().zip(0..).collect();
            let mut want = tagged.clone();
            want.sort_by(|a, b| a.0.cmp(&b.0));
            let mut got = tagged;
            sort_small_by(&mut got, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn owned_elements_move_without_loss() {
        let mut v: Vec<String> = ["pear", "fig", "apple", "fig", "kiwi"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sort(&mut v);
        assert_eq!(v, ["apple", "fig", "fig", "kiwi", "pear"]);
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd')];
        sort_by_key(&mut v, |x| x.0);
        assert_eq!(v, [(1, 'b'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let mut one = vec![7];
        sort(&mut one);
        assert_eq!(one, [7]);
    }
}
