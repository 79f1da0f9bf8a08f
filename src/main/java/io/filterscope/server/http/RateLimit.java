package io.filterscope.server.http;

import java.util.HashMap;
import java.util.Map;

/**
 * A token bucket: {@code perSecond} events a second on average, and bursts of up to {@code burst} at once
 * (a page that loads 64 activation maps one after another is a burst, not an attack).
 */
final class RateLimit {
    private static final double SECOND = 1e9;
    private final double perSecond;
    private final double burst;
    private double tokens;
    private long last = Long.MIN_VALUE;

    RateLimit(int perSecond, int burst) {
        this.perSecond = perSecond;
        this.burst = burst;
        this.tokens = burst;
    }

    /** At most {@code perSecond} events in a second, no bursts. */
    RateLimit(int perSecond) {
        this(perSecond, perSecond);
    }

    boolean allows(long nanos) {
        if (last != Long.MIN_VALUE) {
            tokens = Math.min(burst, tokens + (nanos - last) / SECOND * perSecond);
        }
        last = nanos;
        if (tokens >= 1) {
            tokens--;
            return true;
        }
        return false;
    }

    /** Whether the bucket would be full again by {@code nanos}: nothing to remember about its key. */
    private boolean fullBy(long nanos) {
        return tokens + (nanos - last) / SECOND * perSecond >= burst;
    }

    /** One {@link RateLimit} per key (a client's address); keys whose bucket has filled up again are forgotten. */
    static final class PerKey {
        private final int perSecond;
        private final int burst;
        private final Map<String, RateLimit> limits = new HashMap<>();

        PerKey(int perSecond, int burst) {
            this.perSecond = perSecond;
            this.burst = burst;
        }

        boolean allows(String key, long nanos) {
            return limits.computeIfAbsent(key, k -> new RateLimit(perSecond, burst)).allows(nanos);
        }

        void forgetQuiet(long nanos) {
            limits.values().removeIf(l -> l.fullBy(nanos));
        }
    }
}
