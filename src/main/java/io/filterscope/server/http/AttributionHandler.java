package io.filterscope.server.http;

import io.filterscope.server.ApiError;
import io.filterscope.server.Limit;
import io.filterscope.server.ServerConfig;
import io.filterscope.server.protocol.ComputeApi;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code POST /api/models/{id}/attribution?method=gradcam|saliency|smoothgrad&class=K&layer=L} with the image as
 * multipart field {@code image}: the model's top-5 predictions and the attribution map of one class (see
 * docs/protocol.md). The upload is read on a worker thread and explained on the compute thread.
 */
final class AttributionHandler implements Handler<RoutingContext> {
    private final Vertx vertx;
    private final ComputeApi.Front compute;
    private final ServerConfig.Limits limits;

    AttributionHandler(Vertx vertx, ComputeApi.Front compute, ServerConfig.Limits limits) {
        this.vertx = vertx;
        this.compute = compute;
        this.limits = limits;
    }

    @Override
    public void handle(RoutingContext ctx) {
        FileUpload upload = HttpVerticle.imageField(ctx);
        if (upload == null) {
            return;
        }
        String cls = null;
        if (ctx.request().getParam("class") != null) {
            cls = HttpVerticle.parseIndex(ctx, "class");
            if (cls == null) {
                return;
            }
        }
        String method = ctx.request().getParam("method", "gradcam");
        String layer = ctx.request().getParam("layer");
        String chosen = cls;
        vertx.executeBlocking(() -> Files.readAllBytes(Path.of(upload.uploadedFileName())))
                .onSuccess(bytes -> HttpVerticle.answer(ctx, compute.attribution(
                        new ComputeApi.AttributionRequest(ctx.pathParam("id"), method, chosen, layer, bytes,
                                Connections.clientOf(ctx.request().remoteAddress()), limits.uploadPixels(),
                                limits.count(Limit.IMAGE_SIDE)))))
                .onFailure(e -> HttpVerticle.send(ctx, ApiError.of(e)));
    }
}
