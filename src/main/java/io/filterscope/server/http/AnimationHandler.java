package io.filterscope.server.http;

import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.protocol.ComputeApi;
import io.filterscope.server.protocol.EventBusService;
import io.filterscope.server.protocol.ReplayApi;
import io.filterscope.server.replay.RunRecorder;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /api/runs/{id}/animation?format=gif&fps=N}: the frames this node recorded of a run as an animated
 * GIF ({@code image/gif}), saved by the browser as {@code RUN.gif}.
 */
final class AnimationHandler implements Handler<RoutingContext> {
    private final ReplayApi replay;

    AnimationHandler(Vertx vertx) {
        this.replay = EventBusService.proxy(vertx, ReplayApi.class, Addresses.REPLAY, ComputeApi.TIMEOUT_MS);
    }

    @Override
    public void handle(RoutingContext ctx) {
        Integer fps = ctx.request().getParam("fps") == null ? Integer.valueOf(RunRecorder.DEFAULT_FPS)
                : HttpVerticle.parseInt(ctx, "fps", 1, RunRecorder.MAX_FPS);
        if (fps == null) {
            return;
        }
        String run = ctx.pathParam("id");
        String format = ctx.request().getParam("format", "gif");
        replay.animation(new ReplayApi.AnimationRequest(run, format, fps))
                .onSuccess(gif -> ctx.response().putHeader("content-type", "image/gif")
                        .putHeader("content-disposition", "attachment; filename=\"" + run.replaceAll("[^A-Za-z0-9_-]", "") + ".gif\"")
                        .end(Buffer.buffer(gif)))
                .onFailure(e -> HttpVerticle.send(ctx, ApiError.of(e)));
    }
}
