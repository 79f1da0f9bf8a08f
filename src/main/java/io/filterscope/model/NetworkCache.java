package io.filterscope.model;

import io.filterscope.engine.net.Network;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compiled networks that no run is using, kept for the next run of the same model, batch and image size:
 * compiling allocates native buffers that are slow to come back, so a server lends networks out rather
 * than compiling one per run. Bounded in bytes (as {@link LoadedModel#bytesOf} counts them): the least
 * recently used go first. An evicted network's native memory is freed once the JVM collects it.
 * Thread-safe.
 */
public final class NetworkCache {
    private record Key(LoadedModel model, long batch, long size, int depth) {
    }

    /** Access order: the first key is the least recently used. */
    private final LinkedHashMap<Key, Deque<Network>> idle = new LinkedHashMap<>(16, 0.75f, true);
    /** The keys of {@link #idle}, readable without the monitor ({@link #holds}). */
    private final java.util.Set<Key> kept = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private long capacity;
    private long bytes;

    /** @param capacity bytes of idle networks kept at most */
    public NetworkCache(long capacity) {
        this.capacity = capacity;
    }

    /** A cache that never evicts, for the command line's one-off stores. */
    public static NetworkCache unbounded() {
        return new NetworkCache(Long.MAX_VALUE);
    }

    /** An idle network of this model for a batch of square images of {@code size} px with {@code depth} stages, or null. */
    synchronized Network take(LoadedModel model, long batch, long size, int depth) {
        Key key = new Key(model, batch, size, depth);
        Deque<Network> free = idle.get(key);
        Network net = free == null ? null : free.poll();
        if (net != null) {
            bytes -= model.bytesOf(net);
            if (free.isEmpty()) {
                idle.remove(key);
                kept.remove(key);
            }
        }
        return net;
    }

    /**
     * Whether an idle network of this model for a batch of square images of {@code size} px with {@code depth} stages is
     * kept, without waiting for the cache's monitor (a worker asks under its lock whether a start must compile one): by
     * the time it is borrowed another may have taken it.
     */
    boolean holds(LoadedModel model, long batch, long size, int depth) {
        return kept.contains(new Key(model, batch, size, depth));
    }

    /** Keeps a network nobody uses any more, then evicts down to the capacity. */
    synchronized void put(LoadedModel model, Network net) {
        Key key = new Key(model, net.batch(), net.input().size(2), net.depth());
        idle.computeIfAbsent(key, k -> new ArrayDeque<>()).push(net);
        kept.add(key);
        bytes += model.bytesOf(net);
        trimTo(capacity);
    }

    /** Evicts the least recently used networks until at most {@code limit} bytes are kept; returns the bytes freed. */
    public synchronized long trimTo(long limit) {
        long before = bytes;
        Iterator<Map.Entry<Key, Deque<Network>>> eldest = idle.entrySet().iterator();
        while (bytes > Math.max(0, limit) && eldest.hasNext()) {
            Map.Entry<Key, Deque<Network>> e = eldest.next();
            while (bytes > Math.max(0, limit) && !e.getValue().isEmpty()) {
                bytes -= e.getKey().model().bytesOf(e.getValue().pollLast());
            }
            if (e.getValue().isEmpty()) {
                eldest.remove();
                kept.remove(e.getKey());
            }
        }
        return before - bytes;
    }

    /** Drops every network of a model (its file changed); returns the bytes freed. */
    synchronized long forget(LoadedModel model) {
        long before = bytes;
        idle.entrySet().removeIf(e -> {
            if (e.getKey().model() != model) {
                return false;
            }
            e.getValue().forEach(n -> bytes -= model.bytesOf(n));
            kept.remove(e.getKey());
            return true;
        });
        return before - bytes;
    }

    public synchronized void setCapacity(long capacity) {
        this.capacity = capacity;
        trimTo(capacity);
    }

    /** Bytes of the idle networks kept now. */
    public synchronized long bytes() {
        return bytes;
    }
}
