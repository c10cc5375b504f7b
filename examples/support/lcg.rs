//! A small deterministic generator for the seeding examples: the same seed gives the same data.

pub struct Lcg(pub u64);

impl Lcg {
    /// A number in 0..n.
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    /// True `percent` times in a hundred.
    #[allow(dead_code)] // not every example draws chances
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next(100) < percent
    }
}
