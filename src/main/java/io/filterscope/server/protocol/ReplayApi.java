package io.filterscope.server.protocol;

import io.vertx.core.Future;

/**
 * A front node's recordings of the runs started through it ({@code io.filterscope.server.replay.RunRecorder}),
 * over the event bus with {@link EventBusService}. Local to each front node.
 */
public interface ReplayApi {
    /** The run's recorded frames as an animation; not found for a run never recorded or already forgotten. */
    Future<byte[]> animation(AnimationRequest request);

    /**
     * @param format "gif" (the only format this server writes)
     * @param fps    frames shown per second
     */
    record AnimationRequest(String run, String format, int fps) {
    }
}
