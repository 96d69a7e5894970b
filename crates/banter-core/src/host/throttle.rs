//! A token bucket: a burst is fine, a flood is not. Request budgets, handshakes and secret guesses use it.

use std::time::{Duration, Instant};

/// A token bucket refilled continuously at `per_second` up to `burst`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    burst: f64,
    per_second: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    pub fn new(burst: u32, per_second: u32, now: Instant) -> Self {
        Self::with_rate(burst, f64::from(per_second), now)
    }

    /// A bucket refilled at `per_second`, which may be below one (five a minute is `5.0 / 60.0`).
    pub fn with_rate(burst: u32, per_second: f64, now: Instant) -> Self {
        TokenBucket { tokens: f64::from(burst), burst: f64::from(burst), per_second, refilled_at: now }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.refilled_at = now;
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long until a token is there: zero when one is there now.
    pub fn wait_for_token(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 || self.per_second <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.per_second)
        }
    }

    /// Whether the bucket has refilled to its burst, so that forgetting it changes nothing.
    pub fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_the_rate_applies() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(3, 2, start);
        assert!((0..3).all(|_| bucket.try_take(start)));
        assert!(!bucket.try_take(start));
        assert!(bucket.try_take(start + Duration::from_millis(500)));
        assert!(!bucket.try_take(start + Duration::from_millis(500)));
        // A long pause refills to the burst, not beyond it.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| bucket.try_take(later)).count(), 3);
    }

    #[test]
    fn a_slow_bucket_says_how_long_until_its_next_token() {
        let start = Instant::now();
        let mut bucket = TokenBucket::with_rate(1, 1.0 / 12.0, start);
        assert_eq!(bucket.wait_for_token(start), Duration::ZERO);
        assert!(bucket.try_take(start));
        assert!(!bucket.is_full(start));
        let wait = bucket.wait_for_token(start + Duration::from_secs(2));
        assert!((9.9..10.1).contains(&wait.as_secs_f64()), "{wait:?}");
        assert!(bucket.is_full(start + Duration::from_secs(13)));
    }
}
