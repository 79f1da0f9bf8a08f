package io.filterscope.server.http;

import java.util.HashMap;
import java.util.Map;

/** At most {@code perSecond} events in any one-second window (a fixed window: cheap, and enough here). */
final class RateLimit {
    private static final long SECOND = 1_000_000_000L;
    private final int perSecond;
    private long windowStart = Long.MIN_VALUE;
    private int count;

    RateLimit(int perSecond) {
        this.perSecond = perSecond;
    }

    boolean allows(long nanos) {
        if (windowStart == Long.MIN_VALUE || nanos - windowStart >= SECOND) {
            windowStart = nanos;
            count = 0;
        }
        return ++count <= perSecond;
    }

    /** One {@link RateLimit} per key (a client's address); keys quiet for a while are forgotten. */
    static final class PerKey {
        private final int perSecond;
        private final Map<String, RateLimit> limits = new HashMap<>();

        PerKey(int perSecond) {
            this.perSecond = perSecond;
        }

        boolean allows(String key, long nanos) {
            return limits.computeIfAbsent(key, k -> new RateLimit(perSecond)).allows(nanos);
        }

        /** Drops the keys whose window ended more than a second before {@code nanos}. */
        void forgetQuiet(long nanos) {
            limits.values().removeIf(l -> nanos - l.windowStart > 2 * SECOND);
        }
    }
}
