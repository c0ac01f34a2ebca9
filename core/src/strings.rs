//! Many strings kept back to back in one `String`, each found by its place: what the loader
//! and the planner keep of tens of thousands of names and paths, without a block of its own
//! for each (blocks made in one order and freed in another were a measurable part of a large
//! module's load; see docs/benchmarks.md, issue 3).

/// Strings back to back, and where each ends (it starts where the previous one ends).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Strings {
    text: String,
    ends: Vec<u32>,
}

impl Strings {
    /// Room for `n` strings of `bytes` bytes in all.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        Strings {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(n),
        }
    }

    /// Adds `s`; its place.
    pub fn push(&mut self, s: &str) -> u32 {
        self.text.push_str(s);
        let end = u32::try_from(self.text.len()).expect("strings under 4 GiB in all");
        self.ends.push(end);
        u32::try_from(self.ends.len() - 1).expect("fewer than 2^32 strings")
    }

    /// The string at place `i`.
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// How many strings there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Strings;

    #[test]
    fn each_string_reads_back_at_its_place() {
        let mut s = Strings::default();
        let places: Vec<u32> = ["a", "", "bcd", "é"].iter().map(|x| s.push(x)).collect();
        assert_eq!(places, [0, 1, 2, 3]);
        assert_eq!(s.len(), 4);
        let back: Vec<&str> = (0..s.len()).map(|i| s.get(i)).collect();
        assert_eq!(back, ["a", "", "bcd", "é"]);
    }
}
