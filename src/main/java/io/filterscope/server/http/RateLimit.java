package io.filterscope.server.http;

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
}
