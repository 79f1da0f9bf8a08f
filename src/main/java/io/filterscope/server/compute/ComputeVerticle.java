package io.filterscope.server.compute;

import io.filterscope.model.ModelStore;
import io.filterscope.server.Addresses;
import io.filterscope.server.ApiError;
import io.filterscope.server.ServerConfig;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;

/**
 * The worker role: answers {@link Addresses#COMPUTE} requests with a {@link ComputeService} that owns the
 * device, and sends each run's frames and events to {@link Addresses#run}.
 */
public final class ComputeVerticle extends AbstractVerticle {
    private final ServerConfig config;
    private ComputeService service;

    public ComputeVerticle(ServerConfig config) {
        this.config = config;
    }

    @Override
    public void start(Promise<Void> started) {
        service = new ComputeService(new ModelStore(config.models()), config.limits().activeRuns(), config.limits().queuedRuns(),
                (run, message, droppable) -> vertx.eventBus().send(Addresses.run(run), message,
                        new DeliveryOptions().addHeader(Addresses.DROPPABLE, String.valueOf(droppable))));
        vertx.eventBus().<JsonObject>consumer(Addresses.COMPUTE, this::handle).completion().onComplete(started);
    }

    private void handle(Message<JsonObject> message) {
        JsonObject body = message.body();
        CompletableFuture<?> answer = switch (body.getString("action", "")) {
            case "start" -> service.call(() -> service.start(body.getString("run"), body.getJsonObject("request")));
            case "stop" -> service.call(() -> new JsonObject().put("stopped", service.stop(body.getString("run"))));
            case "update" -> service.call(() -> service.update(body.getString("run"), body.getJsonObject("params")));
            case "list" -> service.call(service::list);
            case "health" -> service.call(service::health);
            case "stop-all" -> service.call(() -> new JsonObject().put("stopped", service.stopAll()));
            case "models" -> service.call(() -> service.queries().models());
            case "model" -> service.call(() -> service.queries().model(body.getString("model")));
            case "activations" -> service.call(() -> service.queries().activations(body.getString("model"),
                    body.getString("layer"), body.getBinary("image"), body.getInteger("channel"), config.limits().uploadPixels()));
            case "examples" -> service.call(() -> service.queries().examples(body.getString("model"),
                    body.getString("layer"), body.getInteger("filter"), body.getInteger("n")));
            default -> CompletableFuture.failedFuture(ApiError.badRequest("unknown action").exception());
        };
        answer.whenComplete((reply, error) -> {
            if (error != null) {
                ApiError e = ApiError.of(error);
                message.fail(e.status(), e.message());
            } else {
                message.reply(reply);
            }
        });
    }

    @Override
    public void stop() {
        service.shutdown(5000);
    }
}
