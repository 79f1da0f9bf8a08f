package io.filterscope.server.protocol;

import io.filterscope.server.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * A Java interface over the event bus, the way Vert.x service proxies work, without code generation: each
 * method of the interface (one argument or none, returning a {@link Future}) gets the address
 * {@code base + "." + method name}; its argument is the message body and its result the reply, carried by
 * {@link RecordCodec}s. Callers call methods; nobody switches on an action string.
 */
public final class EventBusService {
    private EventBusService() {
    }

    /** Calls on the returned object become requests to the service at {@code base}, failing after {@code timeoutMs}. */
    public static <T> T proxy(Vertx vertx, Class<T> api, String base, long timeoutMs) {
        DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs);
        Object proxy = Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api}, (self, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.getName().equals("toString") ? api.getSimpleName() + "@" + base : method.invoke(base, args);
            }
            return vertx.eventBus().request(base + "." + method.getName(), args == null ? null : args[0], options)
                    .map(Message::body);
        });
        return api.cast(proxy);
    }

    /**
     * Answers calls to {@code base} with {@code impl}; failures go back as {@link ApiError}s (status as the
     * failure code). Local: only this node's callers reach it (a front's own dispatcher), else the cluster's.
     */
    public static <T> Future<Void> serve(Vertx vertx, Class<T> api, String base, T impl, boolean local) {
        List<Future<Void>> registered = new ArrayList<>();
        for (Method method : api.getMethods()) {
            String address = base + "." + method.getName();
            MessageConsumer<Object> consumer = local
                    ? vertx.eventBus().localConsumer(address, m -> answer(method, impl, m))
                    : vertx.eventBus().consumer(address, m -> answer(method, impl, m));
            registered.add(consumer.completion());
        }
        return Future.all(registered).mapEmpty();
    }

    private static void answer(Method method, Object impl, Message<Object> message) {
        Future<?> result;
        try {
            result = (Future<?>) (method.getParameterCount() == 0 ? method.invoke(impl) : method.invoke(impl, message.body()));
        } catch (InvocationTargetException e) {
            result = Future.failedFuture(e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            result = Future.failedFuture(e);
        }
        result.onSuccess(message::reply).onFailure(error -> {
            ApiError e = ApiError.of(error);
            message.fail(e.status(), e.message());
        });
    }
}
